"""``python -m media probe`` and ``clip``: describe a media file, prepare one outside any bundle."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from cli.options import ProgressBars, clip_options, clip_settings, show_messages


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def probe(file: Path, as_json: bool) -> None:
    """Describe a video or audio FILE: format, duration, size, codecs, rotation.

    \b
    Example:
      python -m media probe content/night-ferry-returns/clip.mp4 --json
    """
    from media.ffmpeg.probe import probe as probe_file
    summary = probe_file(file).summary()
    if as_json:
        click.echo(json.dumps(summary))
    else:
        for key, value in summary.items():
            click.echo(f"{key}: {value}")


@click.command()
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
    from media.ffmpeg.probe import probe as probe_file

    settings = clip_settings(max_height, crf, preset, renditions, webm, loudness, no_loudness)
    # ffprobe runs in a process of its own: the pipeline (Pillow and all) is
    # imported while it reads the source, instead of after.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe") as pool:
        probed = pool.submit(probe_file, src)
        from media.ffmpeg.info import InputLimits
        from media.video.clips import prepare_clip
        info = probed.result()
    progress = ProgressBars(enabled=not quiet and not as_json)
    show_messages(not quiet and not as_json)
    try:
        result = prepare_clip(info, out, settings, poster_at=poster_at,
                              limits=InputLimits(max_duration=max_duration),
                              on_progress=progress)
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
