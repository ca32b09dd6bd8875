"""Probing real files from the corpus with the real ffprobe."""

from __future__ import annotations

from pathlib import Path

import pytest

from media.errors import MediaError
from media.ffmpeg.probe import parse_probe, probe
from tests.corpus import CORPUS

VIDEO = CORPUS / "video"


@pytest.mark.corpus
@pytest.mark.parametrize("name, codec, size, has_audio, rotation", [
    ("gizmo.mp4", "h264", (560, 320), True, 0),
    ("gizmo-noaudio.mp4", "h264", (560, 320), False, 0),
    ("bipbop_short_vp8.webm", "vp8", (400, 300), True, 0),
    ("iphone_rotated.mov", "h264", (568, 320), True, 90),
    ("video_rotation_90.mp4", "h264", None, None, 90),
])
def test_probe_reads_codec_size_audio_and_rotation(name, codec, size, has_audio, rotation):
    info = probe(VIDEO / name)
    assert info.video_codec == codec
    if size is not None:
        assert (info.width, info.height) == size
    if has_audio is not None:
        assert info.has_audio is has_audio
    assert info.rotation == rotation
    assert info.duration > 0


@pytest.mark.corpus
def test_rotated_clip_displays_upright():
    info = probe(VIDEO / "iphone_rotated.mov")
    assert info.display_size == (320, 568)


@pytest.mark.corpus
def test_audio_only_file_has_no_video():
    info = probe(CORPUS / "audio" / "small-shot.m4a")
    assert not info.has_video and info.has_audio
    assert info.display_size is None


@pytest.mark.parametrize("path", [
    pytest.param(VIDEO / "broken" / "bogus.ogv", marks=pytest.mark.corpus),
    pytest.param(CORPUS / "images" / "exiftool" / "IPTC.jpg", marks=pytest.mark.corpus),
    Path(__file__),
])
def test_a_file_that_is_not_media_is_one_line_error_naming_it(path):
    with pytest.raises(MediaError) as caught:
        probe(path)
    message = str(caught.value)
    assert str(path) in message
    assert "\n" not in message


def test_missing_file_is_reported():
    with pytest.raises(MediaError, match="file not found"):
        probe(Path("/no/such/clip.mp4"))


def test_a_stream_list_without_media_is_refused():
    with pytest.raises(MediaError, match="no video or audio stream"):
        parse_probe(Path("x.mp4"), {"format": {"duration": "1"}, "streams": [{"codec_type": "data"}]})


def test_cover_art_is_not_taken_for_video():
    data = {"format": {"duration": "3.0", "format_name": "mp3"}, "streams": [
        {"codec_type": "audio", "codec_name": "mp3"},
        {"codec_type": "video", "codec_name": "mjpeg", "width": 300, "height": 300,
         "disposition": {"attached_pic": 1}}]}
    info = parse_probe(Path("song.mp3"), data)
    assert not info.has_video and info.has_audio


@pytest.mark.corpus
def test_summary_has_the_cli_contract_fields():
    summary = probe(VIDEO / "gizmo.mp4").summary()
    assert {"format", "duration", "width", "height", "video_codec", "audio_codec", "has_audio",
            "rotation"} <= set(summary)
