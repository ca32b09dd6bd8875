"""The ``python -m media`` command line: thin, over the same functions the web app uses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__, tools
from .commands import ClipSettings
from .errors import MediaError
from .progress import Progress, ProgressBar


def _version_text() -> str:
    lines = [f"newsreel media {__version__}"]
    for name in ("ffmpeg", "ffprobe"):
        try:
            tool = tools.find_tool(name)
            lines.append(f"{name}: {tool.path} ({tool.origin}): {tool.version}")
        except MediaError as error:
            lines.append(f"{name}: {error}")
    return "\n".join(lines)


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text())
        ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and which ffmpeg and ffprobe are used, then exit.")
def cli() -> None:
    """Prepare article bundles for Newsreel: clips, captions, posters and photos."""


@cli.command()
def doctor() -> None:
    """Say which ffmpeg and ffprobe are used and their versions.

    \b
    Example:
      python -m media doctor
    """
    text = _version_text()
    click.echo(text)
    if ": not found" in text or "not an executable" in text:
        raise click.ClickException("ffmpeg or ffprobe is missing")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def probe(file: Path, as_json: bool) -> None:
    """Describe a video or audio FILE: format, duration, size, codecs, rotation.

    \b
    Example:
      python -m media probe content/night-ferry-returns/clip.mp4 --json
    """
    from .probe import probe as probe_file
    try:
        summary = probe_file(file).summary()
    except MediaError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(summary))
    else:
        for key, value in summary.items():
            click.echo(f"{key}: {value}")


class _Progress:
    """Draws one progress bar per ffmpeg step on a terminal; nothing elsewhere."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: ProgressBar | None = None

    def __call__(self, label: str, progress: Progress) -> None:
        if not self.enabled:
            return
        if self.bar is None or self.bar.label != label:
            self.close()
            self.bar = ProgressBar(label)
        self.bar.update(progress)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _renditions(_ctx, _param, value: str | None) -> tuple[int, ...]:
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
        click.option("--renditions", callback=_renditions, metavar="HEIGHTS",
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


def _settings(max_height, crf, preset, renditions, webm, loudness, no_loudness) -> ClipSettings:
    return ClipSettings(max_height=max_height, crf=crf, preset=preset, renditions=renditions,
                        webm=webm, loudness_target=None if no_loudness else loudness)


def _int_list(_ctx, _param, value: str | None) -> tuple[int, ...] | None:
    if not value:
        return None
    try:
        numbers = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give widths like 320,640,1280") from None
    if any(n < 16 or n > 8192 for n in numbers):
        raise click.BadParameter(f"{value!r}: widths must be from 16 to 8192")
    return numbers


def _formats(_ctx, _param, value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    formats = tuple(part.strip().lower() for part in value.split(","))
    unknown = [f for f in formats if f not in ("avif", "webp", "jpeg", "jpg")]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: formats are avif, webp and jpeg")
    return tuple("jpeg" if f == "jpg" else f for f in formats)


def _focus(_ctx, _param, value: str | None) -> tuple[float, float]:
    if not value:
        return (0.5, 0.5)
    try:
        x, y = (float(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give X,Y such as 0.3,0.5") from None
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise click.BadParameter(f"{value!r}: X and Y run from 0 to 1")
    return (x, y)


@cli.command()
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the thumbnails into.")
@click.option("--credit", help="Credit line (default: read from the image's metadata).")
@click.option("--widths", callback=_int_list, metavar="W,W,...",
              help="Widths in pixels [default: 320,640,960,1280,1920]; never upscaled.")
@click.option("--formats", callback=_formats, metavar="F,F,...",
              help="Any of avif,webp,jpeg [default: all three].")
@click.option("--crop", metavar="W:H", help="Crop to this aspect ratio first, e.g. 16:9 or 1:1.")
@click.option("--focus", callback=_focus, metavar="X,Y",
              help="Point the crop keeps in view, 0..1 from the top left [default: 0.5,0.5].")
@click.option("--json", "as_json", is_flag=True, help="Print the outputs and credit as JSON.")
def thumbs(image: Path, out: Path, credit: str | None, widths: tuple[int, ...] | None,
           formats: tuple[str, ...] | None, crop: str | None, focus: tuple[float, float],
           as_json: bool) -> None:
    """Write credited thumbnails of IMAGE: AVIF, WebP and JPEG at several widths.

    \b
    Example:
      python -m media thumbs content/night-ferry-returns/photo.jpg --out /tmp/thumbs --json

    Every file carries the credit, creator and copyright (XMP; EXIF and IPTC
    where the format has them); location, camera serials and maker notes
    are removed. Names: STEM-WIDTH.avif|webp|jpg.
    """
    from .thumbs import DEFAULT_FORMATS, DEFAULT_WIDTHS, make_thumbnails, parse_aspect
    try:
        if crop:
            parse_aspect(crop)
        result = make_thumbnails(image, out, image.stem, widths or DEFAULT_WIDTHS,
                                 formats or DEFAULT_FORMATS, credit=credit, crop=crop, focus=focus)
    except MediaError as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:
        raise click.ClickException(f"{image}: {error}") from None
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        for thumbnail in result.thumbnails:
            click.echo(str(thumbnail.path))


@cli.command()
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def inspect(image: Path, as_json: bool) -> None:
    """Show the credit metadata of IMAGE per family (XMP, IPTC, EXIF) and what is chosen.

    \b
    Example:
      python -m media inspect content/night-ferry-returns/photo.jpg --json

    Precedence: XMP, then IPTC, then EXIF; disagreements are listed.
    """
    from .image_metadata import read_photo_metadata
    try:
        found = read_photo_metadata(image)
    except MediaError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(found.to_json(), ensure_ascii=False))
        return
    data = found.to_json()
    for name, value in data["chosen"].items():
        where = f" ({data['sources'][name].upper()})" if name in data["sources"] else ""
        click.echo(f"{name}: {value if value is not None else '-'}{where}")
    for warning in data["warnings"]:
        click.echo(f"warning: {warning}")


@cli.command()
@click.argument("src", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the outputs into.")
@click.option("--poster-at", type=click.FloatRange(0), metavar="SECONDS",
              help="Take the poster frame at this second instead of choosing one.")
@clip_options
def clip(src: Path, out: Path, poster_at: float | None, max_height: int, crf: int, preset: str,
         renditions: tuple[int, ...], webm: bool, loudness: float, no_loudness: bool,
         max_duration: float, quiet: bool, as_json: bool) -> None:
    """Prepare one video or audio file SRC as web outputs in --out, outside any bundle.

    \b
    Example:
      python -m media clip content/night-ferry-returns/clip.mp4 --out /tmp/clip --json

    Writes a fast-start H.264/AAC MP4 (remuxed when the source is already
    web-ready), optional renditions and WebM, and JPEG + WebP posters; an
    audio-only source becomes an AAC .m4a.
    """
    from .clips import prepare_clip
    from .probe import InputLimits, probe as probe_file

    settings = _settings(max_height, crf, preset, renditions, webm, loudness, no_loudness)
    progress = _Progress(enabled=not quiet and not as_json)
    log = (lambda _: None) if quiet or as_json else (lambda message: click.echo(message, err=True))
    try:
        result = prepare_clip(probe_file(src), out, settings, poster_at=poster_at,
                              limits=InputLimits(max_duration=max_duration),
                              on_progress=progress, log=log)
    except MediaError as error:
        raise click.ClickException(str(error)) from None
    finally:
        progress.close()
    if as_json:
        click.echo(json.dumps({"source": str(src), "method": result.method,
                               "reasons": list(result.reasons), "loudness": result.loudness,
                               "normalised": result.normalised, "poster_time": result.poster_time,
                               "outputs": [o.to_json() for o in result.outputs]}))
    elif not quiet:
        for output in result.outputs:
            click.echo(str(output.path))


@cli.command()
@click.argument("bundles", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--library", type=click.Path(file_okay=False, path_type=Path),
              help="Library folder to write into (default: $NEWSREEL_LIBRARY or instance/library).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64),
              help="Bundles prepared at once (default: one per core, at most one per bundle).")
@clip_options
def ingest(bundles: tuple[Path, ...], library: Path | None, jobs: int | None, max_height: int,
           crf: int, preset: str, renditions: tuple[int, ...], webm: bool, loudness: float,
           no_loudness: bool, max_duration: float, quiet: bool, as_json: bool) -> None:
    """Validate article BUNDLES, prepare their media and record them in the library.

    \b
    Example:
      python -m media ingest content/night-ferry-returns content/school-roof-garden

    An unchanged bundle is skipped. A bad bundle is reported in one line and
    leaves the library as it was; the other bundles are still ingested, and
    the exit code is 1 if any failed. Ctrl-C stops cleanly: nothing is left
    half-written; whole files no article uses yet stay until python -m media gc.
    """
    # Imported here: articles builds on this package, not the other way round.
    from articles.parallel import ingest_many
    from articles.store import Library, library_path
    from .clips import cpu_count
    from .probe import InputLimits

    jobs = jobs or max(1, min(len(bundles), cpu_count()))
    settings = _settings(max_height, crf, preset, renditions, webm, loudness, no_loudness)
    # Bars from parallel jobs would overwrite each other: one job draws one.
    progress = _Progress(enabled=not quiet and not as_json and jobs == 1)
    log = (lambda _: None) if quiet or as_json else (lambda message: click.echo(message, err=True))
    try:
        outcomes = ingest_many(bundles, Library(library_path(library)), settings,
                               InputLimits(max_duration=max_duration), jobs, progress, log)
    except KeyboardInterrupt:
        progress.close()
        click.echo("error: interrupted; finished bundles are saved, nothing is half-written",
                   err=True)
        sys.exit(130)
    progress.close()
    failures = [o for o in outcomes if o.error]
    for outcome in outcomes:
        if outcome.error:
            click.echo(f"error: {outcome.error}", err=True)
        elif not quiet and not as_json:
            for note in outcome.result.notes:
                click.echo(f"note: {note}", err=True)
    if as_json:
        click.echo(json.dumps([o.to_json() for o in outcomes]))
    if failures:
        if len(bundles) > 1:
            click.echo(f"{len(failures)} of {len(bundles)} bundles failed", err=True)
        sys.exit(1)


@cli.command()
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the demo bundles into (e.g. content).")
def demo(out: Path) -> None:
    """Write demo article bundles (clips, captions, photos, text) into --out.

    \b
    Example:
      python -m media demo --out content

    Existing bundle folders are left untouched.
    """
    from .demo import write_demo
    try:
        written = write_demo(out, log=lambda message: click.echo(message, err=True))
    except MediaError as error:
        raise click.ClickException(str(error)) from None
    for folder in written:
        click.echo(str(folder))


# imported last: the captions and gc commands live in their own modules
from .captions_cli import captions  # noqa: E402
from .gc_cli import gc  # noqa: E402

cli.add_command(captions)
cli.add_command(gc)


def main() -> None:
    """Run the CLI; errors become one line on stderr and a non-zero exit."""
    cli(prog_name="python -m media")
