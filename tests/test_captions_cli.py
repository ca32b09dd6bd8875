"""``python -m media captions ...`` as editors and scripts run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import make_clip, require_tool, run_media_cli
from tests.corpus import CORPUS

VTTCUE_FIELDS = {"id", "startTime", "endTime", "text", "vertical", "snapToLines", "line",
                 "lineAlign", "position", "positionAlign", "size", "align", "region"}
VTTREGION_FIELDS = {"id", "width", "lines", "regionAnchorX", "regionAnchorY",
                    "viewportAnchorX", "viewportAnchorY", "scroll"}

CLEAN = ("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nThe ferry left on time.\n\n"
         "00:00:03.500 --> 00:00:06.000\nPassengers waved from the deck.\n")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def one_line_error(result, path: Path) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.corpus
def test_parse_json_has_the_vttcue_shape():
    path = CORPUS / "captions" / "webvtt-py" / "regions.vtt"
    result = run_media_cli("captions", "parse", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"valid", "error", "cues", "regions"}
    assert data["valid"] is True and data["error"] is None
    assert data["cues"] and all(set(cue) == VTTCUE_FIELDS for cue in data["cues"])
    first = data["cues"][0]
    assert first["region"]["id"] == "fred" and set(first["region"]) == VTTREGION_FIELDS
    assert isinstance(first["startTime"], float | int) and isinstance(first["snapToLines"], bool)
    assert {region["id"] for region in data["regions"]} == {"fred", "bill"}


def test_parse_of_a_file_without_the_signature_is_invalid_and_exits_2(tmp_path):
    path = write(tmp_path / "plain.vtt", "00:00:01.000 --> 00:00:02.000\nHello\n")
    result = run_media_cli("captions", "parse", str(path), "--json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["error"] and data["cues"] == []


def test_check_of_a_clean_file_exits_0(tmp_path):
    path = write(tmp_path / "clean.vtt", CLEAN)
    result = run_media_cli("captions", "check", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_check_reports_quality_problems_with_file_line_and_code_and_exits_1(tmp_path):
    path = write(tmp_path / "fast.vtt",
                 "WEBVTT\n\n00:00:01.000 --> 00:00:01.400\n"
                 "This line is far too long to be read in the time it is on screen at all\n")
    result = run_media_cli("captions", "check", str(path), "--profile", "netflix-en")
    assert result.returncode == 1, result.stderr
    assert f"{path}:3: warning line-too-long:" in result.stdout
    assert f"{path}:3: warning too-short:" in result.stdout


def test_check_json_lists_problems_with_the_contract_keys(tmp_path):
    path = write(tmp_path / "overlap.vtt",
                 "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nOne\n\n"
                 "00:00:03.000 --> 00:00:05.000\nTwo\n")
    result = run_media_cli("captions", "check", str(path), "--json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)
    assert problems and all(set(p) == {"file", "line", "severity", "code", "message"}
                            for p in problems)
    assert {"file": str(path), "line": 6, "code": "overlap"}.items() <= next(
        p for p in problems if p["code"] == "overlap").items()


def test_check_of_an_invalid_file_exits_2_naming_file_and_line(tmp_path):
    path = write(tmp_path / "bad.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:xx.000\nOne\n")
    result = run_media_cli("captions", "check", str(path), "--json")
    assert result.returncode == 2
    [problem] = json.loads(result.stdout)
    assert problem["code"] == "invalid-syntax" and problem["line"] == 3


def test_check_with_the_clip_finds_cues_past_its_end(tmp_path):
    require_tool("ffmpeg")
    clip = make_clip(tmp_path / "clip.mp4", seconds=2.0)
    path = write(tmp_path / "long.vtt",
                 "WEBVTT\n\n00:00:00.000 --> 00:00:01.900\nA tone plays.\n\n"
                 "00:00:02.000 --> 00:00:04.000\nThis is after the end.\n")
    result = run_media_cli("captions", "check", str(path), "--video", str(clip), "--json")
    assert result.returncode == 1, result.stderr
    codes = {(p["line"], p["code"]) for p in json.loads(result.stdout)}
    assert (6, "past-end") in codes


def test_check_refuses_an_unknown_profile(tmp_path):
    path = write(tmp_path / "clean.vtt", CLEAN)
    result = run_media_cli("captions", "check", str(path), "--profile", "nope")
    assert result.returncode == 2
    assert "nope" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.corpus
@pytest.mark.parametrize("target", ["out.vtt", "out.srt"])
def test_convert_srt_to_vtt_and_srt_keeps_every_cue(tmp_path, target):
    source = CORPUS / "captions" / "srt" / "ascii.srt"
    before = source.read_bytes()
    out = tmp_path / target
    result = run_media_cli("captions", "convert", str(source), str(out))
    assert result.returncode == 0, result.stderr
    assert source.read_bytes() == before
    data = out.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
    again = run_media_cli("captions", "check", str(out), "--json")
    assert again.returncode in (0, 1), again.stdout


@pytest.mark.corpus
def test_convert_refuses_an_unknown_target_format_and_writes_nothing(tmp_path):
    out = tmp_path / "out.ass"
    result = run_media_cli("captions", "convert", str(CORPUS / "captions" / "srt" / "ascii.srt"),
                           str(out))
    assert result.returncode == 1
    one_line_error(result, out)
    assert not out.exists()


def test_convert_of_a_broken_file_is_one_line_and_leaves_no_output(tmp_path):
    source = write(tmp_path / "broken.srt", "1\n00:00:01,000 --> nonsense\nHi\n")
    out = tmp_path / "out.vtt"
    result = run_media_cli("captions", "convert", str(source), str(out))
    assert result.returncode == 1
    assert ":2:" in one_line_error(result, source)
    assert list(tmp_path.iterdir()) == [source]


def test_convert_refuses_to_overwrite_its_source(tmp_path):
    source = write(tmp_path / "same.vtt", CLEAN)
    result = run_media_cli("captions", "convert", str(source), str(source))
    assert result.returncode == 1
    assert source.read_text(encoding="utf-8") == CLEAN


@pytest.mark.parametrize("output", ["txt", "html", "json"])
def test_transcript_merges_descriptions_and_chapters(tmp_path, output):
    spoken = write(tmp_path / "captions.vtt",
                   "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ana>The water rose overnight.\n\n"
                   "00:00:12.000 --> 00:00:14.000\n<v Ben>We left at dawn.\n")
    described = write(tmp_path / "descriptions.vtt",
                      "WEBVTT\n\n00:00:05.000 --> 00:00:08.000\nA flooded street at night.\n")
    chapters = write(tmp_path / "chapters.vtt",
                     "WEBVTT\n\n00:00:00.000 --> 00:00:10.000\nThe flood\n\n"
                     "00:00:10.000 --> 00:00:20.000\n&lt;script&gt;alert(1)&lt;/script&gt;Leaving\n")
    result = run_media_cli("captions", "transcript", str(spoken), "--descriptions",
                           str(described), "--chapters", str(chapters), "--format", output)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    if output == "json":
        text = json.dumps(json.loads(text), ensure_ascii=False)
    for words in ("The water rose overnight.", "A flooded street at night.", "The flood",
                  "We left at dawn."):
        assert words in text
    assert text.index("rose overnight") < text.index("flooded street") < text.index("left at")
    if output == "txt":
        assert "[A flooded street at night.]" in text
    if output == "html":
        assert "<script>" not in text and "&lt;script&gt;" in text


def test_transcript_of_a_missing_file_is_one_line(tmp_path):
    missing = tmp_path / "missing.vtt"
    result = run_media_cli("captions", "transcript", str(missing))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and str(missing) in result.stderr


def test_the_profile_choices_are_the_profiles():
    from captions.profiles import PROFILES
    from cli.captions import PROFILE_NAMES
    assert sorted(PROFILE_NAMES) == sorted(PROFILES)
