"""The player's weight and markup, without a browser: HTML + CSS + JS budget, module loading, hooks."""

from __future__ import annotations

import gzip
import re
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from tests.conftest import ROOT

ARTICLE = "/articles/night-ferry-returns"
# the 60 KB of HTML + CSS + JS "transferred": as the app sends them to a
# browser that accepts gzip, which every browser does
BUDGET = 60_000
JS = ROOT / "static" / "js"
IMPORT = re.compile(r"""^\s*import\s+(?:[\w{}\s,*]+\s+from\s+)?['"](\.{1,2}/[^'"]+)['"]""", re.MULTILINE)


def fetch(client, url: str, encoding: str = "identity") -> bytes:
    """Return the body of a GET as sent, closing the response (static files are open files)."""
    with client.get(url, headers={"Accept-Encoding": encoding}) as response:
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data()


def page_assets(client, url: str) -> dict[str, bytes]:
    """Return the page and every stylesheet and script it loads, modules followed through their imports."""
    html = fetch(client, url)
    files = {url: html}
    page = BeautifulSoup(html, "html.parser")
    queue = [link["href"] for link in page.find_all("link", rel="stylesheet")]
    queue += [script["src"] for script in page.find_all("script", src=True)]
    while queue:
        asset = queue.pop()
        path = urlsplit(asset).path
        if path in files:
            continue
        body = fetch(client, asset)
        files[path] = body
        if path.endswith(".js"):
            queue += [urljoin(path, name) for name in IMPORT.findall(body.decode("utf-8"))]
    return files


def test_article_html_css_and_js_stay_under_60_kb(client):
    files = page_assets(client, ARTICLE)
    raw = sum(len(body) for body in files.values())
    sent = {path: fetch(client, path, "gzip") for path in files}
    transferred = sum(len(body) for body in sent.values())
    sizes = ", ".join(f"{path} {len(sent[path])}/{len(body)}" for path, body in files.items())
    assert transferred < BUDGET, f"{transferred} bytes sent ({raw} uncompressed): {sizes}"
    # what was sent really is the page: compression, not truncation
    assert all(gzip.decompress(sent[path]) == body for path, body in files.items())
    # Every player module is counted: none is loaded some way the walk above misses.
    loaded = {path.rsplit("/", 1)[-1] for path in files if path.endswith(".js")}
    assert loaded == {path.name for path in JS.glob("*.js")}


def test_scripts_are_modules_that_never_block_rendering(client):
    page = BeautifulSoup(fetch(client, ARTICLE), "html.parser")
    scripts = page.find_all("script", src=True)
    assert [urlsplit(script["src"]).path for script in scripts] == ["/static/js/player.js"]
    for script in scripts:
        assert script.get("type") == "module" or script.has_attr("defer") or script.has_attr("async")


def test_player_script_follows_the_figure_whose_caption_stays_last(client):
    page = BeautifulSoup(fetch(client, ARTICLE), "html.parser")
    figure = page.find("figure", id="player")
    assert figure["data-module"] == "app-player"
    assert figure.find_all(recursive=False)[-1].name == "figcaption"
    assert figure.find_next_sibling().name == "script"


def test_transcript_and_chapters_carry_the_times_the_script_reads(client):
    page = BeautifulSoup(fetch(client, ARTICLE), "html.parser")
    transcript = page.find(id="transcript")
    assert transcript["data-module"] == "app-transcript" and transcript["data-player"] == "player"
    english = transcript.find("details", lang="en")
    cues = english.select(".app-transcript__cue")
    assert [(cue["data-start"], cue["data-end"]) for cue in cues[:2]] == [("0.5", "4.0"), ("0.5", "7.8")]
    for cue in cues:
        # The link still works alone: it reloads the page at the whole second.
        assert cue.a["href"] == f"?t={int(float(cue['data-start']))}#player"
        assert float(cue["data-start"]) < float(cue["data-end"])
    nav = page.find("nav", class_="app-chapters")
    assert nav["data-module"] == "app-chapters" and nav["data-player"] == "player"
    assert [(a["data-start"], a["data-end"]) for a in nav.find_all("a")] == [
        ("0.0", "8.0"), ("8.0", "19.0"), ("19.0", "32.0")]


def test_player_scripts_never_parse_markup_or_run_strings():
    # Cue text, labels and voice names are data: they go in as text nodes only.
    forbidden = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval|Function)\b"
                           r"|setAttribute\(\s*['\"]style|\.cookie\b")
    for path in JS.glob("*.js"):
        found = forbidden.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name}: {found}"


def test_player_stylesheet_respects_motion_and_forced_colours():
    css = (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert "::cue" in css
    forced = css[css.index("@media (forced-colors: active)"):]
    for selector in (".app-transcript__cue--current", ".app-chapters__link--current", ".app-transcript__match"):
        assert selector in forced, selector
    assert "@media (prefers-reduced-motion: reduce)" in css
    # Smooth scrolling is chosen in script, and only when motion is welcome.
    assert "scroll-behavior: smooth" not in css
