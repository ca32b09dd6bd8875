"""Tests for captions.transcript: plain cue text, speakers and paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from captions import (
    Cue,
    TranscriptParagraph,
    build_transcript,
    cue_plain_text,
    cue_speaker,
    format_clock,
    load_captions,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CAPTIONS = CORPUS / "captions"
REAL_WORLD = CORPUS / "webvtt" / "real-world"


@pytest.mark.parametrize(("text", "plain"), [
    ("<v Anna>Hello there</v>", "Hello there"),
    ("<v.loud Anna Lee>Hi</v>", "Hi"),
    ("<c.yellow.bg_blue>Yellow</c> and <b>bold</b>, <i>italic</i>, <u>under</u>",
     "Yellow and bold, italic, under"),
    ("<ruby>漢<rt>kan</rt></ruby>", "漢kan"),
    ("<lang en>Hello</lang> <lang fr-CA>Bonjour</lang>", "Hello Bonjour"),
    ("When the moon <00:17.500>hits your eye", "When the moon hits your eye"),
    ("this<00:05:04.199><c> will</c><c.colorE5E5E5><00:05:04.379><c> happen</c></c>",
     "this will happen"),
    ("Tom &amp; Jerry &lt;3 &gt; all", "Tom & Jerry <3 > all"),
    ("&lt;b&gt;not a tag&lt;/b&gt;", "<b>not a tag</b>"),
    ("&#65;&#x42; &lrm;left&rlm;", "AB \u200eleft\u200f"),
    ("non&nbsp;breaking", "non breaking"),
    ("two\nlines\n  with   spaces ", "two lines with spaces"),
    ("{\\an8}This text should be at the\ntop", "This text should be at the top"),
    ('<font color="#ff00ff">Musique douce</font>', "Musique douce"),
    ("2<3,5>1,4<6", "2<3,5>1,4<6"),
    ("<i></i>", ""),
])
def test_cue_plain_text(text, plain):
    assert cue_plain_text(text) == plain


@pytest.mark.parametrize(("text", "speaker"), [
    ("<v Anna>Hello", "Anna"),
    ("<v.loud.first Anna Lee>Hello</v>", "Anna Lee"),
    ("<i>aside</i> <v  Bob  Smith >Hi</v> <v Carl>Yo</v>", "Bob Smith"),
    ("<v Project> Wanna finish me?", "Project"),
    ("<v>no name</v>", None),
    ("<vi>not a voice</vi>", None),
    ("plain words", None),
])
def test_cue_speaker(text, speaker):
    assert cue_speaker(text) == speaker


@pytest.mark.parametrize(("seconds", "clock"), [
    (0, "0:00"),
    (32, "0:32"),
    (32.999, "0:32"),
    (65, "1:05"),
    (599.5, "9:59"),
    (600, "10:00"),
    (3599.9, "59:59"),
    (3600, "1:00:00"),
    (3723, "1:02:03"),
    (36000, "10:00:00"),
    (-3, "0:00"),
])
def test_format_clock(seconds, clock):
    assert format_clock(seconds) == clock


def test_consecutive_cues_join_into_one_paragraph():
    cues = [Cue(0.5, 2.0, "Good morning,"), Cue(2.0, 4.0, "and welcome\nto the news."),
            Cue(4.5, 6.0, "<i>Here</i> is the weather.")]
    assert build_transcript(cues) == [TranscriptParagraph(
        0.5, 6.0, "Good morning, and welcome to the news. Here is the weather.")]


def test_speaker_change_starts_a_paragraph_named_once():
    cues = [Cue(0, 1, "<v Anna>Hi Bob."), Cue(1, 2, "How are you?"),
            Cue(2, 3, "<v Bob>Fine."), Cue(3, 4, "<v Bob>Thanks."),
            Cue(4, 5, "<v Anna>Good.")]
    assert build_transcript(cues) == [
        TranscriptParagraph(0, 2, "Anna: Hi Bob. How are you?"),
        TranscriptParagraph(2, 4, "Bob: Fine. Thanks."),
        TranscriptParagraph(4, 5, "Anna: Good."),
    ]


def test_long_silence_starts_a_paragraph_without_repeating_the_speaker():
    cues = [Cue(0, 1, "<v Anna>First part."), Cue(3.5, 4, "<v Anna>After a pause."),
            Cue(5, 6, "More.")]
    assert build_transcript(cues, gap=2.0) == [
        TranscriptParagraph(0, 1, "Anna: First part."),
        TranscriptParagraph(3.5, 6, "After a pause. More."),
    ]


@pytest.mark.parametrize(("pause", "paragraphs"), [(2.0, 1), (2.01, 2)])
def test_gap_is_the_longest_pause_inside_a_paragraph(pause, paragraphs):
    cues = [Cue(0, 1, "one"), Cue(1 + pause, 5, "two")]
    assert len(build_transcript(cues, gap=2.0)) == paragraphs


@pytest.mark.parametrize(("ending", "paragraphs"), [
    ("that is all.", 2), ("really?", 2), ("wow!", 2), ("and then…", 2),
    ('he said "stop."', 2), ("she said ‘go!’", 2),
    ("and then", 1), ("e.g. 3,", 1),
])
def test_long_paragraph_breaks_only_after_a_sentence(ending, paragraphs):
    cues = [Cue(0, 1, "x" * 30), Cue(1, 2, ending), Cue(2, 3, "Next words.")]
    assert len(build_transcript(cues, max_chars=30)) == paragraphs


def test_long_speech_splits_into_several_paragraphs():
    cues = [Cue(i, i + 1, f"Sentence number {i}.") for i in range(20)]
    paragraphs = build_transcript(cues, max_chars=80)
    assert len(paragraphs) == 4
    assert all(80 <= len(p.text) < 100 for p in paragraphs)
    assert " ".join(p.text for p in paragraphs) == " ".join(c.text for c in cues)


def test_empty_and_repeated_cues_are_dropped():
    cues = [Cue(0, 1, "<i></i>"), Cue(1, 2, "Breaking news"), Cue(2, 3, "Breaking news"),
            Cue(3, 4, "  "), Cue(4, 5, "&lrm;"), Cue(5, 6, "tonight.")]
    assert build_transcript(cues) == [
        TranscriptParagraph(1, 6, "Breaking news tonight.")]


def test_roll_up_captions_are_not_repeated():
    track = load_captions(CAPTIONS / "webvtt-py" / "youtube_dl.vtt")
    assert build_transcript(track.cues) == [TranscriptParagraph(
        286.07, 305.4, "yeah what this will happen is I'm telling")]


def test_same_words_from_another_speaker_are_kept():
    cues = [Cue(0, 1, "<v Anna>Yes."), Cue(1, 2, "<v Bob>Yes.")]
    assert [p.text for p in build_transcript(cues)] == ["Anna: Yes.", "Bob: Yes."]


def test_real_dialogue_names_each_speaker():
    track = load_captions(REAL_WORLD / "ableplayer" / "deadline_captions_en.vtt")
    paragraphs = build_transcript(track.cues)
    assert [p.text for p in paragraphs[:4]] == [
        "Project: Wanna finish me?", "Boy: A bit later",
        "Project: Maybe now?", "Boy: Nope."]
    assert (paragraphs[0].start, paragraphs[0].end) == (14.14, 16.18)


def test_real_interview_gives_one_paragraph_per_speaker():
    track = load_captions(REAL_WORLD / "ableplayer" / "itaccess-excerpt-captions_en.vtt")
    paragraphs = build_transcript(track.cues)
    assert [p.text.split(":")[0] for p in paragraphs] == [
        "Michael K. Young", "Tracy Mitrano", "Pablo Molina", "Edward Ray"]
    assert paragraphs[0].text.startswith(
        "Michael K. Young: We are committed to the notion that everyone")
    assert "  " not in " ".join(p.text for p in paragraphs)


def test_srt_transcript_strips_markup():
    track = load_captions(CAPTIONS / "webvtt-py" / "styles_colours.srt")
    text = " ".join(p.text for p in build_transcript(track.cues))
    assert "<font" not in text and "</" not in text and "Musique douce" in text
    assert "2 < 3" in text  # decoded from &lt;, so not taken for a tag


def test_no_cues_give_no_paragraphs():
    assert build_transcript([]) == []
