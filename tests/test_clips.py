"""Preparing real clips with the real ffmpeg: every corpus file, remux, loudness, renditions, reuse."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from PIL import Image

from media.errors import MediaError
from media.ffmpeg import tools
from media.ffmpeg.commands import ClipSettings
from media.ffmpeg.info import InputLimits
from media.ffmpeg.probe import probe
from media.video.clips import file_hash, output_key, prepare_clip
from media.video.loudness import measure_loudness
from media.video.mp4 import moov_before_mdat, top_level_boxes
from tests.conftest import make_clip
from tests.corpus import CORPUS, corpus_manifest, corpus_params

VIDEO = CORPUS / "video"
MEDIA_FILES = sorted(f["path"] for f in corpus_manifest()
                     if f["category"] in ("video", "video/broken", "audio"))
# Display size after preparation, where it is the point of the file.
UPRIGHT = {
    "video/iphone_rotated.mov": (320, 568),        # rotated 90 degrees by its display matrix
    "video/video_rotation_90.mp4": (60, 100),
    "video/test-video-vertical.mp4": (180, 360),   # anamorphic: SAR 9:32 -> square pixels, 1:2
    "video/TestPatternHDR.mp4": (1920, 1080),      # 4K is scaled down to 1080 lines
}
FAST = ClipSettings(preset="ultrafast")


def video_packet_hashes(path, stream: str = "v:0") -> list[str]:
    """Return the MD5 of every packet of one stream (the first video one), read without decoding."""
    result = subprocess.run([tools.ffmpeg(), "-v", "error", "-i", str(path), "-map", f"0:{stream}",
                             "-c", "copy", "-f", "framemd5", "-"], capture_output=True, text=True,
                            check=True, timeout=120)
    return [line.rsplit(",", 1)[1].strip() for line in result.stdout.splitlines()
            if line and not line.startswith("#")]


def audio_packet_hashes(path) -> list[str]:
    """Return the MD5 of every packet of the first audio stream, read without decoding."""
    return video_packet_hashes(path, "a:0")


def audio_parameters(path) -> dict:
    """Return the first audio stream's codec parameters, as ffprobe lists them."""
    entries = "stream=codec_name,profile,sample_rate,channels,extradata_hash,nb_frames,bit_rate"
    result = subprocess.run([tools.ffprobe(), "-v", "error", "-select_streams", "a:0",
                             "-show_entries", entries, "-show_data_hash", "MD5",
                             "-of", "json", str(path)],
                            capture_output=True, text=True, check=True, timeout=120)
    return json.loads(result.stdout)["streams"][0]


def make_web_clip(path: Path, volume_db: float, seconds: float = 4.0) -> Path:
    """Write a web-ready H.264/AAC clip whose tone sits ``volume_db`` from the sine's default level.

    The sine source's default level measures about -21.8 LUFS: +5.8 dB is
    the -16 LUFS target, -8.2 dB about -30 LUFS.
    """
    subprocess.run([tools.ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                    "-af", f"volume={volume_db}dB", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-shortest", str(path)],
                   check=True, timeout=120)
    return path


@pytest.fixture
def ffmpeg_runs(tmp_path, monkeypatch) -> Path:
    """Run the real ffmpeg through a wrapper that keeps each argv in a folder, one file per run."""
    runs = tmp_path / "ffmpeg-runs"
    runs.mkdir()
    wrapper = tmp_path / "ffmpeg-logged"
    wrapper.write_text("#!/bin/sh\n"
                       f"log=$(mktemp '{runs}/run.XXXXXX')\n"
                       "printf '%s\\n' \"$@\" > \"$log\"\n"
                       f"exec '{shutil.which(tools.ffmpeg())}' \"$@\"\n", encoding="utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setenv("FFMPEG_BINARY", str(wrapper))
    return runs


def clip_runs(runs: Path) -> list[list[str]]:
    """Return the logged ffmpeg runs that write an MP4 or measure loudness: not the posters'."""
    argvs = [path.read_text(encoding="utf-8").splitlines() for path in runs.iterdir()]
    return [argv for argv in argvs if "mp4" in argv or any("ebur128" in a for a in argv)]


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_params(MEDIA_FILES))
def test_every_corpus_file_is_prepared_and_verified_or_refused_clearly(tmp_path, name):
    source = CORPUS / name
    before = file_hash(source)
    try:
        result = prepare_clip(probe(source), tmp_path, FAST)
    except MediaError as error:
        # Only damaged files may be refused, and then in one line that names them.
        assert name.startswith("video/broken/"), str(error)
        assert "\n" not in str(error) and source.name in str(error)
        assert not [p for p in tmp_path.iterdir() if p.suffix in (".mp4", ".m4a", ".jpg")]
        return
    finally:
        assert file_hash(source) == before
    main = result.main
    assert moov_before_mdat(main.path)
    out = probe(main.path)
    assert out.rotation == 0 and out.sample_aspect_ratio == 1
    if out.has_video:
        assert (out.video_codec, out.pix_fmt) == ("h264", "yuv420p")
        assert out.width % 2 == 0 and out.height % 2 == 0 or (out.width, out.height) == (2, 2)
        assert result.of_kind("poster")
    else:
        assert main.path.suffix == ".m4a" and out.audio_codec == "aac"
    if name in UPRIGHT:
        assert (main.width, main.height) == UPRIGHT[name]


@pytest.mark.corpus
def test_web_ready_clip_is_remuxed_with_identical_video_packets(tmp_path):
    source = VIDEO / "gizmo.mp4"
    result = prepare_clip(probe(source), tmp_path, ClipSettings(loudness_target=None))
    assert result.method == "remux" and not result.normalised
    assert video_packet_hashes(result.main.path) == video_packet_hashes(source)


@pytest.mark.corpus
def test_normalising_a_remux_re_encodes_only_the_audio(tmp_path):
    source = VIDEO / "gizmo.mp4"
    result = prepare_clip(probe(source), tmp_path, ClipSettings())
    assert result.method == "remux" and result.normalised
    assert video_packet_hashes(result.main.path) == video_packet_hashes(source)
    level = measure_loudness(result.main.path)
    assert abs(level.integrated + 16) <= 1.0
    assert level.true_peak <= -1.0


def test_remux_of_audio_at_the_target_copies_every_packet_in_one_ffmpeg_run(tmp_path,
                                                                            ffmpeg_runs):
    source = make_web_clip(tmp_path / "at-target.mp4", volume_db=5.8)
    result = prepare_clip(probe(source), tmp_path / "out", FAST)
    runs = clip_runs(ffmpeg_runs)
    assert result.method == "remux" and not result.normalised
    assert abs(float(result.loudness.split()[0]) + 16) <= 1.0, result.loudness
    assert audio_packet_hashes(result.main.path) == audio_packet_hashes(source)
    assert audio_parameters(result.main.path) == audio_parameters(source)
    assert video_packet_hashes(result.main.path) == video_packet_hashes(source)
    # One run both copied the streams and measured the audio.
    [run] = runs
    assert "mp4" in run and "null" in run and any("ebur128" in a for a in run)
    assert "aac" not in run


def test_remux_of_quiet_audio_re_encodes_only_the_audio_to_the_target(tmp_path, ffmpeg_runs):
    source = make_web_clip(tmp_path / "quiet.mp4", volume_db=-8.2)
    result = prepare_clip(probe(source), tmp_path / "out", FAST)
    runs = clip_runs(ffmpeg_runs)
    assert result.method == "remux" and result.normalised
    assert abs(float(result.loudness.split()[0]) + 30) <= 1.0, result.loudness
    assert video_packet_hashes(result.main.path) == video_packet_hashes(source)
    assert audio_packet_hashes(result.main.path) != audio_packet_hashes(source)
    level = measure_loudness(result.main.path)
    assert abs(level.integrated + 16) <= 1.0 and level.true_peak <= -1.5
    # The measuring remux, then one run that encodes the audio and copies the video.
    measuring, normalising = sorted(runs, key=lambda argv: "null" not in argv)
    assert any("ebur128" in a for a in measuring) and "aac" not in measuring
    assert normalising[normalising.index("-c:v") + 1] == "copy"
    assert normalising[normalising.index("-c:a") + 1] == "aac"
    assert not any("ebur128" in a for a in normalising)
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")] == [".locks"]


def test_audio_already_at_the_target_is_copied(tmp_path):
    quiet = tmp_path / "quiet.mp4"
    make_clip(quiet, seconds=4)
    first = prepare_clip(probe(quiet), tmp_path / "a", FAST)
    assert first.normalised
    again = prepare_clip(probe(first.main.path), tmp_path / "b", ClipSettings())
    assert again.method == "remux" and not again.normalised


def test_moov_at_the_end_is_moved_to_the_front(tmp_path):
    source = make_clip(tmp_path / "late-index.mp4", seconds=1.0)
    assert not moov_before_mdat(source)
    result = prepare_clip(probe(source), tmp_path / "out", FAST)
    boxes = top_level_boxes(result.main.path)
    assert boxes.index("moov") < boxes.index("mdat")


@pytest.mark.corpus
def test_clip_without_sound_stays_without_sound(tmp_path):
    result = prepare_clip(probe(VIDEO / "gizmo-noaudio.mp4"), tmp_path, FAST)
    assert not result.has_audio and not probe(result.main.path).has_audio
    assert result.loudness is None


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["small-shot.mp3", "small-shot.ogg", "detodos.webm", "small-shot.m4a"])
def test_audio_only_input_becomes_a_fast_start_m4a_without_poster(tmp_path, name):
    result = prepare_clip(probe(CORPUS / "audio" / name), tmp_path, FAST)
    assert result.main.kind == "audio" and result.main.path.suffix == ".m4a"
    assert result.main.media_type == "audio/mp4"
    assert moov_before_mdat(result.main.path)
    assert not result.of_kind("poster")


@pytest.mark.corpus
def test_renditions_and_webm_are_written_and_verified(tmp_path):
    settings = ClipSettings(preset="ultrafast", renditions=(480, 240), webm=True)
    result = prepare_clip(probe(VIDEO / "gizmo.mp4"), tmp_path, settings)
    renditions = result.of_kind("rendition")
    assert [(r.width, r.height) for r in renditions] == [(420, 240)]  # 480 would upscale a 320p clip
    webm = result.of_kind("webm")[0]
    assert (webm.codec, webm.media_type) == ("vp9", "video/webm")
    assert probe(webm.path).audio_codec == "opus"


@pytest.mark.corpus
def test_posters_come_in_several_widths_as_jpeg_and_webp(tmp_path):
    result = prepare_clip(probe(VIDEO / "rabbit320.mp4"), tmp_path, FAST)
    posters = result.of_kind("poster")
    assert sorted({(p.width, p.codec) for p in posters}) == [(320, "jpeg"), (320, "webp")]
    with Image.open(posters[0].path) as image:
        assert image.size == (320, 240)


@pytest.mark.corpus
def test_poster_time_can_be_given_and_is_checked(tmp_path):
    result = prepare_clip(probe(VIDEO / "gizmo.mp4"), tmp_path / "a", FAST, poster_at=2.5)
    assert result.poster_time == 2.5
    with pytest.raises(MediaError, match="outside the clip"):
        prepare_clip(probe(VIDEO / "gizmo.mp4"), tmp_path / "b", FAST, poster_at=99)
    assert not (tmp_path / "b").exists()


@pytest.mark.corpus
def test_a_second_run_reuses_finished_outputs_without_ffmpeg(tmp_path):
    info = probe(VIDEO / "gizmo.mp4")
    first = prepare_clip(info, tmp_path, FAST)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.is_file()}
    second = prepare_clip(info, tmp_path, FAST)
    assert second.reused and not first.reused
    assert second.outputs == first.outputs
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.is_file()} == stamps


@pytest.mark.corpus
def test_outputs_are_named_by_source_bytes_and_settings(tmp_path):
    digest = file_hash(VIDEO / "gizmo.mp4")
    assert output_key(digest, FAST, None) == output_key(digest, FAST, None)
    assert output_key(digest, FAST, None) != output_key(digest, ClipSettings(crf=30), None)
    assert output_key(digest, FAST, None) != output_key(digest, FAST, 1.0)
    result = prepare_clip(probe(VIDEO / "gizmo.mp4"), tmp_path, FAST)
    assert result.main.path.name == f"{output_key(digest, FAST, None)}.mp4"


@pytest.mark.corpus
def test_a_killed_run_s_temporary_files_are_removed_by_the_next(tmp_path):
    info = probe(VIDEO / "gizmo.mp4")
    key = output_key(file_hash(info.path), FAST, None)
    stale = tmp_path / f".{key}.abc123.mp4"
    stale.write_bytes(b"half a file")
    prepare_clip(info, tmp_path, FAST)
    assert not stale.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and p.is_file()]


@pytest.mark.corpus
def test_two_preparations_of_the_same_clip_at_once_do_not_collide(tmp_path):
    info = probe(VIDEO / "rabbit320.webm")
    results, errors = [], []

    def run():
        try:
            results.append(prepare_clip(info, tmp_path, FAST))
        except Exception as error:  # collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(r.reused for r in results) == [False, True]
    assert results[0].outputs == results[1].outputs


@pytest.mark.corpus
@pytest.mark.parametrize("limits, problem", [
    (InputLimits(max_duration=3), "lasts 6 s, above the limit of 3 s"),
    (InputLimits(max_width=320, max_height=240), "picture is 560x320, above the limit"),
    (InputLimits(max_bytes=1000), "above the limit"),
])
def test_input_limits_refuse_before_any_work(tmp_path, limits, problem):
    with pytest.raises(MediaError, match=problem):
        prepare_clip(probe(VIDEO / "gizmo.mp4"), tmp_path / "out", FAST, limits=limits)
    assert not (tmp_path / "out").exists()


@pytest.mark.corpus
def test_output_that_fails_verification_leaves_nothing_behind(tmp_path):
    # Its header claims 0.2 s, but ffmpeg writes 6 s from it: not what the source says.
    with pytest.raises(MediaError, match="failed verification"):
        prepare_clip(probe(VIDEO / "broken" / "0-timescale.mp4"), tmp_path, FAST)
    assert [p.name for p in tmp_path.iterdir()] == [".locks"]

