"""The home page and the article pages."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, abort, render_template, request
from werkzeug.routing import RequestRedirect

from articles import present
from articles.document import StoredVideo
from captions.timecodes import format_seconds, parse_seconds
from web.caching import cached_page, parse_switch
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


@cached_page("t", "described")
def article(slug: str):
    """One article with its player, transcript, photos and related stories."""
    lib = library()
    row = lib.article(slug)
    if row is None:
        abort(404)
    start = start_time(request.args.get("t"), row.document.video)
    model = present.article_model(row.document, media_url)
    described = described_switch(model["video"], start)
    # a version named in the front matter but not ingested (yet) is no link at all
    model["versions"] = [v for v in model["versions"] if lib.article(v["slug"]) is not None]
    related = [present.teaser_model(r.document, media_url)
               for r in (lib.article(s) for s in row.document.related) if r is not None]
    if not related:
        related = [present.teaser_model(r.document, media_url)
                   for r in lib.articles() if r.slug != slug][:3]
    structured = present.structured_data(
        row.document, absolute_media_url, absolute_url("article", slug=slug),
        embed_url=absolute_url("embed", slug=slug) if row.document.video else None)
    return render_template("article.html", article=model, start=start, related=related,
                           structured=structured, described=described)


class StartElsewhere(RequestRedirect):
    """The page with this start time is at another address: a 302, since a new clip may change it."""

    code = 302


def start_time(value: str | None, video: StoredVideo | None) -> float | None:
    """Return the ``?t=`` start second for the player, or None.

    A malformed value is a 400. Each start has one address, so that each is one
    page to render and cache: another spelling of it ("01", "1.0", "1.0004", a
    time past the end of the clip, any ``?t=`` on a page without one) redirects
    there, keeping the other arguments.

    :raises StartElsewhere: the start's address is another one.
    """
    if value is None:
        return None
    if video is None:
        raise StartElsewhere(_address_with_start(None))
    try:
        seconds = parse_seconds(value)
    except ValueError:
        abort(400, description="The start time ?t= must be a number of seconds, such as 75 or 12.5.")
    written = format_seconds(min(seconds, video.duration))
    if written != value or len(request.args.getlist("t")) > 1:
        raise StartElsewhere(_address_with_start(written))
    return float(written)


def described_switch(video: dict | None, start: float | None) -> dict | None:
    """Return whether ``?described=1`` asks for the spoken version, and the addresses with and without it.

    None when the clip has no spoken version the player could switch to.

    :raises StartElsewhere: ``?described=1`` on a page whose clip has no such version.
    """
    given = request.args.getlist("described")
    if len(given) > 1:
        abort(400, description="Give ?described= once: ?described=1 plays the clip with spoken "
                               "audio description.")
    if given:
        try:
            parse_switch(given[0])
        except ValueError:
            abort(400, description="?described= takes only 1: ?described=1 plays the clip with "
                                   "spoken audio description.")
    if video is None or video["described"] is None:
        if given:
            raise StartElsewhere(_address_with("described", None))
        return None
    here = request.script_root + request.path
    at = [("t", format_seconds(start))] if start is not None else []
    # What the player script swaps between, keeping its place and captions.
    player = {"on": bool(given), "language": video["described"]["language"],
              "described": [{"src": video["described"]["url"], "type": video["described"]["type"]}],
              "plain": [{"src": source["url"], "type": source["type"]} for source in video["sources"]]}
    return {"on": bool(given), "player": player,
            "with_url": f"{here}?{urlencode([('described', '1'), *at])}",
            "without_url": here + (f"?{urlencode(at)}" if at else "")}


def _address_with_start(written: str | None) -> str:
    """Return this page's site-relative address with ``?t=`` set to ``written``, or without it."""
    return _address_with("t", written)


def _address_with(argument: str, written: str | None) -> str:
    """Return this page's site-relative address with ``argument`` set to ``written``, or without it."""
    args = [(name, value) for name, value in request.args.items(multi=True) if name != argument]
    if written is not None:
        args.append((argument, written))
    query = urlencode(args)
    return request.script_root + request.path + (f"?{query}" if query else "")
