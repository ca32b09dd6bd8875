"""Caption files for Newsreel: load WebVTT, SRT and SBV, write WebVTT, build transcripts.

No web framework and no media code here, so scripts can use it on their own.
"""

from .cue_html import cue_html, cue_nodes
from .errors import CaptionError
from .models import CaptionTrack, Cue, TranscriptParagraph
from .read import (
    MAX_CAPTION_BYTES,
    caption_format,
    load_captions,
    parse_captions,
    read_caption_text,
)
from .transcript import build_transcript, cue_plain_text, cue_speaker, format_clock
from .write import format_timestamp, sorted_cues, to_srt, to_webvtt

__all__ = [
    "MAX_CAPTION_BYTES",
    "CaptionError",
    "CaptionTrack",
    "Cue",
    "TranscriptParagraph",
    "build_transcript",
    "caption_format",
    "cue_html",
    "cue_nodes",
    "cue_plain_text",
    "cue_speaker",
    "format_clock",
    "format_timestamp",
    "load_captions",
    "parse_captions",
    "read_caption_text",
    "sorted_cues",
    "to_srt",
    "to_webvtt",
]
