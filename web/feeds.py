"""The RSS 2.0 feed with Media RSS: clips, posters, credits, caption tracks and transcripts."""

from __future__ import annotations

import datetime as dt
import email.utils
import xml.etree.ElementTree as ET

from flask import Flask, Response, current_app

from articles.document import StoredArticle, StoredImage, StoredParagraph, StoredVideo
from articles.present import described_summary, described_title, spoken_versions, track_label
from captions.timecodes import format_timestamp
from web.caching import cached_page
from web.common import absolute_media_url, absolute_url, library

MEDIA = "http://search.yahoo.com/mrss/"
ATOM = "http://www.w3.org/2005/Atom"
MAX_ITEMS = 50
# Media RSS names roles in the EBU's vocabulary.
CREDIT_SCHEME = "urn:ebu"
# schema.org's accessibilityFeature vocabulary names the feature of a described version.
ACCESS_SCHEME = "https://schema.org/accessibilityFeature"


def register(app: Flask) -> None:
    """Add ``/feed.xml`` (endpoint ``feed``)."""
    app.add_url_rule("/feed.xml", "feed", feed, methods=["GET"])


@cached_page()
def feed():
    """The newest articles as RSS 2.0 with Media RSS, rendered once per library version."""
    articles = sorted((row.document for row in library().articles()),
                      key=lambda article: moment(article.published), reverse=True)[:MAX_ITEMS]
    channel = {"title": current_app.config["SITE_NAME"],
               "link": absolute_url("index"),
               "self": absolute_url("feed"),
               "description": "Accessible news: every clip with captions and a transcript."}
    body = build_feed(channel, articles,
                      page_url=lambda slug: absolute_url("article", slug=slug),
                      media_url=absolute_media_url)
    return Response(body, mimetype="application/rss+xml")


def moment(iso: str) -> dt.datetime:
    """Return a stored ISO 8601 timestamp as an aware datetime (ingest always gives an offset)."""
    return dt.datetime.fromisoformat(iso)


def rfc822(iso: str) -> str:
    """Return an ISO 8601 timestamp as RSS wants it: ``Fri, 20 Nov 2026 07:30:00 +0100``."""
    return email.utils.format_datetime(moment(iso))


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attributes.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def build_feed(channel: dict, articles: list[StoredArticle], page_url, media_url) -> bytes:
    """Return the feed's XML; ``page_url(slug)`` and ``media_url(name)`` give absolute URLs."""
    ET.register_namespace("media", MEDIA)
    ET.register_namespace("atom", ATOM)
    rss = ET.Element("rss", {"version": "2.0"})
    head = _add(rss, "channel")
    _add(head, "title", channel["title"])
    _add(head, "link", channel["link"])
    _add(head, "description", channel["description"])
    _add(head, "language", "en")
    _add(head, f"{{{ATOM}}}link", href=channel["self"], rel="self", type="application/rss+xml")
    if articles:
        latest = max(articles, key=lambda article: moment(article.published))
        _add(head, "lastBuildDate", rfc822(latest.published))
    for article in articles:
        _item(_add(head, "item"), article, page_url(article.slug), media_url)
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _item(item: ET.Element, article: StoredArticle, link: str, media_url) -> None:
    _add(item, "title", article.title)
    _add(item, "link", link)
    _add(item, "guid", link, isPermaLink="true")
    _add(item, "pubDate", rfc822(article.published))
    _add(item, "description", article.summary)
    video = article.video
    if video:
        _add(item, "enclosure", url=media_url(video.src), length=video.size,
             type=video.media_type)
        _clip(item, article, video, media_url)
    for image in article.images:
        _photo(item, image, media_url)


def _clip(item: ET.Element, article: StoredArticle, video: StoredVideo, media_url) -> None:
    medium = "audio" if video.kind == "audio" else "video"
    # The versions with spoken descriptions are the same clip in other files: Media RSS
    # groups such representations, the plain one the default.
    spoken = [version for version in spoken_versions(video, article.language)
              if version]
    parent = _add(item, f"{{{MEDIA}}}group") if spoken else item
    content = _add(parent, f"{{{MEDIA}}}content", url=media_url(video.src), type=video.media_type,
                   fileSize=video.size, duration=round(video.duration),
                   width=video.width, height=video.height, medium=medium,
                   isDefault="true", expression="full")
    _add(content, f"{{{MEDIA}}}title", video.title, type="plain")
    _add(content, f"{{{MEDIA}}}description", article.summary, type="plain")
    poster = video.poster
    if poster:
        jpeg = max((p for p in poster.images if p.media_type == "image/jpeg"),
                   key=lambda p: p.width, default=None)
        if jpeg:
            _add(content, f"{{{MEDIA}}}thumbnail", url=media_url(jpeg.src),
                 width=jpeg.width, height=jpeg.height)
    if video.credit:
        _add(content, f"{{{MEDIA}}}credit", video.credit, role="producer", scheme=CREDIT_SCHEME)
    for track in video.tracks:
        # The label as the page shows it, so that automatic captions say so here too.
        _add(content, f"{{{MEDIA}}}subTitle", track_label(track), type="text/vtt",
             lang=track.language, href=media_url(track.src))
    # The transcript, one timed paragraph at a time, each in its track's language:
    # the captions', or for a clip without sound, its descriptions'.
    for track in [*video.tracks, *video.extra_tracks]:
        for section in track.transcript or ():
            for paragraph in section.paragraphs:
                _add(content, f"{{{MEDIA}}}text", transcript_line(paragraph), type="plain",
                     lang=track.language, start=format_timestamp(paragraph.start),
                     end=format_timestamp(paragraph.end))
    for version in spoken:
        described = _add(parent, f"{{{MEDIA}}}content", url=media_url(version.src),
                         type=version.media_type, fileSize=version.size,
                         duration=round(version.duration), width=video.width,
                         height=video.height, medium=medium, expression="full",
                         lang=version.language)
        _add(described, f"{{{MEDIA}}}title", described_title(version, video.title), type="plain")
        _add(described, f"{{{MEDIA}}}description", described_summary(version), type="plain")
        _add(described, f"{{{MEDIA}}}category", "audioDescription", scheme=ACCESS_SCHEME,
             label="Audio description")


def transcript_line(paragraph: StoredParagraph) -> str:
    """Return a transcript paragraph as the page shows it: speaker named, descriptions in brackets."""
    if paragraph.kind == "description":
        return f"[{paragraph.text}]"
    if paragraph.speaker:
        return f"{paragraph.speaker}: {paragraph.text}"
    return paragraph.text


def _photo(item: ET.Element, image: StoredImage, media_url) -> None:
    renditions = [r for r in image.renditions if r.media_type == "image/jpeg"] or image.renditions
    largest = max(renditions, key=lambda r: r.width)
    content = _add(item, f"{{{MEDIA}}}content", url=media_url(largest.src), type=largest.media_type,
                   width=largest.width, height=largest.height, medium="image")
    if image.caption or image.alt:
        _add(content, f"{{{MEDIA}}}description", image.caption or image.alt, type="plain")
    smallest = min(renditions, key=lambda r: r.width)
    _add(content, f"{{{MEDIA}}}thumbnail", url=media_url(smallest.src),
         width=smallest.width, height=smallest.height)
    if image.creator:
        _add(content, f"{{{MEDIA}}}credit", image.creator, role="photographer",
             scheme=CREDIT_SCHEME)
    if image.credit != image.creator:
        # The credit line names an agency or desk as often as a person.
        _add(content, f"{{{MEDIA}}}credit", image.credit, role="distribution company",
             scheme=CREDIT_SCHEME)
    if image.copyright:
        _add(content, f"{{{MEDIA}}}copyright", image.copyright)
