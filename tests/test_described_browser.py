"""The audio description switch in a real Chromium: the spoken version in place of the clip."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app import create_app
from tests.conftest import serving
from tests.described import DESCRIBED_SLUG, make_described_library
from tests.test_browser import axe_source, describe, gate_failures, open_page, run_axe, wait_for_metadata

# axe_source is a fixture: importing it makes it available to the tests here.
__all__ = ["axe_source"]

pytestmark = [
    pytest.mark.browser,
    # As in tests/test_browser.py: Chromium resets media connections after a Range response.
    pytest.mark.filterwarnings(
        r"ignore:unclosed file <_io\.BufferedReader name='[^']*/media/[0-9a-f-]+\.\w+'>:ResourceWarning"),
]

ARTICLE = f"/articles/{DESCRIBED_SLUG}"
SWITCH = "Audio description"
# Counts the browser voice's utterances: the spoken version must be the only voice.
COUNT_SPEECH = """
  window.utterances = 0;
  if (window.speechSynthesis) {
    const speak = speechSynthesis.speak.bind(speechSynthesis);
    speechSynthesis.speak = (utterance) => { window.utterances += 1; speak(utterance); };
  }
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory, demo_content):
    return make_described_library(tmp_path_factory.mktemp("described") / "library", demo_content)


@pytest.fixture(scope="module")
def site(library):
    with serving(create_app({"LIBRARY": str(library.root)})) as url:
        yield url


@pytest.fixture
def sources(library) -> dict:
    video = library.article(DESCRIBED_SLUG).document.video
    return {"plain": f"/media/{video.src}",
            "described": f"/media/{next(v for v in video.described if not v.extended).src}"}


def media(page, expression: str):
    return page.evaluate(f"() => {{ const v = document.querySelector('video'); return {expression}; }}")


def playing_from(page) -> str:
    return media(page, "new URL(v.currentSrc).pathname")


def open_player(page, url: str) -> None:
    open_page(page, url)
    page.wait_for_selector(".app-player__controls")
    wait_for_metadata(page)


def switched(page, path: str, at: float | None = None) -> None:
    """Wait until the player plays ``path`` and knows where it is in it (near ``at``, if given).

    The player has its metadata a moment before its loadedmetadata handler
    puts the place back, so a test of the place waits for the place.
    """
    page.wait_for_function("""([path, at]) => { const v = document.querySelector('video');
      return new URL(v.currentSrc).pathname === path && v.readyState >= 1 && !v.seeking
        && (at === null || Math.abs(v.currentTime - at) < 0.5); }""",
                           arg=[path, at], timeout=15_000)


CAPTION_MODES = ("[...v.textTracks].filter((t) => t.kind === 'captions')"
                 ".map((t) => `${t.language}:${t.mode}`)")
DESCRIPTIONS_MODE = "[...v.textTracks].find((t) => t.kind === 'descriptions').mode"


@pytest.mark.parametrize("query", ["?described=1", ""])
def test_axe_finds_no_failures_with_the_spoken_version(new_context, site, axe_source, query):
    page = new_context(reduced_motion="reduce").new_page()
    open_player(page, site + ARTICLE + query)
    if not query:
        page.get_by_label(SWITCH).check()
    assert page.get_by_label(SWITCH).is_checked()
    failures = gate_failures(run_axe(page, axe_source))
    assert not failures, describe(failures)


def test_the_switch_replaces_the_link_and_keeps_the_extended_file(page, site):
    open_player(page, site + ARTICLE)
    assert page.get_by_role("link", name="Watch with audio description").count() == 0
    assert page.get_by_role("link", name="Watch without audio description").count() == 0
    assert page.get_by_role("link", name="Extended audio description: MP4", exact=False).count() == 1
    assert page.get_by_role("checkbox", name=SWITCH).count() == 1


def test_the_switch_keeps_the_place_the_pause_and_the_captions(page, site, sources):
    open_player(page, site + ARTICLE)
    # Another caption track than the default, to see that the choice survives.
    page.evaluate("""() => { const v = document.querySelector('video');
      for (const t of v.textTracks) if (t.kind === 'captions') t.mode = t.language === 'de' ? 'showing' : 'disabled';
      v.currentTime = 12.3; }""")
    page.wait_for_function("() => !document.querySelector('video').seeking")
    before = media(page, CAPTION_MODES)
    assert before == ["en:disabled", "de:showing"]
    page.get_by_label(SWITCH).check()
    switched(page, sources["described"], at=12.3)
    assert media(page, "v.paused") is True
    assert media(page, CAPTION_MODES) == before
    # The text descriptions stay loaded, to show under the picture, as before the switch.
    assert media(page, DESCRIPTIONS_MODE) == "hidden"
    expect(page.locator(".app-player__status")).to_have_text(
        "Audio description on: the spoken version plays.")
    assert page.url.endswith(ARTICLE + "?described=1")
    page.get_by_label(SWITCH).uncheck()
    switched(page, sources["plain"], at=12.3)
    assert media(page, CAPTION_MODES) == before
    assert media(page, DESCRIPTIONS_MODE) == "disabled"
    expect(page.locator(".app-player__status")).to_have_text("Audio description off.")
    assert page.url.endswith(ARTICLE)


def test_playback_goes_on_across_a_switch(page, site, sources):
    open_player(page, site + ARTICLE)
    page.evaluate("async () => { const v = document.querySelector('video'); v.muted = true;"
                  " v.currentTime = 5; await v.play(); }")
    page.get_by_label(SWITCH).check()
    switched(page, sources["described"])
    page.wait_for_function("() => { const v = document.querySelector('video');"
                           " return !v.paused && v.currentTime > 5.2; }", timeout=10_000)
    assert media(page, "v.currentTime") < 5 + 2.5  # kept its place, not restarted or skipped


def test_the_keyboard_works_the_switch(page, site, sources):
    open_player(page, site + ARTICLE)
    page.get_by_label("Speed").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == page.get_by_label(SWITCH).get_attribute("id")
    page.keyboard.press("Space")
    switched(page, sources["described"])
    assert page.get_by_label(SWITCH).is_checked()
    # The player's "d" shortcut turns it off again and says so.
    page.focus("video")
    page.keyboard.press("d")
    switched(page, sources["plain"])
    expect(page.locator(".app-player__status")).to_have_text("Audio description off.")


def test_the_choice_is_kept_for_the_next_visit(page, site, sources):
    open_player(page, site + ARTICLE)
    page.get_by_label(SWITCH).check()
    switched(page, sources["described"])
    open_player(page, site + ARTICLE)  # the plain address: the stored choice applies
    switched(page, sources["described"])
    assert page.get_by_label(SWITCH).is_checked()
    page.reload()
    page.wait_for_selector(".app-player__controls")
    switched(page, sources["described"])
    page.get_by_label(SWITCH).uncheck()
    open_player(page, site + ARTICLE)
    assert playing_from(page) == sources["plain"]
    assert not page.get_by_label(SWITCH).is_checked()


def test_the_described_address_starts_with_the_switch_on_at_its_start_time(page, site, sources):
    open_player(page, site + ARTICLE + "?described=1&t=7")
    assert playing_from(page) == sources["described"]
    assert page.get_by_label(SWITCH).is_checked()
    assert media(page, "v.currentTime") == pytest.approx(7, abs=0.5)


def test_the_browser_voice_is_quiet_while_the_spoken_version_plays(new_context, site, sources):
    context = new_context()
    context.add_init_script(COUNT_SPEECH)
    page = context.new_page()
    open_player(page, site + ARTICLE + "?described=1")
    live = page.locator(".app-player__description")
    assert live.get_attribute("aria-live") == "off"
    first = page.evaluate("""() => new Promise((done) => {
      const track = [...document.querySelector('video').textTracks].find((t) => t.kind === 'descriptions');
      const wait = () => (track.cues && track.cues.length ? done(track.cues[0].startTime)
                                                          : setTimeout(wait, 50));
      wait(); })""")
    page.evaluate("(at) => { document.querySelector('video').currentTime = at + 0.1; }", first)
    page.wait_for_function("() => document.querySelector('.app-player__description').textContent !== ''")
    assert page.evaluate("window.utterances") == 0
    # Back to the plain clip: the text descriptions are announced again.
    page.get_by_label(SWITCH).uncheck()
    switched(page, sources["plain"])
    assert live.get_attribute("aria-live") == "polite"


def test_the_embed_has_the_same_switch(page, site, sources):
    open_player(page, f"{site}/embed/{DESCRIBED_SLUG}?described=1")
    assert playing_from(page) == sources["described"]
    assert page.get_by_label(SWITCH).is_checked()
    page.get_by_label(SWITCH).uncheck()
    switched(page, sources["plain"])
    assert page.url.endswith(f"/embed/{DESCRIBED_SLUG}")
