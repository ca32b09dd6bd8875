"""Turn stored articles into plain view models for templates.

Templates only format what they are given: no file access, no parsing here
either, just arithmetic on stored values.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from markupsafe import Markup

from articles import languages
from articles.document import Rendition, StoredArticle, StoredDescribed, StoredImage, StoredTrack, StoredVideo
from captions.timecodes import format_clock, iso_duration_whole

MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")


def long_date(iso: str) -> str:
    """Return a date such as ``20 November 2026`` for an ISO timestamp."""
    moment = dt.datetime.fromisoformat(iso)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def file_size(size: int) -> str:
    """Return a human file size: ``840 KB``, ``2.1 MB``."""
    if size < 1_000_000:
        return f"{max(1, round(size / 1000))} KB"
    return f"{size / 1_000_000:.1f} MB"


def srcset(renditions: Iterable[Rendition], url) -> str:
    """Return an ``srcset`` value from renditions and a function mapping a media name to a URL."""
    return ", ".join(f"{url(r.src)} {r.width}w" for r in renditions)


# "automatic" in the language of the track, whose label names its language in
# itself ("Deutsch"); a language missing here gets the English word.
AUTOMATIC = {"en": "automatic", "de": "automatisch", "fr": "automatique", "es": "automático",
             "it": "automatico", "nl": "automatisch", "pt": "automático", "ar": "تلقائي"}


def track_label(track: StoredTrack) -> str:
    """Return the label shown for a track: "English (automatic)" for unreviewed speech recognition."""
    if not track.automatic:
        return track.label
    word = AUTOMATIC.get(languages.primary(track.language), AUTOMATIC["en"])
    return f"{track.label} ({word})"


def _track_model(track: StoredTrack, url) -> dict:
    """Return a track with its URL and, if it has a transcript, its sections with clock times."""
    model = {**track.to_json(), "label": track_label(track), "url": url(track.src)}
    if track.transcript is not None:
        model["sections"] = [{**section.to_json(), "clock": format_clock(section.start),
                              "second": int(section.start),
                              "paragraphs": [{**p.to_json(), "clock": format_clock(p.start),
                                              "second": int(p.start)}
                                             for p in section.paragraphs]}
                             for section in track.transcript]
    return model


def _chapters_track(extra: Iterable[StoredTrack], language: str | None) -> StoredTrack | None:
    """Return the chapters track in ``language`` (else its primary language, else the first)."""
    found = [t for t in extra if t.kind == "chapters"]
    match = None if language is None else languages.closest(
        found, language, tag_of=lambda track: track.language)
    return match or (found[0] if found else None)


def _described(transcripts: Iterable[StoredTrack]) -> bool:
    """Return whether any of the transcripts holds a description."""
    return any(p.kind == "description" for t in transcripts
               for section in t.transcript or () for p in section.paragraphs)


def _transcripts(video: StoredVideo,
                 language: str | None) -> tuple[list[StoredTrack], StoredTrack | None]:
    """Return the descriptions shown as transcripts after the captions, and the track shown open."""
    # Captions and subtitles first, in the order of their <track>s; then the
    # descriptions of a clip without sound that ingest gave a transcript,
    # because they are its text alternative, the article's language first.
    described = sorted((t for t in video.extra_tracks if t.transcript),
                       key=lambda t: language is None or languages.primary(t.language)
                       != languages.primary(language))
    # The default captions are open; with no captions, the first descriptions.
    # The chapter list and the JSON-LD transcript follow the same choice.
    opened = (next((t for t in video.tracks if t.default), None)
              or next(iter([*video.tracks, *described]), None))
    return described, opened


def described_versions(video: StoredVideo,
                       language: str | None) -> tuple[StoredDescribed | None, StoredDescribed | None]:
    """Return the standard and the extended spoken version in ``language`` (or its primary language).

    The player switches to the standard one in place, so it must speak the
    language of the words shown with the clip; a version in another language
    is not offered at all.
    """
    if language is None:
        return None, None
    return tuple(languages.closest([v for v in video.described if v.extended is extended], language,
                                   tag_of=lambda version: version.language)
                 for extended in (False, True))


def spoken_versions(video: StoredVideo,
                    language: str | None) -> tuple[StoredDescribed | None, StoredDescribed | None]:
    """Return the spoken versions a page offers: those in the language of the transcript it opens.

    ``language`` is the article's, as for ``video_model``.
    """
    _, opened = _transcripts(video, language)
    return described_versions(video, opened.language if opened else language)


def _described_model(version: StoredDescribed | None, url) -> dict | None:
    if version is None:
        return None
    return {**version.to_json(), "url": url(version.src), "clock": format_clock(version.duration),
            "iso_duration": iso_duration_whole(version.duration),
            "size_text": file_size(version.size)}


def video_model(video: StoredVideo | None, url, language: str | None = None) -> dict | None:
    """Return the template fields of a clip; ``url`` maps a media name to its URL.

    ``language`` is the article's: of several description transcripts, the
    one in that language comes first and is the one shown open.
    """
    if video is None:
        return None
    described, opened = _transcripts(video, language)
    shown = [*video.tracks, *described]
    chapters = _chapters_track(video.extra_tracks, opened.language if opened else None)
    silent = not video.has_audio
    standard, extended = spoken_versions(video, language)
    return {
        **video.to_json(),
        "url": url(video.src),
        "sources": [{**source.to_json(), "url": url(source.src)} for source in video.sources],
        "poster_url": url(video.poster.src) if video.poster else None,
        "clock": format_clock(video.duration),
        "iso_duration": iso_duration_whole(video.duration),
        "size_text": file_size(video.size),
        "tracks": [_track_model(t, url) for t in video.tracks],
        "extra_tracks": [_track_model(t, url) for t in video.extra_tracks],
        "transcripts": [{**_track_model(t, url), "open": t is opened} for t in shown],
        "transcript_describes_silent_clip": silent and bool(described),
        "chapters": [{**c.to_json(), "clock": format_clock(c.start), "second": int(c.start)}
                     for c in chapters.chapters or ()] if chapters else [],
        "chapters_language": chapters.language if chapters else None,
        # A clip without sound has nothing to voice them over: its descriptions
        # are text, and only there when a transcript holds them.
        "has_descriptions": (_described(shown) if silent
                             else any(t.kind == "descriptions" for t in video.extra_tracks)),
        "descriptions_name": "Description" if silent else "Audio description",
        "languages": ", ".join(track_label(t) for t in video.tracks),
        # The spoken descriptions: the version the player can switch to, and the
        # longer one with held frames, offered as a file of its own.
        "described": _described_model(standard, url),
        "described_extended": _described_model(extended, url),
    }


# Listed in this order as <source>s: a browser takes the first it can show.
PICTURE_TYPES = ("image/avif", "image/webp")


def image_model(image: StoredImage, url) -> dict:
    """Return the template fields of a photo: modern formats as sources, JPEG for ``<img>``."""
    renditions = sorted(image.renditions, key=lambda r: r.width)
    jpegs = [r for r in renditions if r.media_type == "image/jpeg"] or renditions
    largest = jpegs[-1]
    sources = [{"type": kind,
                "srcset": srcset([r for r in renditions if r.media_type == kind], url)}
               for kind in PICTURE_TYPES if any(r.media_type == kind for r in renditions)]
    return {**image.to_json(), "url": url(largest.src), "width": largest.width,
            "height": largest.height, "srcset": srcset(jpegs, url), "sources": sources}


def badges(video: dict | None) -> list[dict]:
    """Return a clip's access features as text badges: captions by language, AD, transcript, chapters."""
    if video is None:
        return []
    found = []
    if video["kind"] != "audio":
        for kind, text in (("captions", "Captions"), ("subtitles", "Subtitles")):
            tracks = [t for t in video["tracks"] if t["kind"] == kind]
            if tracks:
                found.append({"text": text, "languages": [
                    {"label": t["label"], "language": t["language"]} for t in tracks]})
    if video["has_descriptions"]:
        found.append({"text": video.get("descriptions_name", "Audio description"),
                      "languages": []})
    if video["transcripts"]:
        found.append({"text": "Transcript", "languages": []})
    if video["chapters"]:
        found.append({"text": "Chapters", "languages": []})
    return found


def language_versions(article: StoredArticle) -> list[dict]:
    """Return the article's versions in other languages: slug, language tag, its own name, direction."""
    return [{**version.to_json(), "name": languages.autonym(version.language) or version.language,
             "dir": languages.direction(version.language)}
            for version in article.translations]


def article_model(article: StoredArticle, url) -> dict:
    """Return the full view model of an article page."""
    social = article.social_image
    return {
        **article.to_json(),
        # Rendered at ingest by markdown-it with raw HTML disabled, so the
        # only markup in it is the renderer's own.
        "body_html": Markup(article.body_html),
        "date_text": long_date(article.published),
        "video": video_model(article.video, url, article.language),
        "images": [image_model(i, url) for i in article.images],
        "versions": language_versions(article),
        "social_image": {**social.to_json(), "url": url(social.src)} if social else None,
    }


def teaser_model(article: StoredArticle, url) -> dict:
    """Return what a home-page teaser shows: lead picture with credit, headline, date, clip length."""
    model = article_model(article, url)
    lead = model["images"][0] if model["images"] else None
    video = article.video
    # A poster stands in for a missing photo only with a credit to show under it.
    if lead is None and video and video.poster and video.credit:
        poster = video.poster
        jpegs = [p for p in poster.images if p.media_type == "image/jpeg"]
        webps = [p for p in poster.images if p.media_type == "image/webp"]
        lead = {"url": url(poster.src), "srcset": srcset(jpegs, url),
                "sources": [{"type": "image/webp", "srcset": srcset(webps, url)}] if webps else [],
                "alt": poster.alt or "", "width": poster.width, "height": poster.height,
                "credit": video.credit, "caption": None}
    return {**model, "lead": lead, "badges": badges(model["video"])}


def structured_data(article: StoredArticle, media_url, page_url: str,
                    embed_url: str | None = None) -> dict:
    """Return schema.org NewsArticle data with its photos (credited) and clip, absolute URLs."""
    data = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
        "description": article.summary, "datePublished": article.published,
        "inLanguage": article.language, "url": page_url, "mainEntityOfPage": page_url,
    }
    images = []
    for image in article.images:
        largest = image_model(image, media_url)
        entry = {"@type": "ImageObject", "contentUrl": largest["url"], "url": largest["url"],
                 "width": largest["width"], "height": largest["height"],
                 "creditText": image.credit}
        if image.caption:
            entry["caption"] = image.caption
        if image.alt:
            entry["description"] = image.alt
        if image.creator:
            entry["creator"] = {"@type": "Person", "name": image.creator}
        if image.copyright:
            entry["copyrightNotice"] = image.copyright
        images.append(entry)
    if images:
        data["image"] = images
    video = article.video
    if video:
        clip = {"@type": "AudioObject" if video.kind == "audio" else "VideoObject",
                "name": video.title, "description": article.summary,
                "uploadDate": article.published,
                "duration": iso_duration_whole(video.duration),
                "contentUrl": media_url(video.src), "encodingFormat": video.media_type}
        if embed_url:
            clip["embedUrl"] = embed_url
        if video.poster:
            clip["thumbnailUrl"] = [media_url(p.src) for p in video.poster.images
                                    if p.media_type == "image/jpeg"]
        elif images:
            clip["thumbnailUrl"] = [images[0]["contentUrl"]]
        _, opened = _transcripts(video, article.language)
        chapters = _chapters_track(video.extra_tracks, opened.language if opened else None)
        if chapters and chapters.chapters:
            # Google's key moments: each chapter as a Clip that the page can start at.
            clip["hasPart"] = [{"@type": "Clip", "name": chapter.title,
                                "startOffset": int(chapter.start),
                                "endOffset": max(int(chapter.start) + 1, math.ceil(chapter.end)),
                                "url": f"{page_url}?t={int(chapter.start)}"}
                               for chapter in chapters.chapters]
        standard, extended = spoken_versions(video, article.language)
        # schema.org's names for what the clip offers beyond its picture and sound.
        features = [name for name, offered in (
            ("captions", any(t.kind == "captions" for t in video.tracks)),
            ("transcript", any(t.transcript for t in (*video.tracks, *video.extra_tracks))),
            ("audioDescription", bool(standard or extended))) if offered]
        if features:
            clip["accessibilityFeature"] = features
        if standard or extended:
            # Each spoken version is another file of the same clip: a MediaObject of its own.
            clip["associatedMedia"] = [_described_object(version, video, media_url)
                                       for version in (standard, extended) if version]
        if opened:
            # The transcript belongs on the page; search engines read the one it opens.
            clip["transcript"] = " ".join(
                p.text for section in opened.transcript or () for p in section.paragraphs)
        data["audio" if video.kind == "audio" else "video"] = clip
    return data


def described_title(version: StoredDescribed, title: str) -> str:
    """Return the name of a spoken version: the clip's title and which description it speaks."""
    kind = "extended audio description" if version.extended else "audio description"
    return f"{title} (with {kind})"


def described_summary(version: StoredDescribed) -> str:
    """Return one sentence saying what a spoken version is, for feeds and structured data."""
    if version.extended:
        return ("The clip with spoken audio description; the picture is held while longer "
                "descriptions are spoken, so it runs longer than the clip.")
    return "The clip with spoken audio description, the programme sound lowered under the voice."


def _described_object(version: StoredDescribed, video: StoredVideo, media_url) -> dict:
    return {"@type": "MediaObject", "name": described_title(version, video.title),
            "description": described_summary(version), "contentUrl": media_url(version.src),
            "encodingFormat": version.media_type, "contentSize": str(version.size),
            "duration": iso_duration_whole(version.duration), "inLanguage": version.language,
            "accessibilityFeature": ["audioDescription"]}


def search_model(results) -> dict:
    """Return the search page's view model: each matching article with its moments in the clip."""
    hits = []
    for hit in results.hits:
        article = hit.document
        video = article.video
        transcribed = [*video.tracks, *(t for t in video.extra_tracks if t.transcript)] if video else []
        several_tracks = len(transcribed) > 1
        automatic = {track_label(track) for track in transcribed if track.automatic}
        hits.append({
            "slug": hit.slug, "title": hit.title, "snippet": hit.snippet,
            "language": article.language, "dir": article.direction,
            "published": article.published, "date_text": long_date(article.published),
            "video": {"kind": video.kind, "clock": format_clock(video.duration),
                      "iso_duration": iso_duration_whole(video.duration)} if video else None,
            "moments": [{"kind": moment.kind, "second": int(moment.start),
                         "clock": format_clock(moment.start), "language": moment.language,
                         "dir": languages.direction(moment.language),
                         # Name the transcript where there is more than one to tell apart,
                         # and always where it is an unreviewed automatic one.
                         "label": moment.label if several_tracks or moment.label in automatic
                         else None,
                         "speaker": moment.speaker, "snippet": moment.snippet}
                        for moment in hit.moments],
            "more_moments": hit.more_moments,
        })
    count = {0: "No stories", 1: "1 story"}.get(len(hits), f"{len(hits)} stories")
    return {"terms": results.terms, "hits": hits, "truncated": results.truncated,
            "count_text": count}
