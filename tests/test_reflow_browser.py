"""Reflow (WCAG 1.4.10) in Chromium: article text with words longer than a phone is wide.

Every text field of the stories here holds a 60-character word. At 320 CSS px (a 1280 px
window zoomed to 400 %) and at 640 CSS px (the same window at 200 %) the words must wrap:
no page scrolls sideways and no text runs past the edge of the viewport.
"""

from __future__ import annotations

import shutil
from urllib.parse import quote

import pytest
import yaml

from app import create_app
from articles.ingest import ingest_bundle
from articles.store import Library
from media.demo.bundles import to_vtt, write_photo
from media.demo.pictures import harbour
from tests.conftest import serving
from tests.test_browser import axe_source, describe, gate_failures, open_page, run_axe

# axe_source is a fixture: importing it makes it available to the tests here.
__all__ = ["axe_source"]

pytestmark = [
    pytest.mark.browser,
    # Chromium often resets a media connection after a Range response has been written; werkzeug's
    # dev server (3.1) then skips closing the response, so the file is closed by the GC instead.
    pytest.mark.filterwarnings(
        r"ignore:unclosed file <_io\.BufferedReader name='[^']*/media/[0-9a-f]+\.\w+'>:ResourceWarning"),
]

WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenkasse"
URL = "https://example.org/Verkehrsinfrastrukturfinanzierungsgesetz"
CODE = "transcript_of_each_clip_is_read_before_the_clip_is_published"
ENGLISH, GERMAN = "long-words", "long-words-de"

PAGES = [
    pytest.param("/", 200, id="home"),
    pytest.param(f"/articles/{ENGLISH}", 200, id="article"),
    pytest.param(f"/articles/{GERMAN}", 200, id="article-de"),
    pytest.param(f"/search?q={quote(WORD)}", 200, id="search"),
    pytest.param(f"/embed/{ENGLISH}", 200, id="embed"),
    pytest.param(f"/articles/{ENGLISH}-{'x' * 60}", 404, id="not-found"),
]

# Every element box and every piece of text that lies outside the viewport, except text that is
# clipped on purpose (visually hidden for screen readers). Text can overflow a box that stays in
# view, so text is measured by itself, line by line.
OUTSIDE = """() => {
  const width = document.documentElement.clientWidth;
  const outside = (rect) => rect.width > 0 && (rect.left < -0.5 || rect.right > width + 0.5);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const clipped = (el) => {
    for (; el; el = el.parentElement) {
      if (getComputedStyle(el).clipPath !== 'none') return true;
    }
    return false;
  };
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const rect = el.getBoundingClientRect();
    if (outside(rect) && !clipped(el)) found.push(`${name(el)} ${Math.round(rect.left)}..${Math.round(rect.right)}`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim() || clipped(node.parentElement)) continue;
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      if (outside(rect)) {
        found.push(`text in ${name(node.parentElement)} ${Math.round(rect.left)}..${Math.round(rect.right)}`);
        break;
      }
    }
  }
  return found;
}"""


def write_story(folder, clip, slug: str, language: str, fields: dict) -> None:
    """Write a one-clip, one-photo bundle whose every text field holds WORD."""
    folder.mkdir(parents=True)
    shutil.copy(clip, folder / "clip.mp4")
    (folder / "clip.vtt").write_text(to_vtt([
        (0.0, 0.9, f"<v {WORD}>The word {WORD} is long."),
        (1.0, 1.9, f"{WORD} and {URL}"),
    ]), encoding="utf-8")
    (folder / "descriptions.vtt").write_text(to_vtt([(0.2, 1.5, f"A sign reads {WORD}.")]),
                                             encoding="utf-8")
    (folder / "chapters.vtt").write_text(to_vtt([(0.0, 1.0, f"{WORD} begins"),
                                                 (1.0, 2.0, f"{WORD} ends")]), encoding="utf-8")
    write_photo(folder / "photo.jpg", harbour(800, 450))
    front = {
        "slug": slug, "title": f"{WORD} sails {WORD}", "published": "2026-11-01T10:00:00Z",
        "language": language, "summary": f"A summary: {WORD} {URL}",
        "video": {"source": "clip.mp4", "title": f"Clip {WORD}", "credit": f"Video: {WORD}",
                  "captions": [
                      {"file": "clip.vtt", "language": language, "label": WORD},
                      {"file": "descriptions.vtt", "language": language, "kind": "descriptions"},
                      {"file": "chapters.vtt", "language": language, "kind": "chapters"}]},
        "images": [{"source": "photo.jpg", "alt": f"A harbour {WORD}",
                    "caption": f"The {WORD} at dusk {URL}", "credit": WORD}],
        **fields,
    }
    body = (f"A paragraph with {WORD} in it, a link to [{URL}]({URL}), the bare address <{URL}> "
            f"and the setting `{CODE}`.\n\n"
            f"```\n{CODE} = {WORD!r}\n```\n\n"
            f"- {WORD}\n\n> {WORD}\n")
    (folder / "article.md").write_text(
        f"---\n{yaml.safe_dump(front, allow_unicode=True, sort_keys=False)}---\n\n{body}",
        encoding="utf-8")


@pytest.fixture(scope="module")
def long_words_server(tmp_path_factory, small_clip):
    """The app serving two stories, an English one and its German version, made of long words."""
    content = tmp_path_factory.mktemp("long-words") / "content"
    write_story(content / ENGLISH, small_clip, ENGLISH, "en",
                {"top": True, "related": [GERMAN], "translations": {"de": GERMAN}})
    write_story(content / GERMAN, small_clip, GERMAN, "de",
                {"related": [ENGLISH], "translations": {"en": ENGLISH}})
    library = Library(content.parent / "library")
    for folder in (content / ENGLISH, content / GERMAN):
        ingest_bundle(folder, library)
    with serving(create_app({"LIBRARY": str(library.root)})) as url:
        yield url


def test_every_long_word_is_60_characters():
    assert len(WORD) == len(URL) == len(CODE) == 60


@pytest.mark.parametrize("width", [320, 640])
@pytest.mark.parametrize("path, status", PAGES)
def test_long_words_wrap_instead_of_widening_the_page(new_context, long_words_server, path, status,
                                                      width):
    page = new_context(viewport={"width": width, "height": 640}).new_page()
    open_page(page, long_words_server + path, status)
    if status == 200:
        assert WORD in page.locator("body").inner_text()
    # Every <details> open: each transcript panel, and the player's settings.
    page.evaluate("() => document.querySelectorAll('details').forEach((el) => { el.open = true; })")
    widths = page.evaluate("""() => ({scroll: document.documentElement.scrollWidth,
                                      client: document.documentElement.clientWidth})""")
    assert widths["client"] == width
    assert widths["scroll"] <= width, f"{path} is {widths['scroll']}px wide"
    outside = page.evaluate(OUTSIDE)
    assert not outside, f"{path} at {width}px: " + "; ".join(outside)


@pytest.mark.parametrize("path, status", PAGES)
def test_axe_finds_no_wcag_failures_with_long_words(new_context, long_words_server, axe_source,
                                                    path, status):
    page = new_context(viewport={"width": 320, "height": 640}, reduced_motion="reduce").new_page()
    open_page(page, long_words_server + path, status)
    failures = gate_failures(run_axe(page, axe_source))
    assert not failures, f"axe on {path}:\n{describe(failures)}"
