"""Crashes and Ctrl-C during an ingest: nothing half-written becomes visible, a re-run finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from articles.store import Library
from media.demo.bundles import to_vtt
from tests.conftest import ROOT, make_clip


@pytest.fixture(scope="module")
def slow_clip(tmp_path_factory) -> Path:
    """A clip that takes ingest several seconds to transcode."""
    return make_clip(tmp_path_factory.mktemp("slow") / "clip.mp4", seconds=20, size="1280x720",
                     video_options=("-c:v", "mpeg4", "-q:v", "8"))


@pytest.fixture
def slow_bundle(tmp_path, slow_clip) -> Path:
    folder = tmp_path / "slow-story"
    folder.mkdir()
    os.link(slow_clip, folder / "clip.mp4")
    (folder / "clip.en.vtt").write_text(to_vtt([(0.0, 2.0, "A slow clip.")]), encoding="utf-8")
    (folder / "article.md").write_text(
        "---\ntitle: A slow story\npublished: 2026-11-02\nsummary: Takes a while.\n"
        "video:\n  source: clip.mp4\n  title: Slow\n  captions:\n"
        "    - file: clip.en.vtt\n      language: en\n---\nBody.\n", encoding="utf-8")
    return folder


def start_ingest(bundle: Path, library: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "media", "ingest", str(bundle), "--library",
                             str(library), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_transcode(library: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    """Return once a temporary MP4 is being written in the library."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        temporaries = list((library / "media").glob(".*.mp4")) if (library / "media").exists() else []
        if any(t.stat().st_size > 0 for t in temporaries if t.exists()):
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    pytest.fail("the transcode never started")


def visible_media(library: Path) -> list[str]:
    return sorted(p.name for p in (library / "media").iterdir() if not p.name.startswith("."))


def ffmpeg_running_for(library: Path) -> bool:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ffmpeg" in cmdline and str(library).encode() in cmdline:
            return True
    return False


def test_sigkill_mid_transcode_leaves_nothing_visible_and_a_rerun_completes(tmp_path, slow_bundle):
    library = tmp_path / "library"
    process = start_ingest(slow_bundle, library)
    wait_for_transcode(library, process)
    # The whole process group, ffmpeg included, as when the machine dies.
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert visible_media(library) == []
    assert Library(library).article("slow-story") is None

    rerun = subprocess.run([sys.executable, "-m", "media", "ingest", str(slow_bundle), "--library",
                            str(library), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                           timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert Library(library).article("slow-story") is not None
    assert not [p for p in (library / "media").iterdir() if p.name.startswith(".") and p.is_file()]


def test_ctrl_c_stops_ffmpeg_and_leaves_no_partial_files(tmp_path, slow_bundle):
    library = tmp_path / "library"
    process = start_ingest(slow_bundle, library)
    wait_for_transcode(library, process)
    process.send_signal(signal.SIGINT)  # to Python only: it must stop ffmpeg itself
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1].startswith("error: interrupted")
    assert "Traceback" not in stderr
    assert not ffmpeg_running_for(library)
    assert visible_media(library) == []
    assert not [p for p in (library / "media").iterdir() if p.name.startswith(".") and p.is_file()]
