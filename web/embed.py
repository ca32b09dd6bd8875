"""The embeddable player page and its oEmbed description."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, current_app, jsonify, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from articles import present
from articles.document import Rendition, StoredArticle, StoredVideo
from web.caching import cached_page
from web.common import absolute_media_url, absolute_url, library, media_url
from web.pages import described_switch, start_time

DEFAULT_WIDTH = 640
MIN_WIDTH = 200
# Room beside the picture for the headline, the player's own controls, the caption
# lines and the transcript link at 640px wide; static/css/embed.css shrinks the
# picture when a frame has less.
CHROME_HEIGHT = 340
AUDIO_HEIGHT = 60
MAX_DIMENSION = 10_000
MAX_URL_CHARS = 2048
# Consumers (a partner's server, or its visitors' browsers now that scripts may
# read it) ask for the same description again and again; a title or poster
# changed by an ingest may show for five minutes, then the ETag revalidates.
OEMBED_CACHE_CONTROL = "public, max-age=300"
IFRAME = Markup('<iframe src="{}" title="{}" width="{}" height="{}" loading="lazy"'
                ' allowfullscreen></iframe>')


def register(app: Flask) -> None:
    """Add ``/embed/<slug>`` (endpoint ``embed``) and ``/oembed`` (endpoint ``oembed``)."""
    app.add_url_rule("/embed/<slug>", "embed", embed, methods=["GET"])
    app.add_url_rule("/oembed", "oembed", oembed, methods=["GET"])
    app.after_request(share_oembed)


def share_oembed(response):
    """Let scripts of any site read /oembed's answers, errors included; it is public and takes no cookies."""
    if request.path == "/oembed":
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@cached_page("t", "described")
def embed(slug: str):
    """The player of one article on its own, with captions and a link to the transcript."""
    row = library().article(slug)
    if row is None or not row.document.video:
        abort(404)
    start = start_time(request.args.get("t"), row.document.video)
    model = present.article_model(row.document, media_url)
    described = described_switch(model["video"], start)
    return render_template("embed.html", article=model, start=start, described=described)


def oembed():
    """oEmbed JSON for an article of this site: an iframe of its embed page, sized to fit."""
    url = request.args.get("url", "").strip()
    if not url:
        abort(400, description="oEmbed needs the address of an article: ?url=...")
    if len(url) > MAX_URL_CHARS:
        abort(400, description=f"The address in ?url= is longer than {MAX_URL_CHARS} characters.")
    if request.args.get("format", "json") != "json":
        abort(501, description="oEmbed is available as format=json only.")
    maxwidth, maxheight = dimension("maxwidth"), dimension("maxheight")
    slug = article_slug(url)
    row = library().article(slug) if slug else None
    if row is None or not row.document.video:
        abort(404, description="That address is not an article with a clip on this site.")
    article = row.document
    video = article.video
    width, height = frame_size(video, maxwidth, maxheight)
    src = absolute_url("embed", slug=row.slug)
    data = {
        "version": "1.0", "type": "rich" if video.kind == "audio" else "video",
        "title": article.title,
        "provider_name": current_app.config["SITE_NAME"],
        "provider_url": absolute_url("index"),
        "html": str(IFRAME.format(src, video.title, width, height)),
        "width": width, "height": height,
    }
    thumbnail = pick_thumbnail(article, maxwidth, maxheight)
    if thumbnail:
        data.update(thumbnail_url=absolute_media_url(thumbnail.src),
                    thumbnail_width=thumbnail.width, thumbnail_height=thumbnail.height)
    response = jsonify(data)
    response.headers["Cache-Control"] = OEMBED_CACHE_CONTROL
    return response


def dimension(name: str) -> int | None:
    """Return the ``maxwidth`` or ``maxheight`` argument as pixels, or None; nonsense is a 400."""
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_DIMENSION:
        abort(400, description=f"?{name}= must be a number of pixels from 1 to {MAX_DIMENSION}.")
    return int(value)


def split_url(url: str):
    """Return the parts of the ``?url=`` address; one that cannot be parsed is a 400."""
    try:
        parts = urlsplit(url)
        # The port is read only when asked for: out of range, or not digits, it raises too.
        parts.port  # noqa: B018
    except ValueError:
        abort(400, description="The address in ?url= is not a valid web address.")
    return parts


def article_slug(url: str) -> str | None:
    """Return the slug of an article URL of this site (SITE_URL's host, else the request's), else None."""
    parts = split_url(url)
    site = current_app.config["SITE_URL"]
    ours = {request.host.lower(), urlsplit(site).netloc} if site else {request.host.lower()}
    if parts.scheme not in ("http", "https") or parts.netloc.lower() not in ours:
        return None
    try:
        endpoint, args = current_app.url_map.bind(request.host).match(parts.path, method="GET")
    except HTTPException:
        return None
    return args["slug"] if endpoint == "article" else None


def frame_size(video: StoredVideo, maxwidth: int | None,
               maxheight: int | None) -> tuple[int, int]:
    """Return the iframe's (width, height): the clip's shape plus room for its text, within limits."""
    audio = video.kind == "audio" or not video.height
    width = min(DEFAULT_WIDTH, video.width or DEFAULT_WIDTH)
    if maxheight is not None and not audio:
        # As wide as still lets picture and text fit the height, but never unreadably narrow.
        fitting = (maxheight - CHROME_HEIGHT) * video.width // video.height
        width = min(width, max(MIN_WIDTH, fitting))
    if maxwidth is not None:
        width = min(width, maxwidth)
    picture = AUDIO_HEIGHT if audio else round(width * video.height / video.width)
    height = picture + CHROME_HEIGHT
    if maxheight is not None:
        height = min(height, maxheight)
    return width, height


def pick_thumbnail(article: StoredArticle, maxwidth: int | None,
                   maxheight: int | None) -> Rendition | None:
    """Return the largest JPEG poster (else lead photo) within the limits; oEmbed forbids larger."""
    video = article.video
    if video.poster:
        candidates = video.poster.images
    elif article.images:
        candidates = article.images[0].renditions
    else:
        return None
    fitting = sorted((c for c in candidates if c.media_type == "image/jpeg"
                      and (maxwidth is None or c.width <= maxwidth)
                      and (maxheight is None or c.height <= maxheight)),
                     key=lambda c: c.width)
    return fitting[-1] if fitting else None
