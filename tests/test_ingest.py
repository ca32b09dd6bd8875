"""Ingest: the demo bundles end to end, re-runs, and bad bundles through the real CLI."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import webvtt
import yaml

from articles.bundle import split_front_matter
from articles.document import StoredArticle
from articles.ingest import ingest_bundle
from articles.store import Library
from media.ffmpeg.probe import probe
from media.photos.metadata import read_photo_metadata
from media.video.mp4 import moov_before_mdat
from tests.conftest import run_media_cli
from tests.corpus import CORPUS


def tree_state(folder: Path) -> dict[str, str]:
    """Return {relative path: sha256} of every file under ``folder`` (empty if absent)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def top_story(library: Library) -> StoredArticle:
    return library.article("night-ferry-returns").document


def test_demo_clip_becomes_h264_aac_with_moov_first(demo_library, demo_content):
    source = probe(demo_content / "night-ferry-returns" / "clip.mp4")
    assert source.video_codec != "h264" or not moov_before_mdat(source.path)  # really needs work
    video = top_story(demo_library).video
    clip = demo_library.media_dir / video.src
    info = probe(clip)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert moov_before_mdat(clip)
    assert video.method == "transcode"
    assert 30 <= video.duration <= 40
    assert (video.width, video.height) == (1280, 720)


def test_web_ready_demo_clip_is_only_remuxed(demo_library):
    assert demo_library.article("reading-room-stays-open").document.video.method == "remux"


def test_poster_exists(demo_library):
    poster = top_story(demo_library).video.poster
    path = demo_library.media_dir / poster.src
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"
    assert (poster.width, poster.height) == (1280, 720)


def test_both_caption_tracks_are_utf8_webvtt(demo_library):
    tracks = top_story(demo_library).video.tracks
    assert [(t.language, t.label, t.default) for t in tracks] == [
        ("en", "English", True), ("de", "Deutsch", False)]
    for track in tracks:
        raw = (demo_library.media_dir / track.src).read_bytes()
        text = raw.decode("utf-8")  # strict: raises if not UTF-8
        assert text.startswith("WEBVTT\n")
        parsed = webvtt.from_string(text, strict=True)
        assert len(parsed.captions) == 9
    german = (demo_library.media_dir / tracks[1].src).read_text(encoding="utf-8")
    assert "Fahrgäste" in german


def test_transcript_is_built_from_the_captions(demo_library):
    sections = top_story(demo_library).video.tracks[0].transcript
    english = [p for section in sections for p in section.paragraphs]
    text = " ".join(p.text for p in english)
    assert "twenty to midnight" in text
    assert "<v" not in text
    assert english[0].start == pytest.approx(0.5)
    assert {p.kind for p in english} == {"speech", "description"}
    assert [section.title for section in sections] == [
        "Leaving Port Elsey", "The repaired ferry", "Passengers and the arrival"]


def test_photo_credit_comes_from_the_file_metadata(demo_library, demo_content):
    bundle = demo_content / "night-ferry-returns"
    front, _, _ = split_front_matter((bundle / "article.md").read_text(encoding="utf-8"), bundle)
    assert "credit" not in yaml.safe_load(front)["images"][0]
    image = top_story(demo_library).images[0]
    assert image.credit == "Newsreel demo desk / Studio Elsey"
    for rendition in image.renditions:
        carried = read_photo_metadata(demo_library.media_dir / rendition.src)
        assert carried.credit == "Newsreel demo desk / Studio Elsey"


def test_reingest_of_an_unchanged_bundle_does_no_media_work(demo_library, demo_content):
    before = {p.name: p.stat().st_mtime_ns for p in demo_library.media_dir.iterdir()}
    version = demo_library.version()
    result = ingest_bundle(demo_content / "night-ferry-returns", demo_library)
    assert result.skipped
    assert {p.name: p.stat().st_mtime_ns for p in demo_library.media_dir.iterdir()} == before
    assert demo_library.version() == version


def test_ingest_never_modifies_the_bundle(tmp_path, small_bundle):
    before = tree_state(small_bundle)
    result = run_media_cli("ingest", str(small_bundle), "--library", str(tmp_path / "lib"))
    assert result.returncode == 0, result.stderr
    assert tree_state(small_bundle) == before


def test_changed_text_reuses_the_prepared_clip(tmp_path, small_bundle):
    library = Library(tmp_path / "lib")
    first = ingest_bundle(small_bundle, library)
    article = small_bundle / "article.md"
    article.write_text(article.read_text(encoding="utf-8").replace("A small story", "A new title"),
                       encoding="utf-8")
    second = ingest_bundle(small_bundle, library)
    assert not second.skipped
    assert not any(p.suffix == ".mp4" for p in second.written)
    assert any(p.suffix == ".mp4" for p in first.written)
    assert library.article("small-story").title == "A new title"


def replace_in_article(bundle: Path, old: str, new: str) -> None:
    article = bundle / "article.md"
    text = article.read_text(encoding="utf-8")
    assert old in text
    article.write_text(text.replace(old, new), encoding="utf-8")


def _missing_clip(b):
    (b / "clip.mp4").unlink()


def _missing_captions(b):
    (b / "clip.en.vtt").unlink()


def _captions_are_an_image(b):
    shutil.copy(CORPUS / "images" / "exiftool" / "IPTC.jpg", b / "clip.en.vtt")


def _captions_are_prose(b):
    (b / "clip.en.vtt").write_text("Dear editor,\nhere are the captions you wanted.\n", encoding="utf-8")


def _broken_yaml(b):
    replace_in_article(b, "title: A small story", "title: [A small story")


def _corrupt_video(b):
    (b / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)


def _video_is_text(b):
    (b / "clip.mp4").write_text("not a video", encoding="utf-8")


def _photo_without_alt(b):
    replace_in_article(b, "    alt: A generated harbour scene.\n", "")


def _photo_without_credit(b):
    shutil.copy(CORPUS / "images" / "exiftool" / "FotoStation.jpg", b / "photo.jpg")


def _photo_is_not_an_image(b):
    (b / "photo.jpg").write_bytes(b"GIF89a garbage")


def _file_outside_the_bundle(b):
    replace_in_article(b, "source: clip.mp4", "source: ../../../etc/passwd")


def _no_captions_for_a_clip_with_sound(b):
    replace_in_article(b, "  captions:\n    - file: clip.en.vtt\n      language: en\n", "")


def _missing_title(b):
    replace_in_article(b, "title: A small story\n", "")


def _bad_date(b):
    replace_in_article(b, "published: 2026-11-01T10:00:00Z", "published: last tuesday")


def _no_front_matter(b):
    (b / "article.md").write_text("Just a body.\n", encoding="utf-8")


def _focus_out_of_range(b):
    replace_in_article(b, "    caption: Made with Pillow.\n", "    caption: Made with Pillow.\n    focus: [1.5, 0]\n")


def _unknown_track_kind(b):
    replace_in_article(b, "      language: en\n", "      language: en\n      kind: karaoke\n")


def _invalid_language_tag(b):
    replace_in_article(b, "      language: en\n", "      language: english!\n")


def _only_chapters_for_a_clip_with_sound(b):
    replace_in_article(b, "      language: en\n", "      language: en\n      kind: chapters\n")


def _strict_bundle_with_a_caption_problem(b):
    replace_in_article(b, "language: en\nsummary", "language: en\nstrict: true\nsummary")
    (b / "clip.en.vtt").write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n"
        "A caption line far longer than anyone could read in time on a phone\n",
        encoding="utf-8")


BAD_BUNDLES = [
    (_unknown_track_kind, "article.md:", "unknown track kind 'karaoke'"),
    (_invalid_language_tag, "article.md:", "not a valid BCP 47 language tag"),
    (_only_chapters_for_a_clip_with_sound, "article.md", "no caption files"),
    (_strict_bundle_with_a_caption_problem, "clip.en.vtt:3", "line-too-long"),
    (_focus_out_of_range, "article.md:", "'focus' must be [x, y]"),
    (_missing_clip, "clip.mp4", "file not found"),
    (_missing_captions, "clip.en.vtt", "file not found"),
    (_captions_are_an_image, "clip.en.vtt", "binary"),
    (_captions_are_prose, "clip.en.vtt:1", "not a WebVTT file"),
    (_broken_yaml, "article.md:", "not valid YAML"),
    (_corrupt_video, "clip.mp4", "not a readable video"),
    (_video_is_text, "clip.mp4", "not a readable video"),
    (_photo_without_alt, "photo.jpg", "no alt text"),
    (_photo_without_credit, "photo.jpg", "no credit"),
    (_photo_is_not_an_image, "photo.jpg", "not an image"),
    (_file_outside_the_bundle, "article.md:", "outside the bundle"),
    (_no_captions_for_a_clip_with_sound, "article.md", "no caption files"),
    (_missing_title, "article.md", "missing required field 'title'"),
    (_bad_date, "article.md:3", "not an ISO 8601 date"),
    (_no_front_matter, "article.md:1", "front matter"),
]


# These copy a file from the shared corpus into the bundle.
NEEDS_CORPUS = {_captions_are_an_image, _photo_without_credit}


@pytest.mark.parametrize("break_bundle, names, problem", [
    pytest.param(*case, id=case[0].__name__.strip("_"),
                 marks=[pytest.mark.corpus] if case[0] in NEEDS_CORPUS else [])
    for case in BAD_BUNDLES])
@pytest.mark.parametrize("library_before", ["empty", "filled"])
def test_bad_bundle_gives_one_line_and_leaves_the_library_as_it_was(
        tmp_path, small_bundle, break_bundle, names, problem, library_before):
    library = tmp_path / "lib"
    if library_before == "filled":
        other = small_bundle.parent / "other-story"
        shutil.copytree(small_bundle, other)
        assert run_media_cli("ingest", str(other), "--library", str(library)).returncode == 0
    before = tree_state(library)
    break_bundle(small_bundle)
    bundle_before = tree_state(small_bundle)

    result = run_media_cli("ingest", str(small_bundle), "--library", str(library))

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert names in lines[0] and problem in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert tree_state(library) == before
    assert tree_state(small_bundle) == bundle_before


def test_caption_quality_problems_are_notes_unless_strict(tmp_path, small_bundle):
    (small_bundle / "clip.en.vtt").write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n"
        "A caption line far longer than anyone could read in time on a phone\n",
        encoding="utf-8")
    result = run_media_cli("ingest", str(small_bundle), "--library", str(tmp_path / "lib"))
    assert result.returncode == 0, result.stderr
    assert f"{small_bundle / 'clip.en.vtt'}:3: warning line-too-long:" in result.stderr


def test_one_bad_bundle_does_not_stop_the_others(tmp_path, small_bundle):
    good = small_bundle.parent / "good-story"
    shutil.copytree(small_bundle, good)
    _missing_clip(small_bundle)
    result = run_media_cli("ingest", str(small_bundle), str(good), "--library", str(tmp_path / "lib"))
    assert result.returncode == 1
    assert Library(tmp_path / "lib").article("good-story") is not None


def test_a_slug_with_a_trailing_newline_is_refused(small_bundle):
    from articles.bundle import BundleError, load_bundle
    # "$" matches before a final newline: "small-story\n" must not pass as a slug.
    renamed = small_bundle.rename(small_bundle.with_name("small-story\n"))
    with pytest.raises(BundleError, match="must be lower-case letters"):
        load_bundle(renamed)
    replace_in_article(renamed, "language: en\n", 'language: en\nslug: small-story\nrelated: ["night-ferry\\n"]\n')
    with pytest.raises(BundleError, match="'related' must be a list of article slugs"):
        load_bundle(renamed)
