"""Pure builders of ffmpeg/ffprobe argv lists. Nothing here runs a process.

Every input is opened as ``file:<absolute path>`` with the ``file`` protocol
and a fixed list of demuxers only, so a hostile file cannot make ffmpeg open
URLs, playlists of other files (HLS, concat) or devices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ffmpeg

if TYPE_CHECKING:  # probe imports this module to build its own argv
    from .probe import VideoInfo

# Demuxers for the containers editors really send; deliberately without hls,
# concat, image2 and the like, which read other files named inside the input.
SAFE_DEMUXERS = ",".join([
    "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi", "flv", "mpegts", "mpeg",
    "ogg", "mp3", "aac", "wav", "flac", "asf", "mxf", "dv", "h264", "hevc",
])

WEB_VIDEO_PROFILES = {"Constrained Baseline", "Baseline", "Main", "High"}


@dataclass(frozen=True)
class ClipSettings:
    """Encoding choices for web clips; part of every output's content hash."""

    max_height: int = 1080
    crf: int = 23
    preset: str = "veryfast"
    audio_bitrate: str = "128k"
    audio_rate: int = 48000


def input_url(path: Path | str) -> str:
    """Return the URL ffmpeg should open: never a protocol the name suggests."""
    return "file:" + str(Path(path).resolve())


def _input(path: Path | str, **options):
    return ffmpeg.input(input_url(path), protocol_whitelist="file",
                        format_whitelist=SAFE_DEMUXERS, **options)


def _compile(stream, binary: str) -> list[str]:
    # -nostdin: ffmpeg must never wait on a terminal; -y: we always write
    # into a fresh temporary name, which then is renamed into place.
    argv = stream.compile(cmd=binary, overwrite_output=True)
    return [argv[0], "-hide_banner", "-nostdin", "-loglevel", "error", *argv[1:]]


def probe_command(ffprobe: str, path: Path | str) -> list[str]:
    """Return the ffprobe argv that describes ``path`` as JSON."""
    return [ffprobe, "-v", "error", "-protocol_whitelist", "file",
            "-format_whitelist", SAFE_DEMUXERS, "-print_format", "json",
            "-show_format", "-show_streams", input_url(path)]


def remux_reasons(info: VideoInfo) -> list[str]:
    """Return why ``info`` cannot simply be remuxed; empty when it can."""
    reasons = []
    if not info.has_video:
        reasons.append("no video stream")
        return reasons
    if info.video_codec != "h264":
        reasons.append(f"video codec is {info.video_codec}, not H.264")
    elif info.video_profile not in WEB_VIDEO_PROFILES:
        reasons.append(f"H.264 profile {info.video_profile} is not Baseline/Main/High")
    if info.video_level is not None and info.video_level > 42:
        reasons.append(f"H.264 level {info.video_level / 10:g} is above 4.2")
    if info.pix_fmt != "yuv420p":
        reasons.append(f"pixel format is {info.pix_fmt}, not yuv420p")
    if info.rotation:
        reasons.append(f"picture is rotated {info.rotation} degrees")
    if info.sample_aspect_ratio != 1:
        reasons.append("pixels are not square")
    if info.height and info.height > 1080:
        reasons.append(f"height {info.height} is above 1080")
    if not info.format.startswith("mov,"):
        reasons.append(f"container is {info.format}, not MP4/MOV")
    if info.has_audio and (info.audio_codec != "aac" or info.audio_profile not in (None, "LC")):
        reasons.append(f"audio is {info.audio_codec} {info.audio_profile or ''}".rstrip()
                       + ", not AAC-LC")
    return reasons


def remux_command(ffmpeg_bin: str, info: VideoInfo, output: Path | str) -> list[str]:
    """Return the argv that copies streams into a fast-start MP4."""
    source = _input(info.path)
    streams = [source["v:0"]] + ([source["a:0"]] if info.has_audio else [])
    out = ffmpeg.output(*streams, str(output), c="copy", movflags="+faststart",
                        map_metadata="-1", map_chapters="-1", f="mp4")
    return _compile(out, ffmpeg_bin)


def transcode_command(ffmpeg_bin: str, info: VideoInfo, output: Path | str,
                      settings: ClipSettings = ClipSettings()) -> list[str]:
    """Return the argv that encodes a web-ready H.264/AAC fast-start MP4."""
    source = _input(info.path)
    # ffmpeg's default autorotate turns the pixels before this chain runs, so
    # iw/ih here are already upright. First square the pixels, then cap the
    # height without upscaling, keeping both sides even for yuv420p.
    video = (source["v:0"]
             .filter("scale", "trunc(iw*sar/2)*2", "trunc(ih/2)*2")
             .filter("setsar", "1")
             .filter("scale", "-2", f"min({settings.max_height},trunc(ih/2)*2)")
             .filter("format", "yuv420p"))
    streams = [video]
    options = {
        "c:v": "libx264", "crf": settings.crf, "preset": settings.preset,
        "profile:v": "high", "level:v": "4.1",
        "movflags": "+faststart", "map_metadata": "-1", "map_chapters": "-1", "f": "mp4",
    }
    if info.has_audio:
        streams.append(source["a:0"])
        options.update({"c:a": "aac", "b:a": settings.audio_bitrate,
                        "ar": settings.audio_rate, "ac": min(info.audio_channels or 2, 2)})
    out = ffmpeg.output(*streams, str(output), **options)
    return _compile(out, ffmpeg_bin)


def poster_command(ffmpeg_bin: str, clip: Path | str, output: Path | str,
                   at: float | None, duration: float, window: int = 50) -> list[str]:
    """Return the argv that writes one JPEG poster frame of a prepared clip.

    With ``at`` the frame at that time is taken. Without, ffmpeg's
    ``thumbnail`` filter picks the most representative of ``window`` frames
    starting a fifth into the clip: deterministic, and past the fades and
    slates that open many clips.
    """
    if at is not None:
        # Input seeking (before -i) jumps to the nearest keyframe and decodes
        # from there; after -i it would decode every frame from the start.
        source = _input(clip, ss=f"{max(0.0, at):.3f}")
        video = source["v:0"]
    else:
        source = _input(clip, ss=f"{duration * 0.2:.3f}")
        video = source["v:0"].filter("thumbnail", window)
    out = ffmpeg.output(video, str(output), vframes=1, **{"q:v": 3}, f="image2",
                        update=1)
    return _compile(out, ffmpeg_bin)
