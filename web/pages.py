"""The home page and the article pages."""

from __future__ import annotations

from flask import Flask, abort, render_template, request

from articles import present
from captions.timecodes import parse_seconds
from web.caching import cached_page
from web.common import absolute_media_url, absolute_url, library, media_url


def register(app: Flask) -> None:
    """Add ``/`` (endpoint ``index``) and ``/articles/<slug>`` (endpoint ``article``)."""
    app.add_url_rule("/", "index", index, methods=["GET"])
    app.add_url_rule("/articles/<slug>", "article", article, methods=["GET"])


@cached_page()
def index():
    """The home page: the top story, then more stories."""
    teasers = [present.teaser_model(row.document, media_url) for row in library().articles()]
    return render_template("index.html", top=teasers[:1], more=teasers[1:])


@cached_page("t")
def article(slug: str):
    """One article with its player, transcript, photos and related stories."""
    lib = library()
    row = lib.article(slug)
    if row is None:
        abort(404)
    model = present.article_model(row.document, media_url)
    # a version named in the front matter but not ingested (yet) is no link at all
    model["versions"] = [v for v in model["versions"] if lib.article(v["slug"]) is not None]
    start = start_time(request.args.get("t"), model["video"])
    related = [present.teaser_model(r.document, media_url)
               for r in (lib.article(s) for s in row.document.related) if r is not None]
    if not related:
        related = [present.teaser_model(r.document, media_url)
                   for r in lib.articles() if r.slug != slug][:3]
    structured = present.structured_data(
        row.document, absolute_media_url, absolute_url("article", slug=slug),
        embed_url=absolute_url("embed", slug=slug) if row.document.video else None)
    return render_template("article.html", article=model, start=start, related=related,
                           structured=structured)


def start_time(value: str | None, video: dict | None) -> float | None:
    """Return the ``?t=`` start second for the player, or None; malformed values are a 400."""
    if value is None or video is None:
        return None
    try:
        seconds = parse_seconds(value)
    except ValueError:
        abort(400, description="The start time ?t= must be a number of seconds.")
    return min(seconds, video["duration"])
