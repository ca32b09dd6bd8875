"""Turn any readable video into a verified, fast-starting web MP4 and a poster."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from . import commands, tools
from .commands import ClipSettings
from .errors import MediaError
from .files import atomic_output
from .mp4 import moov_before_mdat
from .probe import VideoInfo, probe
from .run import run_tool

DURATION_TOLERANCE = 0.1  # seconds an output may differ from its source


@dataclass(frozen=True)
class PreparedClip:
    """A web-ready MP4 written by prepare_clip, and how it was made."""

    path: Path
    info: VideoInfo
    method: str            # "remux" or "transcode"
    reasons: tuple[str, ...]  # why a transcode was needed


def plan(info: VideoInfo) -> tuple[str, list[str]]:
    """Return ("remux" | "transcode", reasons) for a probed source."""
    reasons = commands.remux_reasons(info)
    return ("transcode" if reasons else "remux"), reasons


def settings_key(settings: ClipSettings) -> str:
    """Return a stable text form of settings, for content-hashed output names."""
    return json.dumps(asdict(settings), sort_keys=True)


def prepare_clip(info: VideoInfo, output: Path | str,
                 settings: ClipSettings = ClipSettings()) -> PreparedClip:
    """Write a web-ready MP4 for ``info`` at ``output``, atomically, and verify it.

    :raises MediaError: when ffmpeg fails or the result fails verification.
    """
    if not info.has_video:
        raise MediaError("no video stream: audio-only clips are not supported yet", info.path)
    method, reasons = plan(info)
    with atomic_output(output) as tmp:
        if method == "remux":
            argv = commands.remux_command(tools.ffmpeg(), info, tmp)
        else:
            argv = commands.transcode_command(tools.ffmpeg(), info, tmp, settings)
        run_tool(argv, info.path, what=f"{method} failed")
        result = verify_web_mp4(tmp, info)
    return PreparedClip(Path(output), result, method, tuple(reasons))


def verify_web_mp4(path: Path, source: VideoInfo) -> VideoInfo:
    """Probe a written MP4 and check it is what browsers need.

    :raises MediaError: naming the source when a check fails.
    """
    out = probe(path)
    problems = []
    if out.video_codec != "h264":
        problems.append(f"video codec {out.video_codec}")
    if source.has_audio and out.audio_codec != "aac":
        problems.append(f"audio codec {out.audio_codec}")
    if out.pix_fmt != "yuv420p":
        problems.append(f"pixel format {out.pix_fmt}")
    if abs(out.duration - source.duration) > DURATION_TOLERANCE:
        problems.append(f"duration {out.duration:.3f} s, source {source.duration:.3f} s")
    if not moov_before_mdat(path):
        problems.append("moov atom is not before mdat")
    if problems:
        raise MediaError("prepared clip failed verification: " + "; ".join(problems),
                         source.path)
    return out


def write_poster(clip: PreparedClip, output: Path | str, at: float | None = None) -> Path:
    """Write a JPEG poster frame for a prepared clip, atomically.

    :raises MediaError: when ``at`` is outside the clip or ffmpeg fails.
    """
    duration = clip.info.duration
    if at is not None and not 0 <= at < duration:
        raise MediaError(f"poster_at {at:g} s is outside the clip (0 to {duration:.1f} s)",
                         clip.info.path)
    with atomic_output(output) as tmp:
        argv = commands.poster_command(tools.ffmpeg(), clip.path, tmp, at, duration)
        run_tool(argv, clip.info.path, what="poster frame failed")
        if tmp.stat().st_size == 0:
            raise MediaError("poster frame is empty", clip.info.path)
    return Path(output)
