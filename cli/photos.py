"""``python -m media thumbs`` and ``inspect``: credited thumbnails and a photo's credit metadata."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.options import parse_focus, parse_formats, parse_widths


@click.command()
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the thumbnails into.")
@click.option("--credit", help="Credit line (default: read from the image's metadata).")
@click.option("--widths", callback=parse_widths, metavar="W,W,...",
              help="Widths in pixels [default: 320,640,960,1280,1920]; never upscaled.")
@click.option("--formats", callback=parse_formats, metavar="F,F,...",
              help="Any of avif,webp,jpeg [default: all three].")
@click.option("--crop", metavar="W:H", help="Crop to this aspect ratio first, e.g. 16:9 or 1:1.")
@click.option("--focus", callback=parse_focus, metavar="X,Y",
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
    from media.photos.thumbs import DEFAULT_FORMATS, DEFAULT_WIDTHS, make_thumbnails, parse_aspect
    try:
        if crop:
            parse_aspect(crop)
        result = make_thumbnails(image, out, image.stem, widths or DEFAULT_WIDTHS,
                                 formats or DEFAULT_FORMATS, credit=credit, crop=crop, focus=focus)
    except ValueError as error:
        raise click.ClickException(f"{image}: {error}") from None
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        for thumbnail in result.thumbnails:
            click.echo(str(thumbnail.path))


@click.command()
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def inspect(image: Path, as_json: bool) -> None:
    """Show the credit metadata of IMAGE per family (XMP, IPTC, EXIF) and what is chosen.

    \b
    Example:
      python -m media inspect content/night-ferry-returns/photo.jpg --json

    Precedence: XMP, then IPTC, then EXIF; disagreements are listed.
    """
    from media.photos.metadata import read_photo_metadata
    found = read_photo_metadata(image)
    if as_json:
        click.echo(json.dumps(found.to_json(), ensure_ascii=False))
        return
    data = found.to_json()
    for name, value in data["chosen"].items():
        where = f" ({data['sources'][name].upper()})" if name in data["sources"] else ""
        click.echo(f"{name}: {value if value is not None else '-'}{where}")
    for warning in data["warnings"]:
        click.echo(f"warning: {warning}")
