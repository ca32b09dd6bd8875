"""The NOTE that marks automatic draft captions, and finding it in a WebVTT file."""

from __future__ import annotations

import pytest

from captions.drafts import DRAFT_NOTE, draft_note, is_draft
from captions.read import parse_captions


def test_a_draft_note_is_a_valid_webvtt_note_before_the_cues():
    note = draft_note("Engine: pocketsphinx 5.1.1, en-us\nHints: article.md --> x")
    assert "-->" not in note
    text = f"WEBVTT\n\n{note}\n\n00:00.000 --> 00:01.000\nHello.\n"
    assert is_draft(text)
    track = parse_captions(text, "vtt")
    assert [cue.text for cue in track.cues] == ["Hello."]


@pytest.mark.parametrize("text", [
    "WEBVTT\n\nNOTE Reviewed by the desk.\n\n00:00.000 --> 00:01.000\nHello.\n",
    "WEBVTT\n\n00:00.000 --> 00:01.000\nAutomatic draft captions are fine.\n",
    "WEBVTT\n\nNOTEAutomatic draft captions\n\n00:00.000 --> 00:01.000\nHello.\n",
])
def test_other_files_are_not_drafts(text):
    assert not is_draft(text)


def test_the_note_on_its_own_line_counts_too():
    assert is_draft("WEBVTT\n\nNOTE\nAutomatic draft captions, made by speech recognition.\n")
    assert DRAFT_NOTE.startswith("NOTE Automatic draft captions")
