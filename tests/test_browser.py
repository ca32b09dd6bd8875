"""Real-browser checks in Chromium: axe-core, keyboard, media playback, reflow, console."""

from __future__ import annotations

import re

import pytest

from tests.conftest import IN_CI, ROOT

pytestmark = [
    pytest.mark.browser,
    # Chromium often resets a media connection after a Range response has been written; werkzeug's
    # dev server (3.1) then skips closing the response, so the file is closed by the GC instead.
    pytest.mark.filterwarnings(
        r"ignore:unclosed file <_io\.BufferedReader name='[^']*/media/[0-9a-f]+\.\w+'>:ResourceWarning"),
]

AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# axe never calls a missing caption track a violation: it files it under "incomplete".
INCOMPLETE_IS_FAILURE = {"video-caption", "audio-caption"}

ARTICLE = "/articles/night-ferry-returns"
ARTICLE_TITLE = "The night ferry to Marrow Island sails again"
CLIP_SECONDS = 32.0

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations', 'incomplete'],
  });
  const brief = (items) => items.map((item) => ({
    id: item.id,
    impact: item.impact,
    targets: item.nodes.map((node) => node.target.join(' ')),
  }));
  return {violations: brief(result.violations), incomplete: brief(result.incomplete)};
}"""

BAD_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A page that must fail</title></head>
<body><main>
  <h1>Bad page</h1>
  <img src="photo.jpg" width="200" height="100">
  <p style="color: #c8c8c8; background: #ffffff">Faint grey text nobody can read.</p>
  <video controls width="320" height="180"></video>
</main></body></html>"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script that package.json pins."""
    if not AXE_PATH.is_file():
        message = f"{AXE_PATH} is missing (npm ci installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return AXE_PATH.read_text(encoding="utf-8")


def run_axe(page, axe_source: str) -> dict:
    """Return axe's violations and incomplete results for the page, each as id, impact, targets."""
    # page.evaluate runs outside the page's CSP, which blocks an injected <script> tag.
    page.evaluate(axe_source)
    return page.evaluate(AXE_RUN, AXE_TAGS)


def gate_failures(results: dict) -> list[dict]:
    """Return the results that fail the gate: every violation, and incomplete caption checks."""
    return results["violations"] + [item for item in results["incomplete"]
                                    if item["id"] in INCOMPLETE_IS_FAILURE]


def describe(items: list[dict]) -> str:
    """Return one line per result: rule id, impact and the CSS targets it found."""
    return "\n".join(f"{item['id']} ({item['impact']}): {', '.join(item['targets'])}"
                     for item in items)


def open_page(page, url: str, status: int = 200):
    """Load a URL, check the status and return the response."""
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == status, f"{url}: {response and response.status}"
    return response


def wait_for_metadata(page) -> None:
    """Wait until the article's video knows its duration and size."""
    page.wait_for_function("() => document.querySelector('video').readyState >= 1", timeout=15_000)


def focused(page) -> dict:
    """Return the focused element's tag, id, text and whether it sits inside #transcript."""
    return page.evaluate("""() => {
      const el = document.activeElement;
      return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || '').trim(),
              inTranscript: Boolean(el.closest('#transcript'))};
    }""")


@pytest.mark.parametrize("path, status", [
    ("/", 200),
    (ARTICLE, 200),
    ("/articles/school-roof-garden", 200),
    ("/articles/no-such-story", 404),
])
def test_axe_finds_no_wcag_failures(new_context, live_server, axe_source, path, status):
    context = new_context(reduced_motion="reduce")
    page = context.new_page()
    open_page(page, live_server + path, status)
    assert page.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
    results = run_axe(page, axe_source)
    failures = gate_failures(results)
    assert not failures, f"axe on {path}:\n{describe(failures)}"


def test_axe_gate_fails_on_a_bad_page(new_context, axe_source):
    page = new_context(reduced_motion="reduce").new_page()
    page.set_content(BAD_PAGE)
    results = run_axe(page, axe_source)
    found = {item["id"] for item in gate_failures(results)}
    assert {"image-alt", "color-contrast", "video-caption"} <= found, describe(gate_failures(results))


def test_first_tab_stop_is_the_skip_link_to_main(page, live_server):
    open_page(page, live_server + ARTICLE)
    page.keyboard.press("Tab")
    assert focused(page) == {"tag": "a", "id": "", "text": "Skip to main content", "inTranscript": False}
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.matches('main#main-content')")
    assert page.evaluate("location.hash") == "#main-content"


def test_skip_the_video_player_comes_before_the_video_and_leads_to_transcript(page, live_server):
    open_page(page, live_server + ARTICLE)
    stops = []
    for _ in range(40):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if stops[-1]["tag"] == "video":
            break
    texts = [stop["text"] if stop["tag"] == "a" else stop["tag"] for stop in stops]
    assert "video" in texts, f"Tab never reached the video: {texts}"
    assert "Skip the video player" in texts, texts
    assert texts.index("Skip the video player") == texts.index("video") - 1, texts

    page.get_by_role("link", name="Skip the video player").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#transcript"
    top = page.evaluate("document.getElementById('transcript').getBoundingClientRect().top")
    assert abs(top) < 2, f"#transcript is {top}px from the top of the viewport"
    # The link moved the sequential focus starting point: the next Tab lands in the transcript.
    page.keyboard.press("Tab")
    assert focused(page)["inTranscript"], focused(page)


def test_video_metadata_captions_range_and_playback_work(page, live_server):
    open_page(page, live_server + ARTICLE)
    wait_for_metadata(page)
    video = page.evaluate("""() => {
      const v = document.querySelector('video');
      return {duration: v.duration, width: v.videoWidth, height: v.videoHeight,
              autoplay: v.autoplay, seekableEnd: v.seekable.length ? v.seekable.end(0) : 0};
    }""")
    assert video["duration"] == pytest.approx(CLIP_SECONDS, abs=0.5)
    assert video["width"] > 0 and video["height"] > 0
    assert video["autoplay"] is False
    # A server without Range support leaves nothing seekable.
    assert video["seekableEnd"] > 30

    page.wait_for_function("""() => {
      const el = document.querySelector('track[srclang="en"]');
      return el.readyState === 2 && el.track.cues && el.track.cues.length > 0;
    }""", timeout=10_000)
    tracks = page.evaluate("""() => [...document.querySelectorAll('video track')].map((el) => ({
      kind: el.track.kind, language: el.track.language, label: el.track.label, mode: el.track.mode,
      cues: el.track.cues ? el.track.cues.length : 0,
      first: el.track.cues && el.track.cues.length ? el.track.cues[0].text : null}))""")
    english, german, descriptions, chapters = tracks
    assert (descriptions["kind"], chapters["kind"]) == ("descriptions", "chapters")
    assert descriptions["mode"] != "showing" and chapters["mode"] != "showing"
    assert english["kind"] == "captions" and english["language"] == "en"
    assert english["mode"] == "showing"
    assert english["cues"] == 9
    assert "twenty to midnight" in english["first"]
    assert german["kind"] == "captions"
    assert (german["label"], german["language"]) == ("Deutsch", "de")
    assert german["mode"] != "showing"

    page.evaluate("async () => { const v = document.querySelector('video'); v.muted = true; "
                  "await v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.5", timeout=10_000)
    assert page.evaluate("document.querySelector('video').paused") is False


def test_start_parameter_starts_the_video_at_that_second(page, live_server):
    open_page(page, live_server + ARTICLE + "?t=15#player")
    source = page.get_attribute("video source", "src")
    assert source.endswith("#t=15.000"), source
    wait_for_metadata(page)
    assert page.evaluate("document.querySelector('video').currentTime") >= 14


def test_plain_article_starts_the_video_at_zero(page, live_server):
    open_page(page, live_server + ARTICLE)
    assert "#t=" not in page.get_attribute("video source", "src")
    wait_for_metadata(page)
    assert page.evaluate("document.querySelector('video').currentTime") < 1


@pytest.mark.parametrize("path", ["/", ARTICLE, "/articles/school-roof-garden"])
def test_no_horizontal_scroll_at_320_pixels(new_context, live_server, path):
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    open_page(page, live_server + path)
    widths = page.evaluate("""() => ({scroll: document.documentElement.scrollWidth,
                                      client: document.documentElement.clientWidth})""")
    assert widths["client"] == 320
    assert widths["scroll"] <= widths["client"], widths


def test_article_renders_in_forced_colours(new_context, live_server, tmp_path):
    page = new_context(forced_colors="active", reduced_motion="reduce").new_page()
    open_page(page, live_server + ARTICLE)
    assert page.evaluate("matchMedia('(forced-colors: active)').matches")
    assert page.locator("h1").inner_text() == ARTICLE_TITLE
    shot = tmp_path / "article-forced-colours.png"
    page.screenshot(path=shot, full_page=True, mask=[page.locator("video")])
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000


def collect_console_errors(page) -> list[str]:
    """Return a list that fills with the page's console errors and uncaught exceptions."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


def test_pages_log_no_console_errors_or_csp_violations(page, live_server):
    errors = collect_console_errors(page)
    for path in ("/", ARTICLE, "/articles/reading-room-stays-open", "/articles/school-roof-garden"):
        open_page(page, live_server + path)
        page.wait_for_load_state("networkidle")
    # Exercise the player, both caption tracks and the transcript.
    wait_for_metadata(page)
    page.evaluate("""async () => {
      const v = document.querySelector('video');
      for (const track of v.textTracks) track.mode = 'hidden';
      v.muted = true;
      await v.play();
    }""")
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.5", timeout=10_000)
    page.locator("#transcript summary").first.click()
    page.wait_for_load_state("networkidle")
    assert errors == []


def test_console_listener_catches_a_csp_violation(page, live_server):
    errors = collect_console_errors(page)
    open_page(page, live_server + ARTICLE)
    page.evaluate("""() => document.body.insertAdjacentHTML(
      'beforeend', '<img alt="" src="http://192.0.2.1/outside.png">')""")
    page.wait_for_timeout(500)
    assert any(re.search(r"Content Security Policy.*img-src", error) for error in errors), errors
