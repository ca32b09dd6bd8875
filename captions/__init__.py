"""Caption files for Newsreel: load WebVTT, SRT and SBV, write WebVTT, build transcripts.

No web framework and no media code here, so scripts can use it on their own.
"""

from .cue_html import cue_html, cue_nodes
from .errors import CaptionError
from .models import CaptionTrack, Cue, TranscriptParagraph
from .quality import CheckReport, Problem, check_file, check_track
from .read import (
    MAX_CAPTION_BYTES,
    caption_format,
    load_captions,
    parse_captions,
    read_caption_text,
)
from .timecodes import format_clock, format_timestamp
from .transcript import (
    Transcript,
    build_full_transcript,
    build_transcript,
    cue_plain_text,
    cue_speaker,
    transcript_html,
    transcript_json,
    transcript_text,
)
from .webvtt_parser import (
    ParsedWebVTT,
    SpecCue,
    SpecRegion,
    parse_webvtt,
    parse_webvtt_file,
)
from .write import sorted_cues, to_srt, to_webvtt

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
