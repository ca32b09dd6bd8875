"""``python -m media captions``: parse, check, convert, transcribe and align caption files.

Thin: each command calls the ``captions`` package (``media.video.sound`` for
``check --video``, ``media.speech`` for ``align`` and ``draft``) and prints what it returns.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from media.files import write_text_atomic

# The captions package is imported inside each command, so that the other
# media commands (and every ingest) start without loading it. These names
# are kept equal to captions.profiles.PROFILES by a test.
PROFILE_NAMES = ("newsreel", "netflix-en", "bbc", "dcmp")

# exit codes of ``check``, a contract with scripts and CI jobs
CLEAN, QUALITY_PROBLEMS, INVALID = 0, 1, 2
_CONVERT_TO = {".vtt": "to_webvtt", ".srt": "to_srt"}


@click.group()
def captions() -> None:
    """Parse, check, convert, transcribe and align caption files (WebVTT, SRT, SBV)."""


@captions.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the cues and regions as JSON.")
def parse(file: Path, as_json: bool) -> None:
    """Parse a WebVTT FILE as a browser does and print its cues with their settings.

    --json prints {"valid", "error", "cues", "regions"}; each cue has the
    attribute names of the HTML VTTCue interface. Exits 2 if FILE is not WebVTT.

    \b
    Example:
      python -m media captions parse content/night-ferry-returns/captions.en.vtt --json
    """
    from captions.webvtt_parser import parse_webvtt_file
    parsed = parse_webvtt_file(file)
    if as_json:
        click.echo(json.dumps(parsed.to_json(), ensure_ascii=False))
    else:
        if not parsed.valid:
            click.echo(f"{file}:{parsed.error_line or 1}: {parsed.error}", err=True)
        for cue in parsed.cues:
            click.echo(f"{file}:{cue.line_number}: {cue.start_time:.3f} --> "
                       f"{cue.end_time:.3f} {' '.join(cue.text.split())}")
    if not parsed.valid:
        sys.exit(INVALID)


@captions.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--profile", type=click.Choice(PROFILE_NAMES), default="newsreel",
              show_default=True, help="The caption guidelines to check against.")
@click.option("--video", "clip", type=click.Path(dir_okay=False, path_type=Path),
              help="The clip: find cues past its end and sound with no caption.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
def check(file: Path, profile: str, clip: Path | None, as_json: bool) -> None:
    """Check caption FILE for syntax and quality problems, one line per problem.

    Exits 0 when clean, 1 with quality problems only, 2 if FILE is invalid.

    \b
    Example:
      python -m media captions check captions.en.vtt --profile netflix-en
      python -m media captions check captions.en.vtt --video clip.mp4 --json
    """
    from captions.quality import check_file
    duration = sound = None
    frame_rate = 25.0
    if clip is not None:
        from media.ffmpeg.probe import probe
        from media.video.sound import sound_stretches
        info = probe(clip)
        sound = sound_stretches(clip, info)
        duration = info.duration
        frame_rate = getattr(info, "frame_rate", None) or frame_rate
    report = check_file(file, profile, clip_duration=duration, sound=sound,
                        frame_rate=frame_rate)
    if as_json:
        click.echo(json.dumps([problem.to_json() for problem in report.problems],
                              ensure_ascii=False))
    else:
        for problem in report.problems:
            click.echo(str(problem))
        click.echo(_summary(file, report), err=True)
    if not report.valid:
        sys.exit(INVALID)
    sys.exit(QUALITY_PROBLEMS if report.problems else CLEAN)


def _summary(file: Path, report) -> str:
    """Return the closing line of ``check``: what was found, in words."""
    if not report.valid:
        return f"{file}: invalid, not checked further"
    if not report.problems:
        return f"{file}: no problems"
    errors = sum(problem.severity == "error" for problem in report.problems)
    warnings = len(report.problems) - errors
    return f"{file}: {errors} error(s), {warnings} warning(s)"


@captions.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def convert(source: Path, target: Path) -> None:
    """Convert SOURCE (.vtt, .srt or .sbv) to TARGET (.vtt or .srt).

    WebVTT output is canonical: UTF-8, LF, cues sorted, ids, settings and
    markup kept. TARGET is written whole or not at all; SOURCE is never changed.

    \b
    Example:
      python -m media captions convert interview.srt interview.vtt
    """
    import captions
    writer_name = _CONVERT_TO.get(target.suffix.lower())
    if writer_name is None:
        raise click.ClickException(
            f"{target}: cannot write '{target.suffix or 'no extension'}' (use .vtt or .srt)")
    if target.exists() and target.resolve() == source.resolve():
        raise click.ClickException(f"{target}: is the source file; choose another name")
    track = captions.load_captions(source)
    writer = getattr(captions, writer_name)
    for warning in track.warnings:
        click.echo(f"warning: {warning}", err=True)
    try:
        write_text_atomic(target, writer(track))
    except OSError as error:
        raise click.ClickException(f"{target}: cannot write: {error.strerror or error}") from None


@captions.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--descriptions", type=click.Path(dir_okay=False, path_type=Path),
              help="A descriptions track to merge in, shown in [brackets].")
@click.option("--chapters", type=click.Path(dir_okay=False, path_type=Path),
              help="A chapters track whose titles become headings.")
@click.option("--format", "output", type=click.Choice(["txt", "html", "json"]),
              default="txt", show_default=True, help="What to print.")
def transcript(file: Path, descriptions: Path | None, chapters: Path | None,
               output: str) -> None:
    """Print the transcript of caption FILE, with descriptions and chapters merged in.

    \b
    Example:
      python -m media captions transcript captions.en.vtt --chapters chapters.vtt --format html
    """
    from captions import load_captions
    from captions.transcript import (
        build_full_transcript,
        transcript_html,
        transcript_json,
        transcript_text,
    )
    tracks = [load_captions(path) if path else None
              for path in (file, descriptions, chapters)]
    spoken, described, chaptered = tracks
    result = build_full_transcript(
        spoken.cues, described.cues if described else (), chaptered.cues if chaptered else ())
    if output == "json":
        click.echo(json.dumps(transcript_json(result), ensure_ascii=False))
    elif output == "html":
        click.echo(transcript_html(result))
    else:
        click.echo(transcript_text(result))


@captions.command()
@click.argument("script_file", metavar="SCRIPT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--media", "clip", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The clip whose speech the script is.")
@click.option("--language", default="en", show_default=True,
              help="The language spoken (models are bundled for: en).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The WebVTT file to write.")
@click.option("--profile", type=click.Choice(PROFILE_NAMES), default="newsreel",
              show_default=True, help="The caption guidelines the cues keep to.")
@click.option("--model", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A pocketsphinx model directory (acoustic model and one .dict) for another language.")
@click.option("--json", "as_json", is_flag=True, help="Print the cues, unmatched parts and counts as JSON.")
def align(script_file: Path, clip: Path, language: str, out: Path, profile: str,
          model: Path | None, as_json: bool) -> None:
    """Time the words of SCRIPT (plain text) to the speech in a clip and write captions.

    SCRIPT is plain UTF-8 text in paragraphs. A line starting "Name:" names
    the speaker of its paragraph (a <v Name> voice in the cues); [text in
    brackets] describes a sound and gets a cue of its own without being
    aligned. The cues keep to the chosen profile, as "captions check" judges
    it. Script words that are not in the audio, and sound with no script,
    are listed with their times, not stretched to fit. Nothing is written
    when the script or the clip cannot be used.

    \b
    Example:
      python -m media captions align script.txt --media clip.mp4 --out captions.en.vtt
      python -m media captions align script.txt --media clip.mp4 --out captions.en.vtt --json
    """
    from captions.profiles import get_profile
    from media.speech.align import align as align_speech
    from media.speech.cues import build_cues, write_cues
    from media.speech.script import read_script
    for other in (script_file, clip):
        if out.exists() and other.exists() and out.resolve() == other.resolve():
            raise click.ClickException(f"{out}: is an input file; choose another name for the captions")
    script = read_script(script_file)
    alignment = align_speech(clip, script, language, model)
    cues = build_cues(script, alignment, get_profile(profile))
    try:
        write_cues(out, cues)
    except OSError as error:
        raise click.ClickException(f"{out}: cannot write: {error.strerror or error}") from None
    if as_json:
        click.echo(json.dumps({
            "cues": [{"start": cue.start, "end": cue.end, "text": cue.text} for cue in cues],
            "unmatched": [part.to_json() for part in alignment.unmatched],
            "counts": {"words": len(alignment.words), "cues": len(cues),
                       "unmatched": len(alignment.unmatched)},
            "duration": alignment.duration,
        }, ensure_ascii=False))
        return
    from captions.timecodes import format_timestamp
    for part in alignment.unmatched:
        what = "not in the audio" if part.kind == "script" else "no script"
        click.echo(f"{script_file}: {format_timestamp(part.start)} --> {format_timestamp(part.end)} "
                   f"{what}: {part.text}", err=True)
    click.echo(f"{out}: {len(cues)} cues from {len(alignment.words)} words, "
               f"{len(alignment.unmatched)} part(s) unmatched", err=True)


@captions.command()
@click.argument("clip", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The WebVTT file to write.")
@click.option("--language", default="en", show_default=True,
              help="The language spoken (models are bundled for: en).")
@click.option("--profile", type=click.Choice(PROFILE_NAMES), default="newsreel",
              show_default=True, help="The caption guidelines the cues keep to.")
@click.option("--hint", "hints", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The story's text (plain text, or a bundle's article.md) whose words the speech "
                   "is likely to hold; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the cues, word count, duration and NOTE as JSON.")
def draft(clip: Path, out: Path, language: str, profile: str, hints: tuple[Path, ...], as_json: bool) -> None:
    """Transcribe the speech in CLIP and write draft captions for an editor to correct.

    Speech recognition (pocketsphinx with its bundled model, offline) writes
    the words it hears as cues that keep to the chosen profile. The file
    starts with a NOTE saying it is an automatic draft that needs review; a
    bundle may publish it only as a track marked automatic: true. Recognition
    makes mistakes, above all with names and numbers: read every cue. Nothing
    is written when the clip cannot be used.

    Each --hint file lends its words to recognition: a language model made
    from it for this run prefers the story's names and topic words, and
    still lets other words be heard. The NOTE names the hints used. Nothing
    is written when a hint is empty, binary or in another language.

    \b
    Example:
      python -m media captions draft clip.mp4 --out captions.en.vtt
      python -m media captions draft clip.mp4 --out captions.en.vtt --hint story/article.md
      python -m media captions draft clip.mp4 --out captions.en.vtt --json
    """
    from captions.profiles import get_profile
    from media.speech.draft import draft_cues, transcribe, write_draft
    if out.exists() and clip.exists() and out.resolve() == clip.resolve():
        raise click.ClickException(f"{out}: is the clip; choose another name for the captions")
    transcript = transcribe(clip, language, hints)
    cues = draft_cues(transcript, get_profile(profile))
    try:
        write_draft(out, cues, transcript.note)
    except OSError as error:
        raise click.ClickException(f"{out}: cannot write: {error.strerror or error}") from None
    if as_json:
        click.echo(json.dumps({
            "cues": [{"start": cue.start, "end": cue.end, "text": cue.text} for cue in cues],
            "counts": {"words": len(transcript.words), "cues": len(cues)},
            "duration": transcript.duration,
            "note": transcript.note,
        }, ensure_ascii=False))
        return
    click.echo(f"{out}: draft of {len(cues)} cues from {len(transcript.words)} words recognised; "
               "review every cue before publishing", err=True)
