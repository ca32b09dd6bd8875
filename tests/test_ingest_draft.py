"""Ingest drafts the captions a bundle asks for, with the bundle's own words as the hint.

A caption entry marked ``automatic: true`` whose file the bundle does not
have is drafted from the clip by speech recognition, with article.md (title,
summary, photo captions and descriptions, body) as the hint, published
labelled automatic, and never written into the bundle.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from articles.bundle import BundleError, load_bundle
from articles.ingest import ingest_bundle
from articles.store import Library
from media.ffmpeg import tools
from tests.conftest import require_tool
from tests.speech import speak
from tests.test_ingest import replace_in_article

DATA = Path(__file__).parent / "data"
CAPTION_ENTRY = "    - file: clip.en.vtt\n      language: en\n"
# the first two paragraphs of the school garden story: about 20 seconds
SAID = "\n\n".join((DATA / "speech" / "school-garden.txt").read_text(encoding="utf-8").split("\n\n")[:2])


@pytest.fixture(autouse=True)
def _pocketsphinx_present(pocketsphinx_present):
    """Every test here needs the speech engine."""


@pytest.fixture(scope="module")
def speaking_clip(tmp_path_factory) -> Path:
    """A small H.264/AAC clip whose sound is espeak-ng reading the story."""
    require_tool("espeak-ng")
    folder = tmp_path_factory.mktemp("speaking")
    wav = folder / "speech.wav"
    speak(SAID, wav)
    clip = folder / "clip.mp4"
    subprocess.run([tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-i", str(wav), "-shortest",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(clip)], check=True)
    return clip


@pytest.fixture
def asking(small_bundle, speaking_clip) -> Path:
    """The small bundle with a speaking clip, asking for automatic captions it does not have."""
    (small_bundle / "clip.mp4").write_bytes(speaking_clip.read_bytes())
    (small_bundle / "clip.en.vtt").unlink()
    replace_in_article(small_bundle, CAPTION_ENTRY, f"{CAPTION_ENTRY}      automatic: true\n")
    replace_in_article(small_bundle, "title: A small story", "title: Hillcrest pupils grow a vegetable garden")
    replace_in_article(small_bundle, "caption: Made with Pillow.", "caption: Beans and pumpkins in raised beds.")
    replace_in_article(small_bundle, "Body text with *emphasis*.",
                       (DATA / "hints" / "school-garden.txt").read_text(encoding="utf-8"))
    return small_bundle


def test_a_missing_automatic_captions_file_is_drafted_with_the_article_as_hint(tmp_path, asking):
    before = sorted(path.name for path in asking.iterdir())
    library = Library(tmp_path / "lib")
    result = ingest_bundle(asking, library)
    [track] = library.article("small-story").document.video.tracks
    assert track.automatic and track.label == "English"
    text = (library.media_dir / track.src).read_text(encoding="utf-8").lower()
    # the story's own words, which the general model alone does not find here
    assert {"hillcrest", "garden", "pupils"} <= set(text.split())
    assert any("drafted by speech recognition" in note and "article.md as the hint" in note
               for note in result.notes)
    # nothing is written into the bundle
    assert sorted(path.name for path in asking.iterdir()) == before


def test_only_an_automatic_captions_file_may_be_missing(asking):
    replace_in_article(asking, "      automatic: true\n", "      automatic: true\n      kind: subtitles\n")
    with pytest.raises(BundleError, match="only a missing .vtt captions file marked automatic: true"):
        load_bundle(asking)


def test_a_missing_file_not_marked_automatic_is_still_refused(asking):
    replace_in_article(asking, "      automatic: true\n", "")
    with pytest.raises(BundleError, match="file not found"):
        load_bundle(asking)
