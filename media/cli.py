"""The ``python -m media`` command line: thin, over the same functions the web app uses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__, tools
from .errors import MediaError


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


@cli.command()
@click.argument("bundles", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--library", type=click.Path(file_okay=False, path_type=Path),
              help="Library folder to write into (default: $NEWSREEL_LIBRARY or instance/library).")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
def ingest(bundles: tuple[Path, ...], library: Path | None, quiet: bool) -> None:
    """Validate article BUNDLES, prepare their media and record them in the library.

    \b
    Example:
      python -m media ingest content/night-ferry-returns content/school-roof-garden

    An unchanged bundle is skipped. A bad bundle is reported in one line and
    leaves the library as it was; the other bundles are still ingested.
    """
    # Imported here: articles builds on this package, not the other way round.
    import captions
    from articles.bundle import BundleError
    from articles.ingest import ingest_bundle
    from articles.store import Library, library_path

    target = Library(library_path(library))
    log = (lambda _: None) if quiet else (lambda message: click.echo(message, err=True))
    failures = 0
    for bundle in bundles:
        try:
            result = ingest_bundle(bundle, target, log=log)
        except (BundleError, captions.CaptionError, MediaError) as error:
            click.echo(f"error: {error}", err=True)
            failures += 1
            continue
        if not quiet:
            for note in result.notes:
                click.echo(f"note: {note}", err=True)
    if failures:
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


def main() -> None:
    """Run the CLI; errors become one line on stderr and a non-zero exit."""
    cli(prog_name="python -m media")
