"""Hostile files: ffmpeg and ffprobe must open nothing but the file they are given.

Each referenced file is a named pipe: opening a FIFO for writing without
blocking succeeds only while someone has it open for reading, so a watcher
thread knows exactly whether ffmpeg tried to read it. Each URL points at a
listening socket that records connections. The same traps are sprung by a
bare ffmpeg without our restrictions, which proves they work.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from media.errors import MediaError
from media.ffmpeg import tools
from media.ffmpeg.commands import ClipSettings
from media.ffmpeg.probe import probe
from media.video.clips import prepare_clip
from tests.corpus import CORPUS


class FifoTrap:
    """A named pipe that records whether anything opened it for reading."""

    def __init__(self, path: Path):
        self.path = path
        os.mkfifo(path)
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                if error.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                time.sleep(0.005)
                continue
            self.opened.set()
            os.close(fd)  # the reader sees end of file and goes on
            time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class SocketTrap:
    """A listening TCP socket on loopback that records connection attempts."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(5)
        self.server.settimeout(0.1)
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/segment.ts"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connected.set()
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def fifo(tmp_path):
    trap = FifoTrap(tmp_path / "secret.ts")
    yield trap
    trap.close()


@pytest.fixture
def listener():
    trap = SocketTrap()
    yield trap
    trap.close()


def hls_playlist(target: str) -> str:
    return ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
            f"#EXTINF:10.0,\n{target}\n#EXT-X-ENDLIST\n")


def bare_ffprobe(path: Path, *options: str) -> None:
    """Run ffprobe as a naive tool would: no format restrictions, protocols as given."""
    subprocess.run([tools.ffprobe(), "-v", "error", *options, "-show_format", str(path)],
                   capture_output=True, stdin=subprocess.DEVNULL, timeout=20, check=False)


def assert_refused(path: Path) -> str:
    with pytest.raises(MediaError) as caught:
        prepare_clip(probe(path), path.parent / "out", ClipSettings(preset="ultrafast"))
    message = str(caught.value)
    assert "\n" not in message and path.name in message
    return message


def test_hls_playlist_named_mp4_is_refused_and_its_local_segment_never_read(tmp_path, fifo):
    playlist = tmp_path / "clip.mp4"
    playlist.write_text(hls_playlist(str(fifo.path)), encoding="utf-8")
    assert_refused(playlist)
    time.sleep(0.2)
    assert not fifo.opened.is_set()


def test_the_fifo_trap_catches_a_naive_ffprobe(tmp_path, fifo):
    playlist = tmp_path / "clip.m3u8"
    playlist.write_text(hls_playlist(str(fifo.path)), encoding="utf-8")
    bare_ffprobe(playlist)
    assert fifo.opened.wait(5)


def test_hls_playlist_with_an_http_segment_never_connects(tmp_path, listener):
    playlist = tmp_path / "clip.mp4"
    playlist.write_text(hls_playlist(listener.url), encoding="utf-8")
    assert_refused(playlist)
    time.sleep(0.2)
    assert not listener.connected.is_set()


def test_the_socket_trap_catches_a_naive_ffprobe(tmp_path, listener):
    playlist = tmp_path / "clip.m3u8"
    playlist.write_text(hls_playlist(listener.url), encoding="utf-8")
    # ffmpeg's HLS reader only follows http from a local playlist when told to.
    bare_ffprobe(playlist, "-protocol_whitelist", "file,http,tcp")
    assert listener.connected.wait(5)


def test_concat_list_is_refused_and_its_file_never_read(tmp_path, fifo):
    listing = tmp_path / "clip.mp4"
    listing.write_text(f"ffconcat version 1.0\nfile '{fifo.path}'\n", encoding="utf-8")
    assert_refused(listing)
    time.sleep(0.2)
    assert not fifo.opened.is_set()


@pytest.mark.corpus
def test_image_sequence_pattern_is_not_expanded(tmp_path):
    frame = CORPUS / "images" / "exiftool" / "PNG.png"
    shutil.copy(frame, tmp_path / "frame001.png")
    shutil.copy(frame, tmp_path / "frame%03d.png")
    assert_refused(tmp_path / "frame%03d.png")


@pytest.mark.corpus
def test_name_that_looks_like_a_protocol_is_read_as_a_local_file(tmp_path, listener):
    odd = tmp_path / "http:"
    odd.mkdir()
    clip = odd / "clip.mp4"
    shutil.copy(CORPUS / "video" / "gizmo.mp4", clip)
    assert probe(clip).video_codec == "h264"
    assert not listener.connected.is_set()


def test_zero_byte_file_is_refused(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError) as caught:
        probe(empty)
    assert "empty.mp4" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.corpus
def test_truncated_mp4_is_refused(tmp_path):
    data = (CORPUS / "video" / "rabbit320.mp4").read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    try:
        info = probe(truncated)
    except MediaError as error:
        assert "truncated.mp4" in str(error)
        return
    assert_refused(info.path)
