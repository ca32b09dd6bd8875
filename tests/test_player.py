"""The player enhancements in a real Chromium: transcript, caption style, description, chapters, keys."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.test_browser import (
    ARTICLE,
    axe_source,
    collect_console_errors,
    describe,
    gate_failures,
    open_page,
    run_axe,
    wait_for_metadata,
)

# axe_source is a fixture: importing it makes it available to the tests here.
__all__ = ["axe_source"]

pytestmark = [
    pytest.mark.browser,
    # Chromium often resets a media connection after a Range response has been written; werkzeug's
    # dev server (3.1) then skips closing the response, so the file is closed by the GC instead.
    pytest.mark.filterwarnings(
        r"ignore:unclosed file <_io\.BufferedReader name='[^']*/media/[0-9a-f]+\.\w+'>:ResourceWarning"),
]

ENGLISH = '#transcript details[lang="en"]'
CURRENT = f'{ENGLISH} .app-transcript__cue[aria-current="true"]'


def open_player(page, url: str) -> None:
    """Load an article and wait until the script has enhanced it and the clip knows its length."""
    open_page(page, url)
    page.wait_for_selector(".app-player__controls")
    page.wait_for_selector(".app-transcript--enhanced")
    wait_for_metadata(page)


def media(page, expression: str):
    """Evaluate an expression about the article's video, available as ``v``."""
    return page.evaluate(f"() => {{ const v = document.querySelector('video'); return {expression}; }}")


def play_muted_from(page, seconds: float) -> None:
    page.evaluate("""async (seconds) => {
      const v = document.querySelector('video');
      v.muted = true;
      v.currentTime = seconds;
      await v.play();
    }""", seconds)


def current_starts(page) -> list[str]:
    return page.eval_on_selector_all(CURRENT, "nodes => nodes.map((node) => node.dataset.start)")


def mark_page(page) -> None:
    """Leave a mark on the window: a reload or navigation would wipe it."""
    page.evaluate("window.notReloaded = true")


def not_reloaded(page) -> bool:
    return page.evaluate("window.notReloaded === true")


def focus_summary(page) -> dict:
    return page.evaluate("""() => {
      const el = document.activeElement;
      const label = el.labels && el.labels.length ? el.labels[0].textContent : '';
      return {tag: el.localName, text: (label || el.getAttribute('aria-label') || el.textContent || '').trim(),
              type: el.type || '', region: el.getAttribute('role') || '',
              where: el.closest('#player') ? 'player' : el.closest('#transcript') ? 'transcript'
                : el.closest('.app-chapters') ? 'chapters' : el.closest('main') ? 'main' : 'outside'};
    }""")


# --- axe-core -------------------------------------------------------------------------------

def open_settings(page) -> None:
    page.get_by_text("Caption and speech settings", exact=True).click()
    assert page.locator("#player details.app-panel[open]").count() == 1


@pytest.mark.parametrize("state", ["enhanced", "settings open", "help dialog open"])
def test_axe_finds_no_failures_on_the_enhanced_article(new_context, live_server, axe_source, state):
    page = new_context(reduced_motion="reduce").new_page()
    open_player(page, live_server + ARTICLE)
    if state == "settings open":
        open_settings(page)
        page.get_by_label("Search the transcript").fill("ferry")
        page.wait_for_selector(".app-transcript__match")
    elif state == "help dialog open":
        page.get_by_role("button", name="Keyboard shortcuts").click()
        assert page.locator("dialog.app-shortcuts").evaluate("dialog => dialog.open")
    failures = gate_failures(run_axe(page, axe_source))
    assert not failures, f"axe on {ARTICLE} ({state}):\n{describe(failures)}"


def test_article_is_complete_without_javascript(new_context, live_server):
    page = new_context(java_script_enabled=False).new_page()
    open_page(page, live_server + ARTICLE)
    # The page is the server's alone: no controls added, the transcript is not a scroll box,
    # and every moment in it is a link that loads the page at that moment.
    assert page.locator(".app-player__controls").count() == 0
    assert page.locator(".app-transcript__body[tabindex]").count() == 0
    assert page.locator("#transcript .app-transcript__cue").count() == 12
    assert page.locator("#transcript .app-transcript__cue a[href^='?t=']").count() == 12
    assert page.locator("nav.app-chapters a[href^='?t=']").count() == 3
    assert page.locator("video[controls]").count() == 1


def test_axe_finds_no_failures_without_javascript(new_context, live_server, axe_source):
    # axe needs timers, which a context without JavaScript never runs; blocking the
    # page's own scripts gives the same page while axe can still run.
    context = new_context(reduced_motion="reduce")
    context.route("**/static/js/**", lambda route: route.abort())
    page = context.new_page()
    open_page(page, live_server + ARTICLE)
    assert page.locator(".app-player__controls").count() == 0
    assert page.locator(".app-transcript--enhanced").count() == 0
    failures = gate_failures(run_axe(page, axe_source))
    assert not failures, f"axe on {ARTICLE} without JavaScript:\n{describe(failures)}"


# --- keyboard -------------------------------------------------------------------------------

def test_tab_reaches_the_player_controls_transcript_and_chapters_without_a_trap(page, live_server):
    open_player(page, live_server + ARTICLE)
    page.focus("video")
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stops.append(focus_summary(page))
        if stops[-1]["where"] in ("main", "outside") and len(stops) > 5:
            break
    seen = {(stop["where"], stop["text"]) for stop in stops}
    for expected in [("player", "Speed"), ("player", "Audio description"), ("player", "Spoken captions"),
                     ("player", "Keyboard shortcuts"),
                     ("player", "Caption and speech settings"), ("chapters", "0:08 The repaired ferry"),
                     ("transcript", "Search the transcript"),
                     ("transcript", "Scroll the transcript with the video"), ("transcript", "English")]:
        assert expected in seen, f"Tab never reached {expected}: {stops}"
    assert any(stop["region"] == "region" and stop["where"] == "transcript" for stop in stops), stops
    # Tab left the player, the chapters and the transcript again: nothing holds focus.
    assert stops[-1]["where"] in ("main", "outside"), stops[-1]
    places = [stop["where"] for stop in stops]
    assert places.index("chapters") > places.index("player")
    assert places.index("transcript") > places.index("chapters")


def test_help_dialog_opens_and_escape_returns_focus_to_its_button(page, live_server):
    open_player(page, live_server + ARTICLE)
    button = page.get_by_role("button", name="Keyboard shortcuts")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    assert dialog.is_visible()
    assert page.evaluate("Boolean(document.activeElement.closest('dialog'))")
    keys = dialog.locator("kbd").all_inner_texts()
    assert {"k", "j", "l", "c", "d", "<", ">"} <= set(keys), keys
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Keyboard shortcuts"

    # The close button does the same.
    page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Close").click()
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Keyboard shortcuts"


def test_shortcuts_work_only_with_focus_inside_the_player(page, unspoken_live_server):
    open_player(page, unspoken_live_server + ARTICLE)
    page.evaluate("document.querySelector('video').muted = true")
    english = "[...v.textTracks].find((t) => t.language === 'en' && t.kind === 'captions').mode"

    # Outside the player the keys belong to the page (and to screen readers).
    page.locator("h1").click()
    for key in ("k", "c", "l", ">", "d"):
        page.keyboard.press(key)
    assert media(page, "v.paused") is True
    assert media(page, "v.currentTime") < 1
    assert media(page, english) == "showing"
    assert media(page, "v.playbackRate") == 1
    assert not page.get_by_label("Audio description").is_checked()

    page.focus("video")
    page.keyboard.press("l")
    assert media(page, "v.currentTime") == pytest.approx(10, abs=0.5)
    page.keyboard.press("j")
    assert media(page, "v.currentTime") < 1
    page.keyboard.press("c")
    assert media(page, english) == "disabled"
    page.keyboard.press("c")
    assert media(page, english) == "showing"
    page.keyboard.press(">")
    assert media(page, "v.playbackRate") == 1.25
    page.keyboard.press("<")
    page.keyboard.press("<")
    assert media(page, "v.playbackRate") == 0.75
    page.keyboard.press("m")
    assert media(page, "v.muted") is False
    page.keyboard.press("m")
    assert media(page, "v.muted") is True
    page.keyboard.press("d")
    assert page.get_by_label("Audio description").is_checked()
    assert page.locator(".app-player__status").inner_text() == "Audio description on."
    page.keyboard.press("k")
    page.wait_for_function("() => !document.querySelector('video').paused")
    page.keyboard.press("k")
    assert media(page, "v.paused") is True

    # Letters typed into a control inside the player stay with that control.
    page.get_by_label("Speed").focus()
    page.keyboard.press("k")
    assert media(page, "v.paused") is True
    # "?" opens the list of shortcuts from anywhere in the player.
    page.get_by_label("Audio description").focus()
    page.keyboard.press("?")
    assert page.get_by_role("dialog", name="Keyboard shortcuts").is_visible()


def test_speed_select_changes_the_playback_rate(page, live_server):
    open_player(page, live_server + ARTICLE)
    speed = page.get_by_label("Speed")
    assert speed.evaluate("select => [...select.options].map((o) => o.value)") == [
        "0.75", "1", "1.25", "1.5", "1.75", "2"]
    speed.select_option("1.5")
    assert media(page, "v.playbackRate") == 1.5
    speed.select_option("0.75")
    assert media(page, "v.playbackRate") == 0.75
    # A rate set elsewhere (the native menu) shows in the select.
    page.evaluate("document.querySelector('video').playbackRate = 2")
    page.wait_for_function("() => document.querySelector('#player select').value === '2'")


# --- transcript -----------------------------------------------------------------------------

def test_playing_moves_the_transcript_highlight(page, live_server):
    open_player(page, live_server + ARTICLE)
    play_muted_from(page, 7.0)
    page.wait_for_function(f"() => document.querySelector('{CURRENT}')")
    assert current_starts(page) == ["0.5"]
    current = page.locator(CURRENT)
    assert "twenty to midnight" in current.inner_text()
    assert "app-transcript__cue--current" in current.get_attribute("class")
    # Not colour alone: the current paragraph has a bar at its start edge.
    assert current.evaluate("node => parseFloat(getComputedStyle(node).borderInlineStartWidth)") >= 3
    # Playback carries on into the next cues: the description and the captain's words.
    page.wait_for_function(f"""() => [...document.querySelectorAll('{CURRENT}')]
                                     .map((node) => node.dataset.start).join() === '8.2,8.2'""",
                           timeout=15_000)
    assert page.locator(CURRENT).count() == 2


def test_autoscroll_scrolls_only_the_transcript_box_and_never_moves_focus(page, live_server):
    open_player(page, live_server + ARTICLE)
    body = page.locator(f"{ENGLISH} .app-transcript__body")
    assert body.evaluate("node => node.scrollHeight > node.clientHeight"), "the transcript box does not scroll"
    toggle = page.get_by_label("Scroll the transcript with the video")
    assert toggle.is_checked()

    # Switched off, the box stays where the reader left it.
    toggle.uncheck()
    page.evaluate("document.querySelector('video').currentTime = 27")
    page.wait_for_function(f"() => document.querySelector('{CURRENT}[data-start=\"26.6\"]')")
    assert body.evaluate("node => node.scrollTop") == 0

    # Switched on, it brings the current paragraph into view at once, and then follows the clip.
    toggle.check()
    page.wait_for_function(f"() => document.querySelector('{ENGLISH} .app-transcript__body').scrollTop > 0")
    search = page.get_by_label("Search the transcript")
    search.focus()
    window_y = page.evaluate("scrollY")
    page.evaluate("document.querySelector('video').currentTime = 0.6")
    page.wait_for_function(f"() => document.querySelector('{ENGLISH} .app-transcript__body').scrollTop === 0")
    # The page did not move and focus stayed where the reader put it.
    assert page.evaluate("document.activeElement.type") == "search"
    assert page.evaluate("scrollY") == window_y

    # The choice is remembered.
    toggle.uncheck()
    page.reload()
    page.wait_for_selector(".app-transcript--enhanced")
    assert not page.get_by_label("Scroll the transcript with the video").is_checked()


def test_autoscroll_is_off_by_default_with_reduced_motion(new_context, live_server):
    page = new_context(reduced_motion="reduce").new_page()
    open_player(page, live_server + ARTICLE)
    assert not page.get_by_label("Scroll the transcript with the video").is_checked()


def test_clicking_a_transcript_paragraph_seeks_without_reloading(page, live_server):
    open_player(page, live_server + ARTICLE)
    mark_page(page)
    page.locator(f'{ENGLISH} .app-transcript__paragraph[data-start="15.6"]').click(position={"x": 200, "y": 5})
    assert media(page, "v.currentTime") == pytest.approx(15.6, abs=0.1)
    page.wait_for_function(f"() => document.querySelector('{CURRENT}[data-start=\"15.6\"]')")

    # The time link, with Enter: the link keeps focus and the page stays.
    link = page.locator(f'{ENGLISH} .app-transcript__paragraph[data-start="23.0"] a')
    link.focus()
    page.keyboard.press("Enter")
    assert media(page, "v.currentTime") == pytest.approx(23.0, abs=0.1)
    assert page.evaluate("document.activeElement.getAttribute('href')") == "?t=23#player"
    assert not_reloaded(page)
    assert "?t=" not in page.url


def test_transcript_search_filters_and_marks_matches(page, live_server):
    open_player(page, live_server + ARTICLE)
    cues = page.locator(f"{ENGLISH} .app-transcript__cue")
    original = cues.all_text_contents()
    search = page.get_by_label("Search the transcript")
    search.fill("ferry")
    visible = page.locator(f"{ENGLISH} .app-transcript__cue:visible")
    assert visible.count() == 3
    for text in visible.all_inner_texts():
        assert "ferry" in text.lower()
    assert page.locator(f"{ENGLISH} mark").all_inner_texts() == ["ferry", "ferry", "ferry"]
    # A heading whose paragraphs are all hidden goes too.
    assert page.locator(f"{ENGLISH} .app-transcript__chapter:visible").all_inner_texts() == [
        "Leaving Port Elsey", "Passengers and the arrival"]
    page.wait_for_function("""() => document.querySelector('.app-transcript__status').textContent
                              === '3 paragraphs match “ferry” (English: 3, Deutsch: 0).'""")
    # The time links are not searched: every paragraph has "Play the video from".
    search.fill("play the video")
    assert page.locator(f"{ENGLISH} .app-transcript__cue:visible").count() == 0
    search.fill("")
    assert page.locator(f"{ENGLISH} .app-transcript__cue:visible").count() == 10
    assert page.locator(f"{ENGLISH} mark").count() == 0
    # Clearing the search gives back the text exactly as the server wrote it.
    assert cues.all_text_contents() == original


def test_transcript_language_follows_the_caption_track(page, live_server):
    open_player(page, live_server + ARTICLE)
    german = page.locator('#transcript details[lang="de"]')
    assert german.evaluate("details => details.open") is False
    # What the native captions menu does when German is chosen.
    page.evaluate("""() => {
      for (const track of document.querySelector('video').textTracks) {
        if (track.kind === 'captions') track.mode = track.language === 'de' ? 'showing' : 'disabled';
      }
    }""")
    page.wait_for_function("""() => document.querySelector('#transcript details[lang="de"]').open""")
    # Other track changes (here the description track loading) leave a closed transcript closed.
    german.locator("summary").click()
    # Listening after the page's own listener: when this one has run, so has the page's.
    page.evaluate("""() => { window.tracksChanged = new Promise((done) => document.querySelector('video')
                               .textTracks.addEventListener('change', done, {once: true})); }""")
    page.get_by_label("Audio description").check()
    page.evaluate("() => window.tracksChanged")
    assert german.evaluate("details => details.open") is False


# --- chapters -------------------------------------------------------------------------------

def test_chapter_link_seeks_and_becomes_current(page, live_server):
    open_player(page, live_server + ARTICLE)
    mark_page(page)
    chapters = page.locator("nav.app-chapters a")
    assert chapters.first.get_attribute("aria-current") == "true"
    chapters.nth(1).click()
    assert media(page, "v.currentTime") == pytest.approx(8.0, abs=0.1)
    assert chapters.nth(1).get_attribute("aria-current") == "true"
    assert chapters.first.get_attribute("aria-current") is None
    assert chapters.nth(1).evaluate("link => getComputedStyle(link).fontWeight") == "700"
    assert chapters.nth(1).evaluate("link => parseFloat(getComputedStyle(link).borderInlineStartWidth)") >= 3
    assert not_reloaded(page) and "?t=" not in page.url
    # Playback marks the chapter it reaches.
    play_muted_from(page, 18.5)
    page.wait_for_function("() => document.querySelectorAll('nav.app-chapters a')[2]"
                           ".getAttribute('aria-current') === 'true'", timeout=10_000)
    assert chapters.nth(1).get_attribute("aria-current") is None


# --- caption style --------------------------------------------------------------------------

def cue_properties(page) -> dict:
    return page.evaluate("""() => {
      const style = getComputedStyle(document.querySelector('video'));
      return Object.fromEntries(['size', 'color', 'background', 'font'].map(
        (name) => [name, style.getPropertyValue('--app-cue-' + name).trim()]));
    }""")


def test_caption_style_is_applied_kept_after_a_reload_and_reset(page, live_server):
    open_player(page, live_server + ARTICLE)
    assert cue_properties(page)["size"] == "100%"
    open_settings(page)
    page.get_by_label("Text size").select_option("150")
    page.get_by_label("Text colour").select_option(label="Yellow")
    page.get_by_label("Background colour").select_option(label="Dark blue")
    page.get_by_label("Background opacity").select_option("100")
    page.get_by_label("Font").select_option(label="Serif")
    expected = {"size": "150%", "color": "#ffff00", "background": "rgba(11, 61, 145, 1)"}
    assert {key: cue_properties(page)[key] for key in expected} == expected
    assert "serif" in cue_properties(page)["font"]
    # The preview shows the same style.
    preview = page.locator(".app-caption-style__cue").evaluate(
        "node => [getComputedStyle(node).color, getComputedStyle(node).backgroundColor]")
    assert preview == ["rgb(255, 255, 0)", "rgb(11, 61, 145)"]
    stored = page.evaluate("JSON.parse(localStorage.getItem('newsreel:captions'))")
    assert stored["size"] == "150" and stored["color"] == "#ffff00"
    assert page.context.cookies() == []

    page.reload()
    page.wait_for_selector(".app-player__controls")
    assert {key: cue_properties(page)[key] for key in expected} == expected
    assert page.get_by_label("Text size").input_value() == "150"

    open_settings(page)
    page.get_by_role("button", name="Reset caption style").click()
    assert cue_properties(page)["size"] == "100%"
    assert cue_properties(page)["color"] == "#ffffff"
    assert page.get_by_label("Text size").input_value() == "100"
    assert page.evaluate("localStorage.getItem('newsreel:captions')") is None


def test_caption_style_warns_about_colours_that_cannot_be_told_apart(page, live_server):
    open_player(page, live_server + ARTICLE)
    open_settings(page)
    warning = page.locator(".app-caption-style__warning")
    assert warning.inner_text() == ""
    page.get_by_label("Background colour").select_option(label="White")
    assert warning.inner_text().startswith("These colours are hard to tell apart (contrast 1.0 to 1)")
    page.get_by_label("Background opacity").select_option("25")
    assert warning.inner_text() == ""


def light_pixels(page) -> int:
    shot = Image.open(io.BytesIO(page.locator("video").screenshot())).convert("RGB")
    return sum(1 for red, green, blue in shot.get_flattened_data() if min(red, green, blue) > 235)


def test_caption_style_reaches_the_cues_drawn_on_the_video(page, live_server):
    open_player(page, live_server + ARTICLE)
    rules = page.evaluate("""() => [...document.styleSheets].flatMap((sheet) => [...sheet.cssRules])
      .filter((rule) => rule.selectorText && rule.selectorText.includes('::cue'))
      .map((rule) => rule.style.getPropertyValue('background-color'))""")
    assert rules == ["var(--app-cue-background, rgba(0, 0, 0, 0.8))"]
    # Without native controls, whose shading would darken the cues; one still frame for both shots.
    page.evaluate("""async () => {
      const v = document.querySelector('video');
      v.controls = false;
      v.currentTime = 1.5;
      await new Promise((done) => v.addEventListener('seeked', done, {once: true}));
    }""")
    page.wait_for_function("""() => [...document.querySelector('video').textTracks]
                              .some((t) => t.mode === 'showing' && t.activeCues && t.activeCues.length)""")
    before = light_pixels(page)
    open_settings(page)
    page.get_by_label("Text colour").select_option(label="Black")
    page.get_by_label("Background colour").select_option(label="White")
    page.get_by_label("Background opacity").select_option("100")
    # A white box behind the cue: many more light pixels on the same frame.
    after = light_pixels(page)
    assert after > before + 2000, (before, after)


# --- audio description ----------------------------------------------------------------------

def test_description_cues_reach_the_live_region_when_description_is_on(page, unspoken_live_server):
    open_player(page, unspoken_live_server + ARTICLE)
    live = page.locator('#player [aria-live="polite"]')
    assert live.inner_text() == ""
    described = "[...v.textTracks].find((t) => t.kind === 'descriptions').mode"
    assert media(page, described) == "disabled"
    # Off: playing through a description cue writes nothing.
    play_muted_from(page, 7.6)
    page.wait_for_function("() => document.querySelector('video').currentTime > 8.6", timeout=10_000)
    assert live.inner_text() == ""

    page.get_by_label("Audio description").check()
    assert media(page, described) == "hidden"
    play_muted_from(page, 15.0)
    page.wait_for_function("""() => document.querySelector('#player [aria-live="polite"]')
                              .textContent.includes('The deck is full')""", timeout=10_000)
    assert live.inner_text() == ("Description: The deck is full: nurses in uniform, "
                                 "a school band with instrument cases.")
    # The choice is remembered, and turning it off empties the region.
    page.reload()
    page.wait_for_selector(".app-player__controls")
    assert page.get_by_label("Audio description").is_checked()
    page.get_by_label("Audio description").uncheck()
    assert media(page, described) == "disabled"
    assert live.inner_text() == ""


def test_speech_settings_offer_voice_rate_and_extended_description(page, live_server):
    open_player(page, live_server + ARTICLE)
    open_settings(page)
    assert page.get_by_role("group", name="Caption style").is_visible()
    assert page.get_by_role("group", name="Speech").is_visible()
    voice = page.get_by_label("Voice")
    assert voice.evaluate("select => [...select.options].slice(0, 2).map((o) => o.text)") == [
        "Browser default", "No voice: text only"]
    page.get_by_label("Speaking rate").select_option("1.5")
    page.get_by_label("Pause the video while a description is read").check()
    page.get_by_label("Spoken captions").check()
    stored = page.evaluate("JSON.parse(localStorage.getItem('newsreel:speech'))")
    assert stored["rate"] == "1.5" and stored["extended"] is True and stored["spoken"] is True


def count_pauses(page) -> None:
    page.evaluate("""() => { window.pauses = 0;
      document.querySelector('video').addEventListener('pause', () => { window.pauses += 1; }); }""")


@pytest.mark.parametrize("voice, pauses", [("", 1), ("none", 0)])
def test_extended_description_pauses_the_clip_only_while_a_voice_reads(page, unspoken_live_server, voice, pauses):
    open_player(page, unspoken_live_server + ARTICLE)
    open_settings(page)
    page.get_by_label("Audio description").check()
    page.get_by_label("Pause the video while a description is read").check()
    page.get_by_label("Voice").select_option(voice)
    count_pauses(page)
    play_muted_from(page, 15.0)
    page.wait_for_function("""() => document.querySelector('#player [aria-live="polite"]')
                              .textContent.includes('The deck is full')""", timeout=10_000)
    # Headless Chromium has no voice, so speaking fails at once and the clip goes on; a
    # real voice holds it until the end of the sentence.
    page.wait_for_function("() => document.querySelector('video').currentTime > 16.5", timeout=15_000)
    assert media(page, "v.paused") is False
    assert page.evaluate("window.pauses") == pauses


# --- console, layout ------------------------------------------------------------------------

def test_player_logs_no_console_errors_or_csp_violations(page, unspoken_live_server):
    errors = collect_console_errors(page)
    open_player(page, unspoken_live_server + ARTICLE)
    open_settings(page)
    page.get_by_label("Audio description").check()
    page.get_by_label("Spoken captions").check()
    page.get_by_label("Text size").select_option("200")
    page.get_by_label("Search the transcript").fill("island")
    page.locator("nav.app-chapters a").nth(2).click()
    play_muted_from(page, 26.0)
    page.wait_for_function("""() => document.querySelector('#player [aria-live="polite"]')
                              .textContent.includes('Marrow Island')""", timeout=10_000)
    page.get_by_role("button", name="Keyboard shortcuts").click()
    page.keyboard.press("Escape")
    page.wait_for_load_state("networkidle")
    assert errors == []


@pytest.mark.parametrize("name, options", [
    ("320px", {"viewport": {"width": 320, "height": 640}}),
    ("zoom-200", {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}),
    ("forced-colours", {"viewport": {"width": 1024, "height": 768}, "forced_colors": "active"}),
])
def test_enhanced_player_reflows_without_horizontal_scroll(new_context, live_server, tmp_path, name, options):
    page = new_context(reduced_motion="reduce", **options).new_page()
    open_player(page, live_server + ARTICLE)
    open_settings(page)
    page.evaluate("document.querySelector('video').currentTime = 8.5")
    page.wait_for_function(f"() => document.querySelector('{CURRENT}')")
    widths = page.evaluate("({scroll: document.documentElement.scrollWidth, inner: innerWidth})")
    assert widths["scroll"] <= widths["inner"], widths
    if name == "forced-colours":
        # The highlight survives forced colours: a system-coloured outline, not a background.
        outline = page.locator(CURRENT).first.evaluate("node => getComputedStyle(node).outlineStyle")
        assert outline == "solid"
    shot = tmp_path / f"article-player-{name}.png"
    page.screenshot(path=shot, full_page=True, mask=[page.locator("video")])
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.get_by_role("button", name="Keyboard shortcuts").click()
    dialog = page.locator("dialog.app-shortcuts")
    assert dialog.evaluate("node => node.scrollWidth <= node.clientWidth")
    page.screenshot(path=tmp_path / f"article-shortcuts-{name}.png")
