"""Tests for captions.transcript: plain cue text, speakers, paragraphs and whole transcripts."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from captions import (
    CaptionError,
    Cue,
    TranscriptParagraph,
    build_transcript,
    cue_plain_text,
    cue_speaker,
    format_clock,
    load_captions,
)
from captions.transcript import (
    Transcript,
    TranscriptBlock,
    TranscriptSection,
    build_full_transcript,
    iso_duration,
    transcript_html,
    transcript_json,
    transcript_text,
)
from tests.corpus import CORPUS

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


@pytest.mark.corpus
def test_roll_up_captions_are_not_repeated():
    track = load_captions(CAPTIONS / "webvtt-py" / "youtube_dl.vtt")
    assert build_transcript(track.cues) == [TranscriptParagraph(
        286.07, 305.4, "yeah what this will happen is I'm telling")]


def test_same_words_from_another_speaker_are_kept():
    cues = [Cue(0, 1, "<v Anna>Yes."), Cue(1, 2, "<v Bob>Yes.")]
    assert [p.text for p in build_transcript(cues)] == ["Anna: Yes.", "Bob: Yes."]


@pytest.mark.corpus
def test_real_dialogue_names_each_speaker():
    track = load_captions(REAL_WORLD / "ableplayer" / "deadline_captions_en.vtt")
    paragraphs = build_transcript(track.cues)
    assert [p.text for p in paragraphs[:4]] == [
        "Project: Wanna finish me?", "Boy: A bit later",
        "Project: Maybe now?", "Boy: Nope."]
    assert (paragraphs[0].start, paragraphs[0].end) == (14.14, 16.18)


@pytest.mark.corpus
def test_real_interview_gives_one_paragraph_per_speaker():
    track = load_captions(REAL_WORLD / "ableplayer" / "itaccess-excerpt-captions_en.vtt")
    paragraphs = build_transcript(track.cues)
    assert [p.text.split(":")[0] for p in paragraphs] == [
        "Michael K. Young", "Tracy Mitrano", "Pablo Molina", "Edward Ray"]
    assert paragraphs[0].text.startswith(
        "Michael K. Young: We are committed to the notion that everyone")
    assert "  " not in " ".join(p.text for p in paragraphs)


@pytest.mark.corpus
def test_srt_transcript_strips_markup():
    track = load_captions(CAPTIONS / "webvtt-py" / "styles_colours.srt")
    text = " ".join(p.text for p in build_transcript(track.cues))
    assert "<font" not in text and "</" not in text and "Musique douce" in text
    assert "2 < 3" in text  # decoded from &lt;, so not taken for a tag


def test_no_cues_give_no_paragraphs():
    assert build_transcript([]) == []


def outline(transcript):
    """Return (title, start, [(kind, start, speaker, text), ...]) per section."""
    return [(s.title, s.start, [(b.kind, b.start, b.speaker, b.text) for b in s.paragraphs])
            for s in transcript.sections]


def test_descriptions_are_merged_in_time_order_as_their_own_blocks():
    captions = [Cue(1, 3, "<v Anna>The water rose overnight."), Cue(3, 5, "Nobody slept."),
                Cue(9, 11, "<v Anna>Now we wait.")]
    descriptions = [Cue(0, 1, "A flooded street at dawn."), Cue(6, 8, "A man wades past.")]
    assert outline(build_full_transcript(captions, descriptions)) == [(None, 0.0, [
        ("description", 0, None, "A flooded street at dawn."),
        ("speech", 1, "Anna", "The water rose overnight. Nobody slept."),
        ("description", 6, None, "A man wades past."),
        ("speech", 9, "Anna", "Now we wait."),
    ])]


def test_a_description_splits_the_speech_around_it_and_keeps_the_voice():
    captions = [Cue(0, 2, "<v Anna>We left early."), Cue(3, 4, "The road was gone.")]
    descriptions = [Cue(2, 3, "She points at the river.")]
    transcript = build_full_transcript(captions, descriptions)
    assert outline(transcript)[0][2] == [
        ("speech", 0, "Anna", "We left early."),
        ("description", 2, None, "She points at the river."),
        ("speech", 3, "Anna", "The road was gone."),
    ]
    # the voice did not change, so it is named once
    assert transcript_text(transcript) == (
        "0:00 Anna: We left early.\n\n0:02 [She points at the river.]\n\n0:03 The road was gone.\n")


def test_a_description_starting_with_a_caption_is_read_first():
    transcript = build_full_transcript([Cue(5, 6, "Hello.")], [Cue(5, 7, "A door opens.")])
    assert [b.kind for b in transcript.sections[0].paragraphs] == ["description", "speech"]


def test_consecutive_description_cues_join_like_speech():
    descriptions = [Cue(0, 2, "A man walks"), Cue(2, 4, "into the flooded street."),
                    Cue(10, 12, "Night falls.")]
    assert [b.text for b in build_full_transcript([], descriptions).sections[0].paragraphs] == [
        "A man walks into the flooded street.", "Night falls."]


def test_chapters_become_sections_and_early_cues_go_untitled():
    captions = [Cue(1, 2, "Before."), Cue(10, 11, "<v Anna>In one."), Cue(20, 21, "In two.")]
    chapters = [Cue(20, 30, "Aftermath"), Cue(10, 20, "<b>The &amp; flood</b>"),
                Cue(25, 30, "Credits")]
    assert outline(build_full_transcript(captions, chapters=chapters)) == [
        (None, 0.0, [("speech", 1, None, "Before.")]),
        ("The & flood", 10, [("speech", 10, "Anna", "In one.")]),
        ("Aftermath", 20, [("speech", 20, "Anna", "In two.")]),
        ("Credits", 25, []),
    ]


def test_a_chapter_start_splits_a_paragraph_and_names_the_speaker_again():
    captions = [Cue(0, 2, "<v Anna>One,"), Cue(2, 4, "two,"), Cue(4, 6, "three.")]
    transcript = build_full_transcript(captions, chapters=[Cue(0, 4, "Start"), Cue(4, 9, "End")])
    assert outline(transcript) == [("Start", 0, [("speech", 0, "Anna", "One, two,")]),
                                   ("End", 4, [("speech", 4, "Anna", "three.")])]
    assert transcript_text(transcript) == (
        "Start\n=====\n\n0:00 Anna: One, two,\n\nEnd\n===\n\n0:04 Anna: three.\n")


def test_chapters_without_a_title_are_ignored():
    transcript = build_full_transcript([Cue(5, 6, "Hi.")], chapters=[Cue(0, 9, " <i></i> ")])
    assert outline(transcript) == [(None, 0.0, [("speech", 5, None, "Hi.")])]


def test_full_transcript_splits_at_speakers_and_keeps_starts():
    captions = [Cue(0.5, 1, "<v Anna>Hi Bob."), Cue(1, 2, "How are you?"),
                Cue(2.25, 3, "<v Bob>Fine."), Cue(3, 4, "<v Anna>Good.")]
    blocks = build_full_transcript(captions).sections[0].paragraphs
    assert blocks == (TranscriptBlock(0.5, 2, "Hi Bob. How are you?", "Anna"),
                      TranscriptBlock(2.25, 3, "Fine.", "Bob"),
                      TranscriptBlock(3, 4, "Good.", "Anna"))


@pytest.mark.parametrize(("gap", "starts"), [(2.0, [0, 5]), (3.0, [0]), (0.5, [0, 2, 5])])
def test_full_transcript_splits_at_pauses_over_the_gap(gap, starts):
    captions = [Cue(0, 1, "one"), Cue(2, 2.5, "two"), Cue(5, 6, "three")]
    blocks = build_full_transcript(captions, gap=gap).sections[0].paragraphs
    assert [b.start for b in blocks] == starts


def test_full_transcript_splits_long_speech_after_a_sentence():
    captions = [Cue(i, i + 1, f"Sentence number {i}.") for i in range(20)]
    blocks = build_full_transcript(captions, max_chars=80).sections[0].paragraphs
    assert [b.start for b in blocks] == [0, 5, 10, 15]


@pytest.mark.corpus
def test_full_transcript_drops_rolled_up_repeats_like_build_transcript():
    track = load_captions(CAPTIONS / "webvtt-py" / "youtube_dl.vtt")
    blocks = build_full_transcript(track.cues).sections[0].paragraphs
    assert [(b.start, b.end, b.text) for b in blocks] == [
        (p.start, p.end, p.text) for p in build_transcript(track.cues)]


def test_nothing_gives_an_empty_transcript():
    assert build_full_transcript([]) == Transcript(())
    assert (transcript_text(Transcript(())), transcript_html(Transcript(()))) == ("", "")
    assert transcript_json(Transcript(())) == {"sections": []}


@pytest.mark.corpus
def test_real_described_video_with_chapters():
    captions = load_captions(REAL_WORLD / "ableplayer" / "wwa_captions_en.vtt").cues
    descriptions = load_captions(REAL_WORLD / "ableplayer" / "wwa_description_en.vtt").cues
    chapters = load_captions(REAL_WORLD / "ableplayer" / "wwa_chapters_en.vtt").cues
    transcript = build_full_transcript(captions, descriptions, chapters)
    assert [(s.title, s.start) for s in transcript.sections] == [
        ("Intro", 0), ("Terrill Thompson", 37)]
    blocks = [b for s in transcript.sections for b in s.paragraphs]
    assert [b.start for b in blocks] == sorted(b.start for b in blocks)
    assert [b.text for b in blocks if b.kind == "description"] == [
        "A blue circle has pairs of arching curves inside. Underneath, DO-IT.",
        "Words appear in a white box: World Wide Access.",
        "Terrill Thompson, Technology Accessibility Specialist"]
    assert {b.speaker for b in blocks} == {None, "Narrator", "Terrill"}
    text = transcript_text(transcript)
    assert "\n0:37 [Terrill Thompson, Technology Accessibility Specialist]\n" in text
    assert "0:39 Terrill: It's important" in text


SAMPLE = Transcript((
    TranscriptSection(None, 0.0, (TranscriptBlock(1.2, 3, "Good evening.", "Anna"),)),
    TranscriptSection("Флут & weather", 32.5, (
        TranscriptBlock(32.5, 35, "A man walks into the flooded street.", None, "description"),
        TranscriptBlock(35, 40, "It's deep.", "Anna"),
        TranscriptBlock(3723, 3725, "[Thunder]", None, "description"),
    )),
))


def test_transcript_text_brackets_descriptions_and_underlines_chapters():
    assert transcript_text(SAMPLE) == (
        "0:01 Anna: Good evening.\n\n"
        "Флут & weather\n==============\n\n"
        "0:32 [A man walks into the flooded street.]\n\n"
        "0:35 Anna: It's deep.\n\n"
        "1:02:03 [Thunder]\n")


def test_transcript_text_underlines_wide_letters_by_their_width():
    text = transcript_text(Transcript((TranscriptSection("洪水", 0, ()),)))
    assert text == "洪水\n====\n"


def test_transcript_html_marks_up_sections_times_speakers_and_descriptions():
    assert transcript_html(SAMPLE).split("\n") == [
        '<section class="app-transcript__section">',
        ('<p class="app-transcript__paragraph"><time class="app-transcript__time" datetime="PT1.2S">'
         '0:01</time> <b class="app-transcript__speaker">Anna:</b> Good evening.</p>'),
        "</section>",
        '<section class="app-transcript__section">',
        '<h3 class="app-transcript__chapter">Флут &amp; weather</h3>',
        ('<p class="app-transcript__description"><time class="app-transcript__time" '
         'datetime="PT32.5S">0:32</time> [A man walks into the flooded street.]</p>'),
        ('<p class="app-transcript__paragraph"><time class="app-transcript__time" datetime="PT35S">'
         '0:35</time> <b class="app-transcript__speaker">Anna:</b> It&#x27;s deep.</p>'),
        ('<p class="app-transcript__description"><time class="app-transcript__time" '
         'datetime="PT1H2M3S">1:02:03</time> [Thunder]</p>'),
        "</section>",
    ]


@pytest.mark.parametrize(("lang", "attributes"), [
    ("en-gb", ' lang="en-GB" dir="ltr"'), ("ar", ' lang="ar" dir="rtl"'),
    ("he", ' lang="he" dir="rtl"'), ("zh-Hant", ' lang="zh-Hant" dir="ltr"'),
])
def test_transcript_html_sections_carry_language_and_direction(lang, attributes):
    assert transcript_html(SAMPLE, lang).count(f'<section class="app-transcript__section"{attributes}>') == 2


@pytest.mark.parametrize("lang", ['en" onmouseover="alert(1)', "xx-invalid!!", "en_GB", ""])
def test_transcript_html_refuses_a_bad_language(lang):
    with pytest.raises(CaptionError):
        transcript_html(SAMPLE, lang)


def test_transcript_json_is_serialisable_and_complete():
    data = transcript_json(SAMPLE)
    assert json.loads(json.dumps(data)) == data
    assert data["sections"][0] == {"title": None, "start": 0.0, "paragraphs": [
        {"start": 1.2, "end": 3, "text": "Good evening.", "speaker": "Anna", "kind": "speech"}]}
    assert data["sections"][1]["title"] == "Флут & weather"
    assert [p["kind"] for p in data["sections"][1]["paragraphs"]] == [
        "description", "speech", "description"]


@pytest.mark.parametrize(("seconds", "duration"), [
    (0, "PT0S"), (0.005, "PT0.005S"), (32, "PT32S"), (32.5, "PT32.5S"), (65, "PT1M5S"),
    (3600, "PT1H0S"), (3723.25, "PT1H2M3.25S"), (59.9996, "PT1M0S"), (-1, "PT0S"),
])
def test_iso_duration(seconds, duration):
    assert iso_duration(seconds) == duration


class _Elements(HTMLParser):
    """Collect every start tag with its attributes, and the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '"><a href="javascript:alert(1)">click</a>',
    "' onmouseover='alert(1)",
    "</p></section><iframe src=javascript:alert(1)>",
    "&lt;b&gt; &amp;amp; <!-- comment -->",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_transcript_html_keeps_hostile_text_inert(hostile):
    transcript = Transcript((TranscriptSection(hostile, 0, (
        TranscriptBlock(0, 1, hostile, hostile),
        TranscriptBlock(1, 2, hostile, None, "description"))),))
    parser = _Elements()
    parser.feed(transcript_html(transcript, "en"))
    parser.close()
    allowed = {"section": {"class", "lang", "dir"}, "h3": {"class"}, "p": {"class"},
               "time": {"class", "datetime"}, "b": {"class"}}
    assert [tag for tag, _ in parser.tags] == ["section", "h3", "p", "time", "b", "p", "time"]
    for tag, attributes in parser.tags:
        assert {name for name, _ in attributes} <= allowed[tag]
        assert all("javascript" not in (value or "") for _, value in attributes)
    # the hostile string comes back as text, whole, in the title, speaker, speech and description
    assert "".join(parser.text).count(hostile) == 4


def test_hostile_cues_stay_inert_through_the_whole_pipeline():
    captions = [Cue(0, 1, "<v &lt;img src=x onerror=alert(1)&gt;>&lt;script&gt;alert(1)&lt;/script&gt;")]
    descriptions = [Cue(1, 2, "&lt;iframe src=&quot;javascript:alert(1)&quot;&gt;")]
    chapters = [Cue(0, 5, "&lt;script&gt;x&lt;/script&gt;")]
    markup = transcript_html(build_full_transcript(captions, descriptions, chapters))
    parser = _Elements()
    parser.feed(markup)
    assert {tag for tag, _ in parser.tags} == {"section", "h3", "p", "time", "b"}
    assert "<script" not in markup and "<img" not in markup and "<iframe" not in markup
    assert "&lt;img src=x onerror=alert(1)&gt;:" in markup
