"""Write demo article bundles: generated clips, captions, photos and original text.

The top story's clip is deliberately not web-ready (MPEG-4 Part 2 video with
the index at the end), so ingest has real work to do; the second story's clip
is already web-ready H.264 and is only remuxed. The garden story also has an
Arabic version, right to left, which shares its clip and photo.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
from pathlib import Path

import yaml
from PIL import Image

from captions.timecodes import (
    format_sbv_timestamp,
    format_srt_timestamp,
    format_timestamp,
)
from media.demo import pictures
from media.demo.content import GARDEN_STORY, LIBRARY_STORY, STORIES, TOP_STORY, TRANSLATIONS
from media.ffmpeg import tools
from media.ffmpeg.commands import demo_clip_command, demo_speech_clip_command
from media.ffmpeg.run import run_tool
from media.files import atomic_output, write_bytes_atomic, write_text_atomic
from media.photos.metadata import build_iptc_app13, build_xmp, insert_jpeg_app13
from media.speech.voice import espeak_ng, speak_fitted, spoken_text

logger = logging.getLogger(__name__)

PICTURES = {
    TOP_STORY["slug"]: pictures.harbour,
    LIBRARY_STORY["slug"]: pictures.reading_room,
    GARDEN_STORY["slug"]: pictures.roof_garden,
}
VERSIONS = {story["slug"]: [t for t in TRANSLATIONS if t["translation_of"] == story["slug"]]
            for story in STORIES}

# (width, height, seconds, encoder options, tone Hz)
_AAC = {"c:a": "aac", "b:a": "96k"}
CLIPS = {
    TOP_STORY["slug"]: (1280, 720, 32, {"c:v": "mpeg4", "q:v": 9, **_AAC}, 330),
    LIBRARY_STORY["slug"]: (640, 360, 12, {"c:v": "libx264", "preset": "veryfast", "pix_fmt": "yuv420p",
                                           "movflags": "+faststart", **_AAC}, 523),
    GARDEN_STORY["slug"]: (640, 360, 10, {"c:v": "mpeg4", "q:v": 6, **_AAC}, 392),
}
# What each clip says, in which language: the captions of the story that owns
# the clip (language versions share their original's clip and sound).
SPOKEN = {story["slug"]: (story["captions_en"], "en") for story in STORIES}
NO_ESPEAK = "espeak-ng not found: the demo clips beep instead of speaking their captions"


def to_vtt(cues: list[tuple[float, float, str]]) -> str:
    """Return WebVTT text for (start, end, text) cues."""
    blocks = [f"{format_timestamp(s)} --> {format_timestamp(e)}\n{t}" for s, e, t in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def to_srt(cues: list[tuple[float, float, str]]) -> str:
    """Return SubRip text for (start, end, text) cues; SRT has no voice tags."""
    blocks = []
    for number, (start, end, text) in enumerate(cues, start=1):
        plain = text.split(">", 1)[1] if text.startswith("<v ") else text
        times = f"{format_srt_timestamp(start)} --> {format_srt_timestamp(end)}"
        blocks.append(f"{number}\n{times}\n{plain}")
    return "\n\n".join(blocks) + "\n"


def to_sbv(cues: list[tuple[float, float, str]]) -> str:
    """Return YouTube SBV text for (start, end, text) cues."""
    blocks = []
    for start, end, text in cues:
        plain = text.split(">", 1)[1] if text.startswith("<v ") else text
        blocks.append(f"{format_sbv_timestamp(start)},{format_sbv_timestamp(end)}\n{plain}")
    return "\n\n".join(blocks) + "\n"


def write_photo(path: Path, image: Image.Image, credit: str | None = None,
                creator: str | None = None, copyright: str | None = None) -> None:
    """Save a JPEG; when given, the credit goes into its XMP and IPTC metadata only."""
    buffer = io.BytesIO()
    options = {"quality": 88}
    if credit:
        options["xmp"] = build_xmp(credit, creator, copyright)
    image.save(buffer, "JPEG", **options)
    data = buffer.getvalue()
    if credit:
        data = insert_jpeg_app13(data, build_iptc_app13(credit, creator, copyright))
    write_bytes_atomic(path, data)


def _front_matter(story: dict, captions: list[dict], photo_credit: str | None) -> str:
    image = {"source": "photo.jpg", "alt": story["photo_alt"], "caption": story["photo_caption"]}
    if photo_credit:
        image["credit"] = photo_credit
    video = {"source": "clip.mp4", "title": story["video_title"], "captions": captions}
    if story.get("video_credit"):
        video["credit"] = story["video_credit"]
    language = story.get("language", "en")
    original = story.get("translation_of")
    # A version links to its original and the original to every version.
    versions = ({"en": original} if original else
                {t["language"]: t["slug"] for t in VERSIONS[story["slug"]]})
    fields = {"title": story["title"], "published": story["published"], "language": language,
              "summary": story["summary"], "video": video, "images": [image],
              "related": [] if original else [s["slug"] for s in STORIES if s is not story]}
    if versions:
        fields["translations"] = versions
    if story is TOP_STORY:
        fields["top"] = True
    dumped = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=88)
    return f"---\n{dumped}---\n\n{story['body']}"


def _write_clip(target: Path, out: Path, slug: str, espeak: str | None) -> None:
    """Write the demo clip of ``slug``; a version copies its original's, so ingest reuses it."""
    if slug not in CLIPS:
        original = out / next(t["translation_of"] for t in TRANSLATIONS if t["slug"] == slug)
        if (original / "clip.mp4").is_file():
            with atomic_output(target) as tmp:
                shutil.copyfile(original / "clip.mp4", tmp)
            return
        slug = original.name
    width, height, seconds, options, tone = CLIPS[slug]
    with atomic_output(target) as tmp:
        if espeak is None:
            command = demo_clip_command(tools.ffmpeg(), tmp, width, height, seconds, options, tone)
            run_tool(command, tmp, what="demo clip failed")
            return
        with tempfile.TemporaryDirectory(prefix="newsreel-speech-") as scratch:
            speech = _speak_captions(espeak, Path(scratch), *SPOKEN[slug])
            command = demo_speech_clip_command(tools.ffmpeg(), tmp, width, height, seconds,
                                               options, speech)
            run_tool(command, tmp, what="demo clip failed")


def _speak_captions(espeak: str, folder: Path, cues: list[tuple[float, float, str]],
                    language: str) -> list[tuple[Path, float, float]]:
    """Speak each cue into a WAV file in ``folder``; returns (file, start, end) per spoken cue."""
    speech = []
    for number, (start, end, text) in enumerate(cues):
        words = spoken_text(text)
        if not words:   # a cue such as "[Ship's horn]" has nothing to say
            continue
        wav = folder / f"cue{number}.wav"
        speak_fitted(espeak, words, language, end - start, wav)
        speech.append((wav, start, end))
    return speech


def write_demo(out: Path | str) -> list[Path]:
    """Write the demo bundles into ``out``; existing bundle folders are left untouched.

    Returns the folders of the bundles written now.
    """
    out = Path(out)
    written = []
    espeak = espeak_ng()
    warned = False
    for story in (*STORIES, *TRANSLATIONS):
        folder = out / story["slug"]
        if folder.exists():
            logger.info("%s: exists, left as it is", folder)
            continue
        # Build in a hidden sibling folder and rename it into place, so a
        # crash never leaves a half-written bundle that looks complete.
        staging = out / f".{story['slug']}.partial"
        staging.mkdir(parents=True, exist_ok=True)
        if espeak is None and not warned:
            logger.warning(NO_ESPEAK)
            warned = True
        logger.info("%s: generating clip, captions and photo", folder)
        _write_clip(staging / "clip.mp4", out, story["slug"], espeak)
        captions = [{"file": "clip.en.vtt", "language": "en", "default": True}]
        write_text_atomic(staging / "clip.en.vtt", to_vtt(story["captions_en"]))
        if story.get("subtitles_ar"):
            write_text_atomic(staging / "clip.ar.vtt", to_vtt(story["subtitles_ar"]))
            captions = [{"file": "clip.ar.vtt", "language": "ar", "kind": "subtitles",
                         "default": True}, {"file": "clip.en.vtt", "language": "en"}]
        if story is TOP_STORY:
            write_text_atomic(staging / "clip.de.srt", to_srt(story["captions_de"]))
            captions.append({"file": "clip.de.srt", "language": "de", "label": "Deutsch"})
            for kind in ("descriptions", "chapters"):
                name = f"clip.en.{kind}.vtt"
                write_text_atomic(staging / name, to_vtt(story[f"{kind}_en"]))
                captions.append({"file": name, "language": "en", "kind": kind})
        elif story is LIBRARY_STORY:
            # One bundle uses YouTube's SBV format, so every reader gets exercised.
            (staging / "clip.en.vtt").unlink()
            write_text_atomic(staging / "clip.en.sbv", to_sbv(story["captions_en"]))
            captions[0]["file"] = "clip.en.sbv"
        photo = PICTURES[story.get("translation_of") or story["slug"]]()
        if story is TOP_STORY:
            # The top story's credit lives only in the photo's metadata, as
            # agency photos arrive: ingest must find it there.
            write_photo(staging / "photo.jpg", photo, story["photo_credit"],
                        story["photo_creator"], story["photo_copyright"])
            photo_credit = None
        else:
            write_photo(staging / "photo.jpg", photo)
            photo_credit = story["photo_credit"]
        write_text_atomic(staging / "article.md", _front_matter(story, captions, photo_credit))
        staging.rename(folder)
        written.append(folder)
    return written
