"""The command group: ``python -m media`` and ``flask --app app media``, with every command added."""

from __future__ import annotations

import click

from cli.captions import captions
from cli.library import demo, gc, ingest
from cli.photos import inspect, thumbs
from cli.video import clip, probe
from media import __version__
from media.errors import MediaError
from media.ffmpeg import tools


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


for command in (probe, clip, thumbs, inspect, ingest, demo, gc, captions):
    cli.add_command(command)


def main() -> None:
    """Run the CLI; errors become one line on stderr and a non-zero exit."""
    cli(prog_name="python -m media")
