"""Options and helpers shared by several commands: encoding settings, progress bars, lists."""

from __future__ import annotations

import logging
import sys

import click

from media.ffmpeg.commands import ClipSettings
from media.ffmpeg.progress import Progress


class _EchoHandler(logging.Handler):
    """Writes each message to stderr through click, whichever stream stderr is at the time."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # logging's own contract: report the failure, never raise
            self.handleError(record)


_MESSAGES = _EchoHandler()


def show_messages(enabled: bool) -> None:
    """Print what the packages log about each step (INFO) on stderr, or only their warnings."""
    for name in ("media", "articles", "captions"):
        logger = logging.getLogger(name)
        if _MESSAGES not in logger.handlers:
            logger.addHandler(_MESSAGES)
            logger.propagate = False
        logger.setLevel(logging.INFO if enabled else logging.WARNING)


class ProgressBars:
    """Draws one click progress bar per ffmpeg step on a terminal's stderr; nothing elsewhere."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None  # click's bar while a step runs
        self.label: str | None = None
        self.shown = 0

    def __call__(self, label: str, progress: Progress) -> None:
        """Move the bar of step ``label`` to ``progress``, starting a new bar for a new step."""
        if not self.enabled or not progress.total:
            return
        if self.bar is None or self.label != label:
            self.close()
            # Milliseconds of output, so the bar and its ETA move smoothly.
            self.bar = click.progressbar(length=round(progress.total * 1000), label=label,
                                         file=sys.stderr, show_eta=True, show_percent=True)
            self.bar.__enter__()
            self.label, self.shown = label, 0
        done = min(round(progress.seconds * 1000), self.bar.length)
        if done > self.shown:
            self.bar.update(done - self.shown)
            self.shown = done

    def close(self) -> None:
        """End the current bar's line, if one is drawn; safe to call twice."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def parse_renditions(_ctx, _param, value: str | None) -> tuple[int, ...]:
    """Read --renditions: even heights from 144 to 4320, such as 720,480."""
    if not value:
        return ()
    try:
        heights = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give heights like 1080,720,480") from None
    if any(h < 144 or h > 4320 or h % 2 for h in heights):
        raise click.BadParameter(f"{value!r}: heights must be even numbers from 144 to 4320")
    return heights


def clip_options(command):
    """Add the encoding options shared by ``clip`` and ``ingest``."""
    options = [
        click.option("--max-height", type=click.IntRange(144, 4320), default=1080,
                     show_default=True,
                     help="Largest picture height of the main MP4; never upscaled."),
        click.option("--crf", type=click.IntRange(0, 51), default=23, show_default=True,
                     help="x264 quality: lower is better and larger."),
        click.option("--preset", type=click.Choice(["ultrafast", "superfast", "veryfast", "faster",
                                                    "fast", "medium", "slow"]),
                     default="veryfast", show_default=True, help="x264 speed preset."),
        click.option("--renditions", callback=parse_renditions, metavar="HEIGHTS",
                     help="Extra MP4 heights, e.g. 720,480 (only those below the main height)."),
        click.option("--webm", is_flag=True, help="Also write a VP9/Opus WebM."),
        click.option("--loudness", type=click.FloatRange(-40, -5), default=-16.0, show_default=True,
                     help="Target integrated loudness in LUFS (EBU R128)."),
        click.option("--no-loudness", is_flag=True, help="Leave audio levels as they are."),
        click.option("--max-duration", type=click.FloatRange(1), default=900, show_default=True,
                     help="Refuse media longer than this many seconds."),
        click.option("--quiet", "-q", is_flag=True, help="Print errors only."),
        click.option("--json", "as_json", is_flag=True, help="Print results as JSON on stdout."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def clip_settings(max_height, crf, preset, renditions, webm, loudness, no_loudness) -> ClipSettings:
    """Return the ClipSettings the encoding options ask for."""
    return ClipSettings(max_height=max_height, crf=crf, preset=preset, renditions=renditions,
                        webm=webm, loudness_target=None if no_loudness else loudness)


def parse_widths(_ctx, _param, value: str | None) -> tuple[int, ...] | None:
    """Read --widths: widths from 16 to 8192 pixels, such as 320,640,1280."""
    if not value:
        return None
    try:
        numbers = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give widths like 320,640,1280") from None
    if any(n < 16 or n > 8192 for n in numbers):
        raise click.BadParameter(f"{value!r}: widths must be from 16 to 8192")
    return numbers


def parse_formats(_ctx, _param, value: str | None) -> tuple[str, ...] | None:
    """Read --formats: any of avif, webp and jpeg (jpg)."""
    if not value:
        return None
    formats = tuple(part.strip().lower() for part in value.split(","))
    unknown = [f for f in formats if f not in ("avif", "webp", "jpeg", "jpg")]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: formats are avif, webp and jpeg")
    return tuple("jpeg" if f == "jpg" else f for f in formats)


def parse_focus(_ctx, _param, value: str | None) -> tuple[float, float]:
    """Read --focus: X,Y from 0 to 1, measured from the top left."""
    if not value:
        return (0.5, 0.5)
    try:
        x, y = (float(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give X,Y such as 0.3,0.5") from None
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise click.BadParameter(f"{value!r}: X and Y run from 0 to 1")
    return (x, y)
