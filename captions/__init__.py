"""Caption files for Newsreel: load WebVTT, SRT and SBV, write WebVTT, build transcripts.

No web framework and no media code here, so scripts can use it on their own.
"""

from __future__ import annotations

import importlib

# cue_html names a module and a function; importing it here, before anything
# else can import the module, keeps captions.cue_html the function
from captions.cue_html import cue_html, cue_nodes
from captions.errors import CaptionError
from captions.models import CaptionTrack, Cue, TranscriptParagraph
from captions.timecodes import format_clock, format_timestamp

# The readers, checks and transcripts bring webvtt-py and langcodes, so they
# load when first used: media's progress bar imports captions.timecodes, and
# media commands start without the rest of the package.
_LAZY = {
    "quality": ("CheckReport", "Problem", "check_file", "check_track"),
    "read": ("MAX_CAPTION_BYTES", "caption_format", "load_captions", "parse_captions",
             "read_caption_text"),
    "transcript": ("Transcript", "build_full_transcript", "build_transcript", "cue_plain_text",
                   "cue_speaker", "transcript_html", "transcript_json", "transcript_text"),
    "webvtt_parser": ("ParsedWebVTT", "SpecCue", "SpecRegion", "parse_webvtt",
                      "parse_webvtt_file"),
    "write": ("sorted_cues", "to_srt", "to_webvtt"),
}
_LAZY_MODULE = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> object:
    """Return a name of the package's modules that load on first use."""
    module = _LAZY_MODULE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Return the package's names, those still to load included."""
    return sorted({*globals(), *_LAZY_MODULE})


__all__ = [
    "MAX_CAPTION_BYTES",
    "CaptionError",
    "CaptionTrack",
    "CheckReport",
    "Cue",
    "ParsedWebVTT",
    "Problem",
    "SpecCue",
    "SpecRegion",
    "Transcript",
    "TranscriptParagraph",
    "build_full_transcript",
    "build_transcript",
    "caption_format",
    "check_file",
    "check_track",
    "cue_html",
    "cue_nodes",
    "cue_plain_text",
    "cue_speaker",
    "format_clock",
    "format_timestamp",
    "load_captions",
    "parse_captions",
    "parse_webvtt",
    "parse_webvtt_file",
    "read_caption_text",
    "sorted_cues",
    "to_srt",
    "to_webvtt",
    "transcript_html",
    "transcript_json",
    "transcript_text",
]
