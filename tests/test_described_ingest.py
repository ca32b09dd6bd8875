"""Ingest makes the audio-described versions of a clip with a descriptions track.

Real runs: espeak-ng speaks, ffmpeg mixes and muxes, the library stores the
versions and gc keeps them. Bad descriptions are refused before anything is
written; a language espeak-ng cannot speak, or no espeak-ng at all, only
leaves the descriptions as text, with one note.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import timedelta

import pytest

from articles.collect import collect_orphans
from articles.ingest import ingest_bundle
from articles.store import Library
from media.demo.bundles import to_vtt
from media.ffmpeg import tools
from media.ffmpeg.probe import probe
from media.speech.errors import DescriptionsError
from tests.conftest import make_clip, require_tool, run_media_cli

CLIP_SECONDS = 8.0
CAPTIONS = [(0.5, 2.0, "The ferry leaves at night."), (5.5, 7.5, "It reaches the island soon.")]
# The first fits the pause between the captions; the second is too long for
# the half second before the next caption, so an extended version holds a frame for it.
DESCRIPTIONS = [(2.2, 5.0, "A red boat in the dark."),
                (5.0, 5.4, "The captain waves to the people on the quay and turns the wheel.")]


@pytest.fixture(autouse=True)
def _espeak():
    require_tool("espeak-ng")


@pytest.fixture(scope="module")
def longer_clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("described") / "clip.mp4", seconds=CLIP_SECONDS)


def _bundle(folder, clip, descriptions=DESCRIPTIONS, language="en"):
    folder.mkdir(parents=True)
    shutil.copy(clip, folder / "clip.mp4")
    (folder / "clip.en.vtt").write_text(to_vtt(CAPTIONS), encoding="utf-8")
    (folder / f"clip.{language}.descriptions.vtt").write_text(to_vtt(descriptions),
                                                              encoding="utf-8")
    (folder / "article.md").write_text(f"""\
---
title: A described story
published: 2026-11-01T10:00:00Z
language: en
summary: A bundle with spoken descriptions.
video:
  source: clip.mp4
  title: The described clip
  captions:
    - file: clip.en.vtt
      language: en
    - file: clip.{language}.descriptions.vtt
      language: {language}
      kind: descriptions
---

Body text.
""", encoding="utf-8")
    return folder


def test_ingest_stores_a_standard_and_an_extended_version(tmp_path, longer_clip):
    library = Library(tmp_path / "library")
    result = ingest_bundle(_bundle(tmp_path / "story", longer_clip), library)
    video = library.article("story").document.video
    standard, extended = video.described
    assert (standard.language, standard.extended, standard.media_type) == ("en", False, "video/mp4")
    assert extended.extended and extended.duration > standard.duration + 0.4
    assert abs(standard.duration - video.duration) <= 0.1
    for version in video.described:
        path = library.media_path(version.src)
        assert path in result.written
        assert path.stat().st_size == version.size
        assert probe(path).has_video and probe(path).has_audio
    # gc keeps what an article refers to, however old.
    removed = collect_orphans(library, older_than=timedelta(0))
    assert not [o for o in removed.orphans if "described" in o.path.name
                or "extended" in o.path.name]


def test_a_second_ingest_reuses_the_versions(tmp_path, longer_clip):
    library = Library(tmp_path / "library")
    folder = _bundle(tmp_path / "story", longer_clip)
    ingest_bundle(folder, library)
    first = library.article("story").document.video.described
    stamps = {v.src: library.media_path(v.src).stat().st_mtime_ns for v in first}
    # A changed body makes ingest run again; the clip and descriptions are the same.
    text = (folder / "article.md").read_text(encoding="utf-8")
    (folder / "article.md").write_text(text.replace("Body text.", "New body."), encoding="utf-8")
    result = ingest_bundle(folder, library)
    assert not result.skipped
    again = library.article("story").document.video.described
    assert again == first
    assert {v.src: library.media_path(v.src).stat().st_mtime_ns for v in again} == stamps
    assert not [p for p in result.written if p.name.endswith(("-described.mp4", "-extended.mp4"))]


def test_overlapping_descriptions_are_refused_before_anything_is_written(tmp_path, longer_clip):
    library = Library(tmp_path / "library")
    folder = _bundle(tmp_path / "story", longer_clip,
                     [(1.0, 4.0, "One thing."), (3.0, 6.0, "Another thing.")])
    with pytest.raises(DescriptionsError) as caught:
        ingest_bundle(folder, library)
    message = str(caught.value)
    assert message.startswith(f"{folder / 'clip.en.descriptions.vtt'}:")
    assert "overlap" in message and "\n" not in message
    media = library.media_dir
    assert not media.exists() or not any(media.iterdir())


def test_the_cli_names_the_file_and_line_of_an_overlap(tmp_path, longer_clip):
    folder = _bundle(tmp_path / "story", longer_clip,
                     [(1.0, 4.0, "One thing."), (3.0, 6.0, "Another thing.")])
    done = run_media_cli("ingest", "--library", str(tmp_path / "library"), str(folder))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "clip.en.descriptions.vtt:" in done.stderr and "overlap" in done.stderr


def test_a_description_after_the_end_of_the_clip_is_refused(tmp_path, longer_clip):
    folder = _bundle(tmp_path / "story", longer_clip, [(CLIP_SECONDS + 1, CLIP_SECONDS + 3, "Late.")])
    with pytest.raises(DescriptionsError, match="after the end of the clip"):
        ingest_bundle(folder, Library(tmp_path / "library"))


def test_a_language_without_a_voice_keeps_the_text_descriptions(tmp_path, longer_clip):
    # Yoruba: a language tag ingest accepts, and no espeak-ng voice speaks it.
    library = Library(tmp_path / "library")
    result = ingest_bundle(_bundle(tmp_path / "story", longer_clip, language="yo"), library)
    video = library.article("story").document.video
    assert video.described == ()
    assert any(t.kind == "descriptions" and t.language == "yo" for t in video.extra_tracks)
    notes = [n for n in result.notes if "no voice for language 'yo'" in n]
    assert len(notes) == 1 and "published as text only" in notes[0]
    assert notes[0].startswith(str(tmp_path / "story" / "clip.yo.descriptions.vtt"))


def test_without_espeak_ng_ingest_notes_it_and_publishes_the_text(tmp_path, longer_clip):
    tools_only = tmp_path / "bin"
    tools_only.mkdir()
    for name in ("ffmpeg", "ffprobe"):
        os.symlink(shutil.which(name) or getattr(tools, name)(), tools_only / name)
    folder = _bundle(tmp_path / "story", longer_clip)
    done = run_media_cli("ingest", "--library", str(tmp_path / "library"), str(folder),
                         env={"PATH": str(tools_only)})
    assert done.returncode == 0, done.stderr
    assert "espeak-ng is not installed" in done.stderr
    assert "Traceback" not in done.stderr
    library = Library(tmp_path / "library")
    assert library.article("story").document.video.described == ()


def test_the_extended_version_carries_the_captions_shifted_by_the_hold(tmp_path, longer_clip):
    library = Library(tmp_path / "library")
    ingest_bundle(_bundle(tmp_path / "story", longer_clip), library)
    standard, extended = library.article("story").document.video.described
    path = library.media_path(extended.src)
    srt = subprocess.run([tools.ffmpeg(), "-v", "error", "-i", str(path), "-map", "0:s:0",
                          "-f", "srt", "-"], capture_output=True, text=True, check=True).stdout
    held = extended.duration - standard.duration
    # The first caption is before the hold; the second comes after it.
    assert "00:00:00,500 --> 00:00:02,000" in srt
    start = 5.5 + held
    assert f"00:00:{int(start):02d}," in srt
