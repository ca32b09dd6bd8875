"""The pure argv builders: fast checks, no ffmpeg run."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from media.ffmpeg import commands
from media.ffmpeg.commands import ClipSettings
from media.ffmpeg.info import VideoInfo

SOURCE = Path("/in/clip one.mp4")


def info(**changes) -> VideoInfo:
    fields = dict(path=SOURCE, format="mov,mp4,m4a,3gp,3g2,mj2", duration=10.0, size=1000,
                  has_video=True, video_codec="h264", video_profile="High", video_level=40,
                  pix_fmt="yuv420p", width=1280, height=720, sample_aspect_ratio=Fraction(1),
                  rotation=0, frame_rate=25.0, has_audio=True, audio_codec="aac",
                  audio_profile="LC", audio_channels=2, audio_sample_rate=48000)
    fields.update(changes)
    return VideoInfo(**fields)


def test_web_ready_source_needs_no_transcode():
    assert commands.remux_reasons(info()) == []


@pytest.mark.parametrize("changes, reason", [
    ({"video_codec": "mpeg4"}, "video codec is mpeg4"),
    ({"video_profile": "High 10"}, "profile High 10"),
    ({"video_level": 51}, "level 5.1"),
    ({"pix_fmt": "yuv422p"}, "pixel format is yuv422p"),
    ({"rotation": 90}, "rotated 90"),
    ({"sample_aspect_ratio": Fraction(4, 3)}, "not square"),
    ({"height": 2160}, "height 2160"),
    ({"format": "matroska,webm"}, "container is matroska,webm"),
    ({"audio_codec": "opus", "audio_profile": None}, "audio is opus"),
    ({"audio_profile": "HE-AAC"}, "not AAC-LC"),
])
def test_each_incompatibility_is_named(changes, reason):
    reasons = commands.remux_reasons(info(**changes))
    assert any(reason in r for r in reasons), reasons


def test_a_lower_maximum_height_turns_a_remux_into_a_transcode():
    assert commands.remux_reasons(info(), max_height=720) == []
    assert commands.remux_reasons(info(height=1080, width=1920), max_height=720) == [
        "height 1080 is above 720"]


def test_input_is_opened_as_a_file_url_with_safe_demuxers_only():
    argv = commands.remux_command("ffmpeg", info(), "/out/x.mp4")
    position = argv.index("-i")
    assert argv[position + 1] == "file:" + str(SOURCE)
    assert argv[argv.index("-protocol_whitelist") + 1] == "file"
    demuxers = argv[argv.index("-format_whitelist") + 1].split(",")
    assert "mov" in demuxers and "hls" not in demuxers and "concat" not in demuxers
    assert argv.index("-protocol_whitelist") < position


def test_a_name_that_looks_like_a_protocol_stays_a_file():
    assert commands.input_url("http:evil.mp4").startswith("file:/")
    assert commands.input_url("-y.mp4").startswith("file:/")


def test_remux_copies_streams_and_moves_the_index_to_the_front():
    argv = commands.remux_command("ffmpeg", info(), "/out/x.mp4")
    assert argv[:2] == ["ffmpeg", "-hide_banner"]
    assert "-nostdin" in argv
    assert argv[argv.index("-c:v") + 1] == "copy"
    assert argv[argv.index("-c:a") + 1] == "copy"
    assert argv[argv.index("-movflags") + 1] == "+faststart"
    assert argv[argv.index("-map_metadata") + 1] == "-1"
    assert argv[-2:] == ["/out/x.mp4", "-y"]


def test_remux_without_audio_maps_video_only():
    argv = commands.remux_command("ffmpeg", info(has_audio=False, audio_codec=None), "/o.mp4")
    maps = [argv[i + 1] for i, a in enumerate(argv) if a == "-map"]
    assert maps == ["0:v:0"]


def outputs(argv: list[str]) -> list[list[str]]:
    """Split the part of an argv after its last input into one option list per output."""
    rest, current, found = argv[argv.index("-i") + 2:], [], []
    for arg in rest:
        current.append(arg)
        if arg == "-" or arg.endswith(".mp4"):
            found.append(current)
            current = []
    return found


def test_remux_measuring_reads_the_source_once_with_safe_demuxers_only():
    argv = commands.remux_measuring_command("ffmpeg", info(), "/out/x.mp4")
    assert argv.count("-i") == 1
    position = argv.index("-i")
    assert argv[position + 1] == "file:" + str(SOURCE)
    assert argv[argv.index("-protocol_whitelist") + 1] == "file"
    assert argv[argv.index("-format_whitelist") + 1] == commands.SAFE_DEMUXERS
    assert argv.index("-protocol_whitelist") < position
    assert argv.index("-format_whitelist") < position


def test_remux_measuring_copies_both_streams_into_a_fast_start_mp4():
    remux, _ = outputs(commands.remux_measuring_command("ffmpeg", info(), "/out/x.mp4"))
    assert remux[-1] == "/out/x.mp4"
    assert [remux[i + 1] for i, a in enumerate(remux) if a == "-map"] == ["0:v:0", "0:a:0"]
    assert remux[remux.index("-c:v") + 1] == "copy"
    assert remux[remux.index("-c:a") + 1] == "copy"
    assert remux[remux.index("-movflags") + 1] == "+faststart"
    assert remux[remux.index("-map_metadata") + 1] == "-1"
    assert remux[remux.index("-f") + 1] == "mp4"
    assert "-af" not in remux and "-b:a" not in remux


def test_remux_measuring_meters_the_first_audio_stream_into_the_null_muxer():
    argv = commands.remux_measuring_command("ffmpeg", info(), "/out/x.mp4")
    _, meter = outputs(argv)
    graph = argv[argv.index("-filter_complex") + 1]
    label = graph.rsplit("[", 1)[1].rstrip("]")
    assert graph == f"[0:a:0]{commands.LOUDNESS_METER}[{label}]"
    assert meter == ["-map", f"[{label}]", "-f", "null", "-"]


def test_remux_measuring_logs_at_info_where_the_meter_prints_its_summary():
    argv = commands.remux_measuring_command("ffmpeg", info(), "/out/x.mp4")
    assert argv[0] == "ffmpeg"
    assert argv[argv.index("-loglevel") + 1] == "info"
    assert {"-hide_banner", "-nostdin", "-nostats", "-y"} <= set(argv)


def test_transcode_builds_h264_aac_with_square_even_pixels_and_no_upscale():
    anamorphic = info(video_codec="mpeg4", sample_aspect_ratio=Fraction(4, 3))
    argv = commands.transcode_command("ffmpeg", anamorphic, "/o.mp4",
                                      ClipSettings(max_height=480, crf=20, preset="fast"))
    graph = argv[argv.index("-filter_complex") + 1]
    assert "scale=trunc(iw*sar/2)*2:trunc(ih/2)*2" in graph
    assert graph.count("setsar=1") == 2
    assert "min(480\\,trunc(ih/2)*2)" in graph
    assert "format=yuv420p" in graph
    assert argv[argv.index("-c:v") + 1] == "libx264"
    assert argv[argv.index("-crf") + 1] == "20"
    assert argv[argv.index("-preset") + 1] == "fast"
    assert argv[argv.index("-c:a") + 1] == "aac"
    assert argv[argv.index("-ar") + 1] == "48000"
    assert argv[argv.index("-movflags") + 1] == "+faststart"


@pytest.mark.parametrize("changes, scales", [
    ({}, 0),                                        # square, even, 720p: only the pixel format
    ({"height": 1440, "width": 2560}, 1),           # too tall: one scale down
    ({"width": 1279}, 1),                           # odd width
    ({"full_range": True}, 1),                      # full range to TV range
    ({"sample_aspect_ratio": Fraction(4, 3)}, 1),   # anamorphic: squared once
])
def test_transcode_scales_only_when_the_picture_needs_it(changes, scales):
    argv = commands.transcode_command("ffmpeg", info(video_codec="mpeg4", **changes), "/o.mp4")
    graph = argv[argv.index("-filter_complex") + 1]
    assert graph.count("scale=") == scales
    assert "format=yuv420p" in graph
    assert ("out_range=tv" in graph) == changes.get("full_range", False)


def test_transcode_downmixes_surround_to_stereo_and_drops_missing_audio():
    surround = commands.transcode_command("ffmpeg", info(audio_channels=6), "/o.mp4")
    assert surround[surround.index("-ac") + 1] == "2"
    silent = commands.transcode_command("ffmpeg", info(has_audio=False, audio_codec=None), "/o.mp4")
    assert "-c:a" not in silent


def test_probe_command_asks_for_json_of_format_and_streams():
    argv = commands.probe_command("ffprobe", SOURCE)
    assert argv[0] == "ffprobe"
    assert {"-show_format", "-show_streams"} <= set(argv)
    assert argv[argv.index("-print_format") + 1] == "json"
    assert argv[-1] == "file:" + str(SOURCE)


def test_demo_clip_is_generated_from_lavfi_sources_with_the_given_encoder_options():
    argv = commands.demo_clip_command("ffmpeg", "/out/clip.mp4", 640, 360, 10,
                                      {"c:v": "mpeg4", "q:v": 6}, tone=392)
    inputs = [argv[i + 1] for i, word in enumerate(argv) if word == "-i"]
    assert inputs == ["testsrc2=size=640x360:rate=25:duration=10",
                      "sine=frequency=392:beep_factor=2:duration=10"]
    assert argv.count("lavfi") == 2 and "-shortest" in argv
    assert argv[argv.index("-c:v") + 1] == "mpeg4" and argv[argv.index("-q:v") + 1] == "6"
    assert argv[-2:] == ["/out/clip.mp4", "-y"]
