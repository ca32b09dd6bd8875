"""Search, embed, language versions and error pages in Chromium: axe-core, keyboard, reflow."""

from __future__ import annotations

import pytest

from tests.test_browser import (
    axe_source,
    describe,
    focused,
    gate_failures,
    open_page,
    run_axe,
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

EMBED = "/embed/night-ferry-returns"


@pytest.mark.parametrize("path, status", [
    ("/search", 200),
    ("/search?q=ferry", 200),
    ("/search?q=%D8%A7%D9%84%D8%AD%D8%AF%D9%8A%D9%82%D8%A9", 200),
    ("/search?q=zeppelin", 200),
    ("/search?q=" + "x" * 300, 400),
    (EMBED, 200),
    ("/embed/school-roof-garden-ar", 200),
    ("/articles/school-roof-garden-ar", 200),
    ("/articles/no-such-story", 404),
])
def test_axe_finds_no_wcag_failures(new_context, live_server, axe_source, path, status):
    page = new_context(reduced_motion="reduce").new_page()
    open_page(page, live_server + path, status)
    failures = gate_failures(run_axe(page, axe_source))
    assert not failures, f"axe on {path}:\n{describe(failures)}"


def tab_until(page, predicate, limit: int = 30) -> list[dict]:
    """Press Tab until ``predicate(focused element)`` holds; return every stop on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if predicate(stops[-1], page):
            return stops
    raise AssertionError(f"never reached: {stops}")


def test_search_by_keyboard_from_the_header_to_a_moment_in_the_clip(page, live_server):
    open_page(page, live_server + "/")
    stops = tab_until(page, lambda _, p: p.evaluate("document.activeElement.id") == "header-search-q")
    assert stops[0]["text"] == "Skip to main content"
    assert len(stops) <= 4, stops  # skip link, logo, Home, then the search field
    page.keyboard.type("bakery")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == live_server + "/search?q=bakery"
    assert page.locator("h1").inner_text() == "Search"
    assert page.locator("#search-count").inner_text() == "1 story found for “bakery”."

    stops = tab_until(page, lambda stop, _: stop["text"].startswith("Play from"))
    texts = [stop["text"] for stop in stops]
    assert "The night ferry to Marrow Island sails again" in texts
    assert texts[-1] == "Play from 0:19"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == live_server + "/articles/night-ferry-returns?t=19#player"
    assert page.get_attribute("video source", "src").endswith("#t=19.000")


def test_search_page_field_is_labelled_and_reachable(page, live_server):
    open_page(page, live_server + "/search")
    field = page.get_by_role("searchbox", name="Search headlines, articles and transcripts")
    assert field.count() == 1
    tab_until(page, lambda _, p: p.evaluate("document.activeElement.id") == "search-q")


@pytest.mark.parametrize("path", ["/search?q=ferry", EMBED, "/articles/school-roof-garden-ar"])
def test_no_horizontal_scroll_at_320_pixels(new_context, live_server, path):
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    open_page(page, live_server + path)
    widths = page.evaluate("""() => ({scroll: document.documentElement.scrollWidth,
                                      client: document.documentElement.clientWidth})""")
    assert widths["scroll"] <= widths["client"], widths


def test_embed_player_loads_its_captions(page, live_server):
    open_page(page, live_server + EMBED)
    page.wait_for_function("""() => {
      const el = document.querySelector('track[srclang="en"][kind="captions"]');
      return el.readyState === 2 && el.track.cues && el.track.cues.length > 0;
    }""", timeout=10_000)
    assert page.evaluate("document.querySelector('track[srclang=\"en\"]').track.cues.length") == 9
    box = page.locator("video").bounding_box()
    assert box["width"] > 0 and box["height"] > 0


def test_right_to_left_article_lays_out_from_the_right(page, live_server):
    open_page(page, live_server + "/articles/school-roof-garden-ar")
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).direction") == "rtl"
    header = page.evaluate("getComputedStyle(document.querySelector('.app-article__versions a')).direction")
    assert header == "ltr"
