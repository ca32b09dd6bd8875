"""Preparing real clips with the real ffmpeg: remux, transcode, verification, posters."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image

from media.clips import prepare_clip, write_poster
from media.errors import MediaError
from media.mp4 import moov_before_mdat, top_level_boxes
from media.probe import probe
from tests.conftest import CORPUS, make_clip

VIDEO = CORPUS / "video"


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_web_ready_clip_is_remuxed_with_its_video_untouched(tmp_path):
    source = VIDEO / "gizmo.mp4"
    before = sha256(source)
    clip = prepare_clip(probe(source), tmp_path / "out.mp4")
    assert clip.method == "remux"
    assert moov_before_mdat(clip.path)
    assert (clip.info.width, clip.info.height) == (560, 320)
    assert sha256(source) == before


def test_moov_at_the_end_is_moved_to_the_front(tmp_path):
    source = make_clip(tmp_path / "late-index.mp4", seconds=1.0)
    assert not moov_before_mdat(source)
    clip = prepare_clip(probe(source), tmp_path / "out.mp4")
    assert clip.method == "remux"
    assert top_level_boxes(clip.path).index("moov") < top_level_boxes(clip.path).index("mdat")


@pytest.mark.parametrize("name, size", [
    ("bipbop_short_vp8.webm", (400, 300)),
    ("iphone_rotated.mov", (320, 568)),
])
def test_other_inputs_are_transcoded_to_upright_h264_aac(tmp_path, name, size):
    clip = prepare_clip(probe(VIDEO / name), tmp_path / "out.mp4")
    assert clip.method == "transcode"
    assert clip.reasons
    assert (clip.info.video_codec, clip.info.audio_codec) == ("h264", "aac")
    assert (clip.info.width, clip.info.height) == size
    assert clip.info.rotation == 0
    assert moov_before_mdat(clip.path)


def test_clip_without_sound_stays_without_sound(tmp_path):
    clip = prepare_clip(probe(VIDEO / "gizmo-noaudio.mp4"), tmp_path / "out.mp4")
    assert not clip.info.has_audio


def test_audio_only_input_is_refused_clearly(tmp_path):
    with pytest.raises(MediaError, match="no video stream"):
        prepare_clip(probe(CORPUS / "audio" / "small-shot.m4a"), tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


def test_poster_is_a_jpeg_of_the_clip_size(tmp_path):
    clip = prepare_clip(probe(VIDEO / "gizmo.mp4"), tmp_path / "out.mp4")
    poster = write_poster(clip, tmp_path / "poster.jpg")
    with Image.open(poster) as image:
        assert image.format == "JPEG"
        assert image.size == (560, 320)


def test_poster_is_deterministic(tmp_path):
    clip = prepare_clip(probe(VIDEO / "gizmo.mp4"), tmp_path / "out.mp4")
    first = write_poster(clip, tmp_path / "a.jpg")
    second = write_poster(clip, tmp_path / "b.jpg")
    assert sha256(first) == sha256(second)


def test_poster_time_outside_the_clip_is_refused(tmp_path):
    clip = prepare_clip(probe(VIDEO / "gizmo.mp4"), tmp_path / "out.mp4")
    with pytest.raises(MediaError, match="outside the clip"):
        write_poster(clip, tmp_path / "poster.jpg", at=99)
    assert not (tmp_path / "poster.jpg").exists()


def test_mp4_box_reader_rejects_a_truncated_file(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes((VIDEO / "gizmo.mp4").read_bytes()[:20])
    with pytest.raises(MediaError, match="truncated|invalid"):
        top_level_boxes(broken)
