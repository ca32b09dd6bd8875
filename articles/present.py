"""Turn stored article documents into plain view models for templates.

Templates only format what they are given: no file access, no parsing here
either, just arithmetic on stored values.
"""

from __future__ import annotations

import datetime as dt
import math

from markupsafe import Markup

from captions.timecodes import format_clock, iso_duration_whole

from . import languages

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


def srcset(renditions: list[dict], url) -> str:
    """Return an ``srcset`` value from renditions and a function mapping a media name to a URL."""
    return ", ".join(f"{url(r['src'])} {r['width']}w" for r in renditions)


def _track_model(track: dict, url) -> dict:
    """Return a track with its URL and, if it has a transcript, its sections with clock times."""
    model = {**track, "url": url(track["src"])}
    if "transcript" in track:
        model["sections"] = [{**section, "clock": format_clock(section["start"]),
                              "second": int(section["start"]),
                              "paragraphs": [{**p, "clock": format_clock(p["start"]),
                                              "second": int(p["start"])}
                                             for p in section["paragraphs"]]}
                             for section in track["transcript"]]
    return model


def _chapters_track(extra: list[dict], language: str | None) -> dict | None:
    """Return the chapters track in ``language`` (else its primary language, else the first)."""
    found = [t for t in extra if t["kind"] == "chapters"]
    match = None if language is None else languages.closest(
        found, language, tag_of=lambda track: track["language"])
    return match or (found[0] if found else None)


def _described(transcripts: list[dict]) -> bool:
    """Return whether any of the transcripts holds a description."""
    return any(p["kind"] == "description" for t in transcripts
               for section in t["transcript"] for p in section["paragraphs"])


def video_model(video: dict | None, url, language: str | None = None) -> dict | None:
    """Return the template fields of a clip; ``url`` maps a media name to its URL.

    ``language`` is the article's: of several description transcripts, the
    one in that language comes first and is the one shown open.
    """
    if video is None:
        return None
    tracks = [_track_model(t, url) for t in video["tracks"]]
    extra = [_track_model(t, url) for t in video.get("extra_tracks", ())]
    # Captions and subtitles first, in the order of their <track>s; then the
    # descriptions of a clip without sound that ingest gave a transcript,
    # because they are its text alternative, the article's language first.
    described = sorted((t for t in extra if t.get("transcript")),
                       key=lambda t: language is None or languages.primary(t["language"])
                       != languages.primary(language))
    # The default captions are open; with no captions, the first descriptions.
    # The chapter list and the JSON-LD transcript follow the same choice.
    opened = (next((t for t in tracks if t["default"]), None)
              or next(iter(tracks + described), None))
    transcripts = [{**t, "open": t is opened} for t in tracks + described]
    chapters = _chapters_track(extra, opened["language"] if opened else None)
    silent = not video["has_audio"]
    poster = video.get("poster")
    return {
        **video,
        "url": url(video["src"]),
        "sources": [{**source, "url": url(source["src"])} for source in video["sources"]],
        "poster_url": url(poster["src"]) if poster else None,
        "clock": format_clock(video["duration"]),
        "iso_duration": iso_duration_whole(video["duration"]),
        "size_text": file_size(video["size"]),
        "tracks": tracks,
        "extra_tracks": extra,
        "transcripts": transcripts,
        "transcript_describes_silent_clip": silent and bool(described),
        "chapters": [{**c, "clock": format_clock(c["start"]), "second": int(c["start"])}
                     for c in chapters["chapters"]] if chapters else [],
        "chapters_language": chapters["language"] if chapters else None,
        # A clip without sound has nothing to voice them over: its descriptions
        # are text, and only there when a transcript holds them.
        "has_descriptions": (_described(transcripts) if silent
                             else any(t["kind"] == "descriptions" for t in extra)),
        "descriptions_name": "Description" if silent else "Audio description",
        "languages": ", ".join(t["label"] for t in tracks),
    }


# Listed in this order as <source>s: a browser takes the first it can show.
PICTURE_TYPES = ("image/avif", "image/webp")


def image_model(image: dict, url) -> dict:
    """Return the template fields of a photo: modern formats as sources, JPEG for ``<img>``."""
    renditions = sorted(image["renditions"], key=lambda r: r["width"])
    jpegs = [r for r in renditions if r["type"] == "image/jpeg"] or renditions
    largest = jpegs[-1]
    sources = [{"type": kind, "srcset": srcset([r for r in renditions if r["type"] == kind], url)}
               for kind in PICTURE_TYPES if any(r["type"] == kind for r in renditions)]
    return {**image, "url": url(largest["src"]), "width": largest["width"],
            "height": largest["height"], "srcset": srcset(jpegs, url), "sources": sources}


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


def language_versions(document: dict) -> list[dict]:
    """Return the article's versions in other languages: slug, language tag, its own name, direction."""
    return [{**version, "name": languages.autonym(version["language"]) or version["language"],
             "dir": languages.direction(version["language"])}
            for version in document.get("translations", ())]


def article_model(document: dict, url) -> dict:
    """Return the full view model of an article page."""
    return {
        **document,
        # Rendered at ingest by markdown-it with raw HTML disabled, so the
        # only markup in it is the renderer's own.
        "body_html": Markup(document["body_html"]),
        "date_text": long_date(document["published"]),
        "video": video_model(document.get("video"), url, document["language"]),
        "images": [image_model(i, url) for i in document.get("images", [])],
        "versions": language_versions(document),
        "social_image": ({**document["social_image"], "url": url(document["social_image"]["src"])}
                         if document.get("social_image") else None),
    }


def teaser_model(document: dict, url) -> dict:
    """Return what a home-page teaser shows: lead picture with credit, headline, date, clip length."""
    model = article_model(document, url)
    lead = model["images"][0] if model["images"] else None
    video = model["video"]
    # A poster stands in for a missing photo only with a credit to show under it.
    if lead is None and video and video["poster"] and video.get("credit"):
        jpegs = [p for p in video["poster"]["images"] if p["type"] == "image/jpeg"]
        webps = [p for p in video["poster"]["images"] if p["type"] == "image/webp"]
        lead = {"url": video["poster_url"], "srcset": srcset(jpegs, url),
                "sources": [{"type": "image/webp", "srcset": srcset(webps, url)}] if webps else [],
                "alt": video["poster"].get("alt") or "",
                "width": video["poster"]["width"], "height": video["poster"]["height"],
                "credit": video["credit"], "caption": None}
    return {**model, "lead": lead, "badges": badges(video)}


def structured_data(document: dict, media_url, page_url: str, embed_url: str | None = None) -> dict:
    """Return schema.org NewsArticle data with its photos (credited) and clip, absolute URLs."""
    data = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": document["title"],
        "description": document["summary"], "datePublished": document["published"],
        "inLanguage": document["language"], "url": page_url, "mainEntityOfPage": page_url,
    }
    images = []
    for image in document.get("images", []):
        largest = image_model(image, media_url)
        entry = {"@type": "ImageObject", "contentUrl": largest["url"], "url": largest["url"],
                 "width": largest["width"], "height": largest["height"],
                 "creditText": image["credit"]}
        if image.get("caption"):
            entry["caption"] = image["caption"]
        if image.get("alt"):
            entry["description"] = image["alt"]
        if image.get("creator"):
            entry["creator"] = {"@type": "Person", "name": image["creator"]}
        if image.get("copyright"):
            entry["copyrightNotice"] = image["copyright"]
        images.append(entry)
    if images:
        data["image"] = images
    video = document.get("video")
    if video:
        clip = {"@type": "AudioObject" if video["kind"] == "audio" else "VideoObject",
                "name": video["title"], "description": document["summary"],
                "uploadDate": document["published"],
                "duration": iso_duration_whole(video["duration"]),
                "contentUrl": media_url(video["src"]), "encodingFormat": video["type"]}
        if embed_url:
            clip["embedUrl"] = embed_url
        if video.get("poster"):
            clip["thumbnailUrl"] = [media_url(p["src"]) for p in video["poster"]["images"]
                                    if p["type"] == "image/jpeg"]
        elif images:
            clip["thumbnailUrl"] = [images[0]["contentUrl"]]
        model = video_model(video, media_url, document["language"])
        chapters = model["chapters"]
        if chapters:
            # Google's key moments: each chapter as a Clip that the page can start at.
            clip["hasPart"] = [{"@type": "Clip", "name": chapter["title"],
                                "startOffset": chapter["second"],
                                "endOffset": max(chapter["second"] + 1, math.ceil(chapter["end"])),
                                "url": f"{page_url}?t={chapter['second']}"}
                               for chapter in chapters]
        opened = next((t for t in model["transcripts"] if t["open"]), None)
        if opened:
            # The transcript belongs on the page; search engines read the one it opens.
            clip["transcript"] = " ".join(
                p["text"] for section in opened["transcript"] for p in section["paragraphs"])
        data["audio" if video["kind"] == "audio" else "video"] = clip
    return data


def search_model(results) -> dict:
    """Return the search page's view model: each matching article with its moments in the clip."""
    hits = []
    for hit in results.hits:
        document = hit.document
        video = document.get("video")
        transcribed = [*video["tracks"], *(t for t in video.get("extra_tracks", ())
                                           if t.get("transcript"))] if video else []
        several_tracks = len(transcribed) > 1
        hits.append({
            "slug": hit.slug, "title": hit.title, "snippet": hit.snippet,
            "language": document["language"], "dir": document.get("dir", "ltr"),
            "published": document["published"], "date_text": long_date(document["published"]),
            "video": {"kind": video["kind"], "clock": format_clock(video["duration"]),
                      "iso_duration": iso_duration_whole(video["duration"])} if video else None,
            "moments": [{"kind": moment.kind, "second": int(moment.start),
                         "clock": format_clock(moment.start), "language": moment.language,
                         "dir": languages.direction(moment.language),
                         # Name the transcript only where there is more than one to tell apart.
                         "label": moment.label if several_tracks else None,
                         "speaker": moment.speaker, "snippet": moment.snippet}
                        for moment in hit.moments],
            "more_moments": hit.more_moments,
        })
    count = {0: "No stories", 1: "1 story"}.get(len(hits), f"{len(hits)} stories")
    return {"terms": results.terms, "hits": hits, "truncated": results.truncated,
            "count_text": count}
