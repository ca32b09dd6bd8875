"""The command group: ``python -m media`` and ``flask --app app media``, with every command added."""

from __future__ import annotations

import click

from articles.errors import ArticleError
from captions.errors import CaptionError
from cli.captions import captions
from cli.database import db
from cli.describe import describe
from cli.library import demo, gc, ingest
from cli.migrate import migrate
from cli.photos import inspect, thumbs
from cli.queue import jobs, worker
from cli.video import clip, probe
from media import __version__
from media.errors import MediaError, ToolNotFoundError
from media.ffmpeg import tools


class _Group(click.Group):
    """The one place where the packages' errors become one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (MediaError, CaptionError, ArticleError) as error:
            raise click.ClickException(str(error)) from None


def _version_text() -> tuple[str, bool]:
    """Return the version lines, and whether ffmpeg and ffprobe were both found."""
    lines, found = [f"newsreel media {__version__}"], True
    for name in ("ffmpeg", "ffprobe"):
        try:
            tool = tools.find_tool(name)
            lines.append(f"{name}: {tool.path} ({tool.origin}): {tool.version}")
        except ToolNotFoundError as error:
            lines.append(f"{name}: {error}")
            found = False
    return "\n".join(lines), found


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text()[0])
        ctx.exit()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
    text, found = _version_text()
    click.echo(text)
    if not found:
        raise click.ClickException("ffmpeg or ffprobe is missing")


for command in (probe, clip, thumbs, inspect, ingest, demo, gc, captions, describe, db, worker, jobs,
                migrate):
    cli.add_command(command)


def main() -> None:
    """Run the CLI; errors become one line on stderr and a non-zero exit."""
    cli(prog_name="python -m media")
