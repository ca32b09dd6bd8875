"""What ffprobe says about a media file, and the limits ingest holds it to: frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from media.errors import MediaError


@dataclass(frozen=True)
class StreamInfo:
    """One stream of a media file, as ffprobe lists it."""

    index: int
    kind: str              # "video", "audio", "subtitle", "data", "attachment"
    codec: str | None
    language: str | None = None


@dataclass(frozen=True)
class InputLimits:
    """Bounds on what ingest accepts, so a crafted file cannot exhaust the machine."""

    max_duration: float = 900.0          # seconds; news clips run 15 s to 5 min
    max_width: int = 7680
    max_height: int = 4320
    max_bytes: int = 4 * 1024 ** 3


@dataclass(frozen=True)
class VideoInfo:
    """What downstream steps need to know about one media file."""

    path: Path
    format: str            # ffprobe's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration: float        # seconds
    size: int              # bytes
    has_video: bool
    video_codec: str | None
    video_profile: str | None
    video_level: int | None
    pix_fmt: str | None
    width: int | None      # coded size, before rotation
    height: int | None
    sample_aspect_ratio: Fraction
    rotation: int          # degrees clockwise a player must turn the picture: 0, 90, 180, 270
    frame_rate: float | None
    has_audio: bool
    audio_codec: str | None
    audio_profile: str | None
    audio_channels: int | None
    audio_sample_rate: int | None
    variable_frame_rate: bool = False
    bit_depth: int | None = None
    full_range: bool = False   # full-range (JPEG) levels; browsers expect TV range
    streams: tuple[StreamInfo, ...] = ()

    @property
    def container(self) -> str:
        """Return the container's short name: ``mov``, ``matroska``, ``ogg`` ..."""
        return self.format.split(",", 1)[0]

    @property
    def subtitle_streams(self) -> tuple[StreamInfo, ...]:
        """Return the embedded subtitle streams (captions an editor may want to extract)."""
        return tuple(s for s in self.streams if s.kind == "subtitle")

    @property
    def display_aspect(self) -> Fraction | None:
        """Return the display aspect ratio, e.g. 16/9, with rotation applied."""
        size = self.display_size
        return Fraction(size[0], size[1]) if size else None

    @property
    def display_size(self) -> tuple[int, int] | None:
        """Return (width, height) as shown: square pixels, rotation applied."""
        if not self.width or not self.height:
            return None
        width = round(self.width * self.sample_aspect_ratio)
        height = self.height
        if self.rotation in (90, 270):
            width, height = height, width
        return width, height

    def summary(self) -> dict:
        """Return the fields ``python -m media probe --json`` prints."""
        return {
            "format": self.format,
            "duration": round(self.duration, 3),
            "width": self.width,
            "height": self.height,
            "video_codec": self.video_codec,
            "audio_codec": self.audio_codec,
            "has_audio": self.has_audio,
            "rotation": self.rotation,
            "container": self.container,
            "size": self.size,
            "video_profile": self.video_profile,
            "video_level": self.video_level,
            "pix_fmt": self.pix_fmt,
            "bit_depth": self.bit_depth,
            "full_range": self.full_range,
            "sample_aspect_ratio": str(self.sample_aspect_ratio),
            "display_width": self.display_size[0] if self.display_size else None,
            "display_height": self.display_size[1] if self.display_size else None,
            "display_aspect": str(self.display_aspect) if self.display_aspect else None,
            "frame_rate": round(self.frame_rate, 3) if self.frame_rate else None,
            "variable_frame_rate": self.variable_frame_rate,
            "audio_profile": self.audio_profile,
            "audio_channels": self.audio_channels,
            "audio_sample_rate": self.audio_sample_rate,
            "subtitle_streams": [{"index": s.index, "codec": s.codec, "language": s.language}
                                 for s in self.subtitle_streams],
        }

    def check_limits(self, limits: InputLimits) -> None:
        """Refuse media beyond ``limits``.

        :raises MediaError: naming the limit that was exceeded.
        """
        if self.size > limits.max_bytes:
            raise MediaError(f"file is {self.size / 1e9:.1f} GB, above the limit of "
                             f"{limits.max_bytes / 1e9:.1f} GB", self.path)
        if self.duration > limits.max_duration:
            raise MediaError(f"media lasts {self.duration:.0f} s, above the limit of "
                             f"{limits.max_duration:.0f} s", self.path)
        if self.width and self.height and (self.width > limits.max_width
                                           or self.height > limits.max_height):
            raise MediaError(f"picture is {self.width}x{self.height}, above the limit of "
                             f"{limits.max_width}x{limits.max_height}", self.path)
