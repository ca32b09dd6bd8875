"""Tests for captions.profiles and captions.quality: one small file per problem code, the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from captions.errors import CaptionError
from captions.models import CaptionTrack, Cue
from captions.profiles import PROFILES, ProfileError, QualityProfile, get_profile
from captions.quality import CheckReport, Problem, check_file, check_track
from captions.read import load_captions, parse_captions
from tests.corpus import CORPUS, corpus_files, corpus_params

CAPTIONS = CORPUS / "captions"
REAL_WORLD = CORPUS / "webvtt" / "real-world"
CAPTION_SUFFIXES = {".vtt", ".srt", ".sbv"}


def vtt(*cues: str) -> str:
    """Return a WebVTT file of the given cue blocks."""
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


# clean under every profile's timing rules: 2 s long, 1 s apart, short text
GOOD_FIRST = "00:00:01.000 --> 00:00:03.000\nGood evening."
GOOD_SECOND = "00:00:04.000 --> 00:00:06.000\nHere is the news."


def load_captions_text(text: str) -> CaptionTrack:
    """Return the track of WebVTT text, as if read from clip.vtt."""
    return parse_captions(text, "vtt", Path("clip.vtt"))


def found(problems) -> list[tuple[int | None, str, str]]:
    return [(problem.line, problem.severity, problem.code) for problem in problems]


# name, file text, keyword arguments, the one problem expected: (line, severity, code)
ONE_PROBLEM = [
    ("invalid.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nHi\n", {},
     (3, "error", "invalid-syntax")),
    ("stray.vtt", "WEBVTT\n\nA note written without NOTE\n\n" + GOOD_FIRST + "\n", {},
     (3, "warning", "ignored-text")),
    ("unsorted.vtt", vtt(GOOD_SECOND, GOOD_FIRST), {}, (6, "warning", "unsorted")),
    ("overlap.vtt", vtt(GOOD_FIRST, "00:00:02.500 --> 00:00:04.500\nHere is the news."), {},
     (6, "warning", "overlap")),
    ("gap.vtt", vtt(GOOD_FIRST, "00:00:03.040 --> 00:00:05.000\nHere is the news."), {},
     (6, "warning", "gap-too-small")),
    ("past.vtt", vtt(GOOD_FIRST, GOOD_SECOND), {"clip_duration": 5.0},
     (6, "warning", "past-end")),
    ("after.vtt", vtt(GOOD_FIRST, GOOD_SECOND), {"clip_duration": 3.5},
     (6, "error", "past-end")),
    ("empty.srt", ("1\n00:00:01,000 --> 00:00:03,000\nGood evening.\n\n"
                   "2\n00:00:04,000 --> 00:00:06,000\n\n"), {}, (6, "warning", "empty-cue")),
    ("tags-only.vtt", vtt(GOOD_FIRST, "00:00:04.000 --> 00:00:06.000\n<i> </i>"), {},
     (6, "warning", "empty-cue")),
    ("long-line.vtt", vtt(GOOD_FIRST, "00:00:04.000 --> 00:00:07.000\n" + "x" * 43), {},
     (6, "warning", "line-too-long")),
    ("three-lines.vtt", vtt(GOOD_FIRST, "00:00:04.000 --> 00:00:07.000\nOne\nTwo\nThree"), {},
     (6, "warning", "too-many-lines")),
    ("fast.vtt", vtt(GOOD_FIRST, "00:00:04.000 --> 00:00:06.000\n"
                     "Fifty-odd characters in two seconds\nare too many to read."), {},
     (6, "warning", "reading-speed")),
    ("short.vtt", vtt(GOOD_FIRST, "00:00:04.000 --> 00:00:04.500\nNo."), {},
     (6, "warning", "too-short")),
    ("never.vtt", vtt(GOOD_FIRST, "00:00:04.000 --> 00:00:04.000\nNo."), {},
     (6, "error", "too-short")),
    ("reversed.vtt", vtt(GOOD_FIRST, "00:00:04.500 --> 00:00:04.000\nNo."), {},
     (6, "error", "too-short")),
    ("too-long.sbv", ("0:00:01.000,0:00:03.000\nGood evening.\n\n"
                      "0:00:04.000,0:00:12.000\nHere is the news.\n"), {},
     (4, "warning", "too-long")),
    ("uncaptioned.vtt", vtt(GOOD_FIRST, GOOD_SECOND), {"sound": [(1.0, 6.0), (8.0, 12.0)]},
     (None, "warning", "no-caption")),
]


@pytest.mark.parametrize(("name", "text", "options", "expected"), ONE_PROBLEM,
                         ids=[case[3][2] + "-" + case[0] for case in ONE_PROBLEM])
def test_each_problem_is_found_on_its_cue_line(tmp_path, name, text, options, expected):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    report = check_file(path, **options)
    assert found(report.problems) == [expected]
    assert report.valid is (expected[2] != "invalid-syntax")
    problem = report.problems[0]
    assert problem.file == str(path)
    assert str(problem).startswith(f"{path}{'' if expected[0] is None else f':{expected[0]}'}: "
                                   f"{expected[1]} {expected[2]}: ")


@pytest.mark.parametrize("name", ["clean.vtt", "clean.srt", "clean.sbv"])
def test_clean_file_has_no_problems(tmp_path, name):
    texts = {
        "clean.vtt": vtt(GOOD_FIRST, GOOD_SECOND),
        "clean.srt": "1\n00:00:01,000 --> 00:00:03,000\nGood evening.\n\n"
                     "2\n00:00:04,000 --> 00:00:06,000\nHere is the news.\n",
        "clean.sbv": "0:00:01.000,0:00:03.000\nGood evening.\n\n"
                     "0:00:04.000,0:00:06.000\nHere is the news.\n",
    }
    path = tmp_path / name
    path.write_text(texts[name], encoding="utf-8")
    for profile in ("newsreel", "netflix-en", "bbc"):
        report = check_file(path, profile, clip_duration=6.0, sound=[(1.0, 6.0)])
        assert report == CheckReport(valid=True, problems=(), track=report.track)
        assert report.track is not None and len(report.track.cues) == 2


def test_windows_1252_fallback_is_an_encoding_warning(tmp_path):
    path = tmp_path / "latin.srt"
    path.write_bytes("1\n00:00:01,000 --> 00:00:03,000\nCafé crème.\n".encode("cp1252"))
    report = check_file(path)
    assert found(report.problems) == [(None, "warning", "encoding")]
    assert str(report.problems[0]) == (
        f"{path}: warning encoding: not UTF-8, read as Windows-1252")


def test_other_reader_warnings_keep_their_line():
    track = CaptionTrack(Path("x.vtt"), "vtt", (Cue(1.0, 3.0, "Hi", line=3),), "utf-8",
                         warnings=("x.vtt:7: something unusual", "x.vtt: odd"))
    assert [(p.line, p.code, p.message) for p in check_track(track)] == [
        (None, "reader-warning", "odd"), (7, "reader-warning", "something unusual")]


@pytest.mark.corpus
def test_cue_ending_before_it_starts_is_one_error_on_its_line():
    path = CAPTIONS / "webvtt-py" / "sample.sbv"
    problems = check_track(load_captions(path))
    never = [problem for problem in problems if "never shown" in problem.message]
    assert found(never) == [(14, "error", "too-short")]


@pytest.mark.corpus
def test_empty_cues_are_recorded_with_their_lines():
    lines = {"srt": (6, [2, 10, 14, 18]), "vtt": (6, [3, 8, 11, 14]), "sbv": (4, [1, 6, 9, 12])}
    for fmt, (empty_line, cue_lines) in lines.items():
        track = load_captions(CAPTIONS / "webvtt-py" / f"missing_caption_text.{fmt}")
        assert [(cue.line, cue.text) for cue in track.empty_cues] == [(empty_line, "")]
        assert [cue.line for cue in track.cues] == cue_lines
        assert track.empty_cues[0].start == (7.0 if fmt != "sbv" else 11.378)


def test_tracks_have_no_empty_cues_unless_given():
    cue = Cue(1.0, 3.0, "Hi")
    assert CaptionTrack(Path("a.vtt"), "vtt", (cue,), "utf-8").empty_cues == ()


def test_problems_are_sorted_by_line_then_code(tmp_path):
    path = tmp_path / "many.vtt"
    path.write_text(vtt("00:00:01.000 --> 00:00:01.400\n" + "y" * 50,
                        "00:00:01.200 --> 00:00:10.000\nOne\nTwo\nThree"), encoding="utf-8")
    report = check_file(path, sound=[(0.0, 20.0)], clip_duration=9.0)
    assert found(report.problems) == [
        (None, "warning", "no-caption"),
        (3, "warning", "line-too-long"),
        (3, "warning", "reading-speed"),
        (3, "warning", "too-short"),
        (6, "warning", "overlap"),
        (6, "warning", "past-end"),
        (6, "warning", "too-long"),
        (6, "warning", "too-many-lines"),
    ]
    assert report.errors == ()
    assert report.warnings == report.problems


@pytest.mark.parametrize(("line", "length"), [
    # each raw line is longer than 42 characters; what a viewer sees is not
    ("<b>Bold</b> and <i>italic</i> are not counted: " + "z" * 9, 42),
    ("&amp; counts as one character, &lt;tag&gt; as five!!!", 43),
    ("Cafe\u0301 with a combining accent counts once!!", 42),
    ("Zero\u200bwidth\u200e marks take no room on screen!!!!", 42),
    ("{\\an8}An ASS override is markup, not text!!!!!!!", 42),
])
def test_characters_are_counted_as_shown(tmp_path, line, length):
    assert len(line) > 42
    path = tmp_path / "count.vtt"
    path.write_text(vtt(f"00:00:01.000 --> 00:00:05.000\n{line}"), encoding="utf-8")
    problems = check_file(path, "newsreel").problems
    if length > 42:
        assert found(problems) == [(3, "warning", "line-too-long")]
        assert problems[0].message.startswith(f"{length} characters on a line (at most 42)")
    else:
        assert problems == ()
    tight = QualityProfile("tight", "test", length - 1, 2, None, None, 0.0, None, None)
    assert [p.message.split(" ")[0] for p in check_file(path, tight).problems] == [str(length)]


@pytest.mark.parametrize(("profile", "codes"), [
    ("newsreel", []),
    ("netflix-en", ["reading-speed"]),
    ("bbc", ["line-too-long"]),
    ("dcmp", ["line-too-long", "reading-speed"]),
])
def test_profiles_judge_the_same_cue_differently(tmp_path, profile, codes):
    # 31 + 38 characters (19.2 a second) and 10 words (167 a minute) in 3.6 s
    path = tmp_path / "cue.vtt"
    path.write_text(vtt("00:00:01.000 --> 00:00:04.600\nThe minister spoke to reporters\n"
                        "outside the parliament building today."), encoding="utf-8")
    assert [problem.code for problem in check_file(path, profile).problems] == codes


@pytest.mark.parametrize(("frame_rate", "codes"), [(25.0, ["gap-too-small"]), (30.0, [])])
def test_minimum_gap_is_measured_in_frames(tmp_path, frame_rate, codes):
    path = tmp_path / "gap.vtt"
    path.write_text(vtt(GOOD_FIRST, "00:00:03.070 --> 00:00:05.000\nHere is the news."),
                    encoding="utf-8")
    assert [p.code for p in check_file(path, frame_rate=frame_rate).problems] == codes


def test_gap_of_exactly_two_frames_is_enough(tmp_path):
    path = tmp_path / "gap.vtt"
    path.write_text(vtt(GOOD_FIRST, "00:00:03.080 --> 00:00:05.000\nHere is the news."),
                    encoding="utf-8")
    assert check_file(path).problems == ()


def test_overlap_is_with_the_cue_still_on_screen(tmp_path):
    path = tmp_path / "long.vtt"
    path.write_text(vtt("00:00:01.000 --> 00:00:07.000\nA long cue.",
                        "00:00:02.000 --> 00:00:03.000\nInside it.",
                        "00:00:04.000 --> 00:00:05.000\nStill inside it."), encoding="utf-8")
    assert found(check_file(path).problems) == [(6, "warning", "overlap"),
                                               (9, "warning", "overlap")]


@pytest.mark.parametrize(("sound", "uncovered"), [
    ([(0.0, 3.0)], []),                       # 1 s before the first cue
    ([(6.0, 9.0)], []),                       # 3 s with no cue is still allowed
    ([(6.0, 9.5)], ["0:06.000 to 0:09.500"]),
    ([(2.0, 5.0)], []),                       # the 1 s between the cues is a pause
    ([(0.0, 20.0), (30.0, 40.0)], ["0:06.000 to 0:20.000", "0:30.000 to 0:40.000"]),
    ([(30.0, 40.0), (0.0, 20.0)], ["0:06.000 to 0:20.000", "0:30.000 to 0:40.000"]),
    ([(0.5, 7.0)], []),
    ([], []),
])
def test_sound_without_a_cue_for_over_three_seconds(sound, uncovered):
    track = load_captions_text(vtt(GOOD_FIRST, GOOD_SECOND))
    problems = check_track(track, sound=sound)
    assert [p.message.split("sound from ")[1].split(" (")[0] for p in problems] == uncovered
    assert all(p.code == "no-caption" and p.line is None for p in problems)


def test_problem_string_and_json():
    problem = Problem("clip.vtt", 12, "warning", "too-long", "shown for 8.000 s")
    assert str(problem) == "clip.vtt:12: warning too-long: shown for 8.000 s"
    assert str(Problem("clip.vtt", None, "error", "invalid-syntax", "no cues found")) == (
        "clip.vtt: error invalid-syntax: no cues found")
    assert problem.to_json() == {"file": "clip.vtt", "line": 12, "severity": "warning",
                                 "code": "too-long", "message": "shown for 8.000 s"}
    report = CheckReport(valid=True, problems=(problem,), track=None)
    assert report.to_json() == {"valid": True, "problems": [problem.to_json()]}


def test_profiles_have_the_published_numbers():
    assert list(PROFILES) == ["newsreel", "netflix-en", "bbc", "dcmp"]
    netflix, bbc, dcmp = PROFILES["netflix-en"], PROFILES["bbc"], PROFILES["dcmp"]
    assert (netflix.max_chars_per_line, netflix.max_lines, netflix.max_cps,
            netflix.min_duration, netflix.max_duration, netflix.min_gap_frames) == (
        42, 2, 17, 5 / 6, 7.0, 2)
    assert (bbc.max_chars_per_line, bbc.max_lines, bbc.max_wpm) == (37, 2, 180)
    assert (dcmp.max_chars_per_line, dcmp.max_lines, dcmp.min_duration) == (32, 2, 2.0)
    assert get_profile("newsreel") is PROFILES["newsreel"]


def test_unknown_profile_names_the_valid_ones(tmp_path):
    with pytest.raises(ProfileError) as caught:
        get_profile("itv")
    assert str(caught.value) == ("unknown caption quality profile 'itv' "
                                 "(use one of: newsreel, netflix-en, bbc, dcmp)")
    assert isinstance(caught.value, ValueError)
    path = tmp_path / "a.vtt"
    path.write_text(vtt(GOOD_FIRST), encoding="utf-8")
    with pytest.raises(ProfileError):
        check_file(path, "itv")


@pytest.mark.parametrize("options", [{"frame_rate": 0.0}, {"frame_rate": float("nan")},
                                     {"clip_duration": -1.0}])
def test_bad_numbers_are_refused(tmp_path, options):
    with pytest.raises(ValueError):
        check_track(load_captions_text(vtt(GOOD_FIRST)), **options)
    with pytest.raises(ValueError):
        check_file(tmp_path / "not-even-read.vtt", **options)


def test_missing_file_is_an_invalid_report_not_an_exception(tmp_path):
    path = tmp_path / "gone.vtt"
    report = check_file(path)
    assert (report.valid, report.track) == (False, None)
    assert found(report.problems) == [(None, "error", "invalid-syntax")]
    assert str(report.problems[0]).startswith(f"{path}: error invalid-syntax: cannot read file")


CORPUS_FILES = [path for path in corpus_files("captions", "webvtt/vttjs", "webvtt/real-world",
                                              pattern="**/*")
                if path.suffix in CAPTION_SUFFIXES]


@pytest.mark.corpus
def test_corpus_is_not_empty():
    assert len(CORPUS_FILES) > 100


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_params(CORPUS_FILES,
                                               ids=lambda path: str(path.relative_to(CORPUS))))
def test_every_corpus_file_gives_a_report(path):
    report = check_file(path, clip_duration=60.0, sound=[(0.0, 60.0)])
    assert isinstance(report, CheckReport)
    for problem in report.problems:
        assert "\n" not in str(problem)
        assert str(problem).startswith(str(path))
        assert problem.severity in ("error", "warning")
    if report.valid:
        line_count = len(path.read_bytes().splitlines())
        assert all(p.line is None or 1 <= p.line <= line_count for p in report.problems)
        return
    [problem] = report.problems
    with pytest.raises(CaptionError) as caught:
        load_captions(path)
    assert (problem.line, problem.code, problem.message) == (
        caught.value.line, "invalid-syntax", caught.value.message)


@pytest.mark.corpus
def test_broken_corpus_file_names_its_line():
    path = REAL_WORLD / "ableplayer" / "paulallen_meta.vtt"
    report = check_file(path)
    assert not report.valid
    assert str(report.problems[0]) == (
        f"{path}:15: error invalid-syntax: invalid cue timings "
        "'00:02:08.000 --> 00.02:32.000'")


def test_two_thousand_clean_cues_give_no_problems():
    # their speed is measured in bench/captions_bench.py, not asserted here
    cues = tuple(Cue(start=index * 3.0, end=index * 3.0 + 2.0,
                     text=("<v Anna>Good evening &amp; welcome</v>\nà la une ce soir"
                           if index % 3 == 0 else "Here is the news\nfrom the harbour."),
                     line=index * 4 + 3)
                 for index in range(2000))
    track = CaptionTrack(Path("long.vtt"), "vtt", cues, "utf-8")
    problems = check_track(track, clip_duration=6000.0, sound=[(0.0, 6000.0)])
    assert [p.code for p in problems] == []
