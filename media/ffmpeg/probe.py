"""Probe a media file once into a VideoInfo; the only ffprobe caller."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from media.errors import MediaError
from media.ffmpeg import commands, tools
from media.ffmpeg.info import StreamInfo, VideoInfo
from media.ffmpeg.run import run_tool


def probe(path: Path | str) -> VideoInfo:
    """Return what ffprobe knows about ``path``.

    :raises MediaError: when the file is missing, not media, or has no
        stream that we can use.
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError("file not found", path)
    argv = commands.probe_command(tools.ffprobe(), path)
    result = run_tool(argv, path, what="not a readable video or audio file", timeout=120)
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise MediaError("ffprobe gave unreadable output", path, argv) from error
    return parse_probe(path, data)


def parse_probe(path: Path, data: dict) -> VideoInfo:
    """Build a VideoInfo from ffprobe's JSON (``-show_format -show_streams``).

    :raises MediaError: when there is no video or audio stream.
    """
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    # Attached pictures (cover art in MP3/M4A) are video streams in name only.
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise MediaError("no video or audio stream found", path)
    if video is not None and not (_int(video.get("width")) and _int(video.get("height"))):
        raise MediaError("video stream has no picture size", path)
    duration = _float(fmt.get("duration")) or max(
        (_float(s.get("duration")) or 0.0 for s in streams), default=0.0)
    if duration <= 0:
        raise MediaError("media has no duration", path)
    return VideoInfo(
        path=path,
        format=fmt.get("format_name", "unknown"),
        duration=duration,
        size=_int(fmt.get("size")) or (path.stat().st_size if path.is_file() else 0),
        has_video=video is not None,
        video_codec=video.get("codec_name") if video else None,
        video_profile=video.get("profile") if video else None,
        video_level=_int(video.get("level")) if video else None,
        pix_fmt=video.get("pix_fmt") if video else None,
        width=_int(video.get("width")) if video else None,
        height=_int(video.get("height")) if video else None,
        sample_aspect_ratio=_ratio(video.get("sample_aspect_ratio")) if video else Fraction(1),
        rotation=_rotation(video) if video else 0,
        frame_rate=_frame_rate(video) if video else None,
        has_audio=audio is not None,
        audio_codec=audio.get("codec_name") if audio else None,
        audio_profile=audio.get("profile") if audio else None,
        audio_channels=_int(audio.get("channels")) if audio else None,
        audio_sample_rate=_int(audio.get("sample_rate")) if audio else None,
        variable_frame_rate=_is_variable(video) if video else False,
        bit_depth=_bit_depth(video) if video else None,
        full_range=bool(video) and (video.get("color_range") == "pc"
                                    or (video.get("pix_fmt") or "").startswith("yuvj")),
        streams=tuple(StreamInfo(_int(s.get("index")) or 0, s.get("codec_type", "unknown"),
                                 s.get("codec_name"), (s.get("tags") or {}).get("language"))
                      for s in streams),
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ratio(value: str | None) -> Fraction:
    # "0:1" and "N/A" mean unknown, which players treat as square pixels.
    try:
        num, den = (int(part) for part in (value or "").split(":"))
        return Fraction(num, den) if num > 0 and den > 0 else Fraction(1)
    except ValueError:
        return Fraction(1)


def _frame_rate(stream: dict) -> float | None:
    for key in ("avg_frame_rate", "r_frame_rate"):
        rate = _rate(stream.get(key))
        if rate is not None:
            return float(rate)
    return None


def _rate(value) -> Fraction | None:
    try:
        num, den = (int(part) for part in str(value).split("/"))
    except ValueError:
        return None
    return Fraction(num, den) if num > 0 and den > 0 else None


def _is_variable(stream: dict) -> bool:
    # r_frame_rate is the base rate of the timestamps, avg_frame_rate what
    # the frames really average: phones writing uneven frame durations
    # make them differ.
    base, average = _rate(stream.get("r_frame_rate")), _rate(stream.get("avg_frame_rate"))
    if base is None or average is None:
        return False
    return abs(float(base - average)) / float(base) > 0.01


def _bit_depth(stream: dict) -> int | None:
    raw = _int(stream.get("bits_per_raw_sample"))
    if raw:
        return raw
    pix_fmt = stream.get("pix_fmt") or ""
    for depth in (16, 14, 12, 10, 9):
        if f"p{depth}" in pix_fmt:
            return depth
    return 8 if pix_fmt else None


def _rotation(stream: dict) -> int:
    # ffprobe reports the display matrix angle counter-clockwise; older files
    # carry a "rotate" tag that is already clockwise.
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return int(-round(float(side["rotation"]))) % 360
    tag = (stream.get("tags") or {}).get("rotate")
    return int(tag) % 360 if tag and tag.lstrip("-").isdigit() else 0
