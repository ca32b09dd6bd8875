"""Pages read in lynx and w3m: fallback content, transcript, credits, no bare image names."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from conftest import require_tool

from media.demo.content import TOP_STORY

HEADLINES = (
    "The night ferry to Marrow Island sails again",
    "Port Elsey's reading room stays open until midnight",
    "A garden on the school roof keeps classrooms cooler",
)
# Sound cues in the demo captions; any other [bracketed] text is a text browser's stand-in for an
# image without alt: lynx prints [photo.jpg], w3m a cut-down name such as [photo] or [3efb21c5].
# bracketed text that the transcript shows on purpose: sound cues and audio descriptions
SOUND_CUES = {"[Ship's horn]", "[Schiffshorn]",
              *(f"[{text}]" for _, _, text in TOP_STORY["descriptions_en"])}

BROWSERS = {
    "lynx": lambda tool, url: [tool, "-dump", "-nolist", "-display_charset=utf-8", "-width=100", url],
    "w3m": lambda tool, url: [tool, "-dump", "-O", "UTF-8", "-cols", "100", url],
}


def dump(reader: str, url: str) -> str:
    """Return the page as the text browser renders it, with runs of whitespace folded to one space."""
    tool = require_tool(reader)
    # CI runs with no locale: the charset options, not LANG, must make the output UTF-8.
    env = {key: value for key, value in os.environ.items()
           if key not in ("LANG", "LANGUAGE") and not key.startswith("LC_")}
    finished = subprocess.run(BROWSERS[reader](tool, url), capture_output=True, env=env,
                              timeout=60, check=False)
    assert finished.returncode == 0, finished.stderr.decode("utf-8", "replace")
    return " ".join(finished.stdout.decode("utf-8").split())


def image_placeholders(text: str) -> set[str]:
    """Return the bracketed words in a dump that are not sound cues."""
    # w3m draws the empty search field as brackets around blanks: not an image.
    return {found for found in re.findall(r"\[[^\]]*\]", text) if found.strip("[] _")} - SOUND_CUES


@pytest.mark.parametrize("reader", sorted(BROWSERS))
def test_article_reads_in_a_text_browser(reader, live_server):
    text = dump(reader, live_server + "/articles/night-ferry-returns")
    assert HEADLINES[0] in text
    assert "This video cannot be played here. Read the transcript or download the video (MP4," in text
    assert "It is twenty to midnight in Port Elsey." in text
    # The German transcript is closed in a browser; text browsers show it, in UTF-8.
    assert "Es ist zwanzig vor zwölf in Port Elsey." in text
    assert "Image: Newsreel demo desk / Studio Elsey" in text
    assert "More stories" in text
    assert HEADLINES[1] in text and HEADLINES[2] in text
    assert "[Ship's horn]" in text
    assert "[In the wheelhouse, the captain checks the instruments.]" in text
    assert "Chapters 1. 0:00 Leaving Port Elsey 2. 0:08 The repaired ferry" in text
    assert image_placeholders(text) == set()


@pytest.mark.parametrize("reader", sorted(BROWSERS))
def test_home_page_reads_in_a_text_browser(reader, live_server):
    text = dump(reader, live_server + "/")
    assert "Latest news" in text
    for headline in HEADLINES:
        assert headline in text
    assert "Image: Newsreel demo desk / Studio Elsey" in text
    # three stories and the Arabic version of the garden story
    assert text.count("Image: Newsreel demo desk") == 4
    assert "· Video" in text
    assert image_placeholders(text) == set()


@pytest.mark.parametrize("reader", sorted(BROWSERS))
@pytest.mark.parametrize("name", ["harbour-at-dusk.jpg", "media/3efb21c5818d7f90.webp"])
def test_image_without_alt_shows_as_a_placeholder(reader, name, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="en"><title>Bad</title>'
                    f'<p>Before <img src="{name}"> after [Ship\'s horn]</p></html>', encoding="utf-8")
    text = dump(reader, page.as_uri())
    assert "Before" in text and "after" in text
    found = image_placeholders(text)
    assert len(found) == 1, text
    assert name.rsplit("/", 1)[-1].startswith(found.pop().strip("[]"))
