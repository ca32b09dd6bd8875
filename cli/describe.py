"""``python -m media describe``: speak a clip's descriptions into an audio-described version."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.options import show_messages


@click.command()
@click.argument("clip", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--descriptions", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The descriptions track (WebVTT, SRT or SBV) to speak.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the described versions into.")
@click.option("--language", default="en", show_default=True,
              help="The language of the descriptions (any espeak-ng voice).")
@click.option("--captions", "caption_files", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="A caption track of the clip: where its speech is, so descriptions keep "
                   "out of it; it goes, re-timed, into the extended version. Repeatable.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the versions written and where each description went as JSON.")
def describe(clip: Path, descriptions: Path, out: Path, language: str,
             caption_files: tuple[Path, ...], quiet: bool, as_json: bool) -> None:
    """Speak the descriptions of CLIP with espeak-ng into an audio-described version.

    Each description is spoken at its cue's start, as fast as it must be to
    fit before the next speech (at most 220 words a minute); the clip's sound
    is lowered 15 dB under the voice and the mix brought to -16 LUFS. The
    video is copied, so CLIP.described.mp4 has the clip's pictures and length.
    Where a description does not fit before the next speech (or, without
    --captions, before its cue ends), CLIP.extended.mp4 also holds the frame
    while it is spoken (WCAG 1.2.7) and carries the captions inside. Nothing
    is written when the clip or the descriptions cannot be used.

    \b
    Example:
      python -m media describe clip.mp4 --descriptions clip.en.descriptions.vtt \\
          --captions clip.en.vtt --out described/ --json
    """
    from captions import load_captions
    from media.speech.describe import CaptionsInside, describe_clip
    show_messages(not quiet and not as_json)
    track = load_captions(descriptions)
    inside = [CaptionsInside(load_captions(path), language, path.name) for path in caption_files]
    try:
        # the folder is made only once the clip and the descriptions have passed every check
        result = describe_clip(clip, track, out / f"{clip.stem}.described.mp4",
                               out / f"{clip.stem}.extended.mp4", language, inside)
    except OSError as error:
        raise click.ClickException(f"{out}: cannot write: {error.strerror or error}") from None
    if as_json:
        click.echo(json.dumps({"source": str(clip), **result.to_json()}, ensure_ascii=False))
        return
    if quiet:
        return
    until = "the next speech" if caption_files else "its cue ends"
    for placement in result.placements:
        if not placement.fits:
            click.echo(f"{descriptions}:{placement.description.line}: needs "
                       f"{placement.length:.1f} s, has {placement.window:.1f} s before {until}: "
                       "the extended version holds the frame for it", err=True)
    for written in (result.standard, result.extended):
        if written is not None:
            click.echo(str(written.path))
