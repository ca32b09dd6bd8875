"""Reading a script and turning its words into the words a speech dictionary knows."""

from __future__ import annotations

import pytest

from media.speech.errors import ScriptError
from media.speech.script import ScriptWord, Sound, parse_script, read_script
from media.speech.words import ipa_to_arpabet, pronounce, spoken_readings
from tests.conftest import require_tool

# --- the script format --------------------------------------------------------

def test_script_keeps_speakers_to_their_paragraph_and_sounds_apart():
    script = parse_script("Anna Berg: The ferry runs.\nAgain today. [horn sounds]\n\nIt left.")
    assert script.parts == (
        ScriptWord("The", 1, "Anna Berg"), ScriptWord("ferry", 1, "Anna Berg"),
        ScriptWord("runs.", 1, "Anna Berg"), ScriptWord("Again", 2, "Anna Berg"),
        ScriptWord("today.", 2, "Anna Berg"), Sound("[horn sounds]", 2), ScriptWord("It", 4),
        ScriptWord("left.", 4))
    assert [word.text for word in script.words] == ["The", "ferry", "runs.", "Again", "today.", "It", "left."]


def test_script_keeps_dashes_with_the_word_before():
    assert [word.text for word in parse_script("pilots — who voted").words] == ["pilots —", "who", "voted"]


def test_a_colon_inside_a_sentence_is_no_speaker():
    script = parse_script("The reason was simple and clear to everyone: money.")
    assert {word.speaker for word in script.words} == {None}


@pytest.mark.parametrize(("content", "message"), [
    (b"", "no words"),
    (b"  \n\n[music]\n", "no words"),
    (b"\x00\x01binary\x00", "binary file"),
    (b"caf\xe9 noir", "not UTF-8"),
    (b"The ferry [horn\nsounds]", "without its pair"),
])
def test_bad_scripts_are_refused_in_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "script.txt"
    path.write_bytes(content)
    with pytest.raises(ScriptError, match=message) as caught:
        read_script(path)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)


def test_an_unclosed_bracket_names_its_line(tmp_path):
    path = tmp_path / "script.txt"
    path.write_text("First line.\nSecond [line\n", encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        read_script(path)
    assert str(caught.value).startswith(f"{path}:2: ")


# --- dictionary words --------------------------------------------------------------

@pytest.mark.parametrize(("written", "readings"), [
    ("strike.", [["strike"]]),
    ("Don’t", [["don't"]]),
    ("Okonkwo-Hale,", [["okonkwo", "hale"]]),
    ("1,200", [["one", "thousand", "two", "hundred"], ["twelve", "hundred"]]),
    ("105", [["one", "hundred", "and", "five"], ["one", "hundred", "five"]]),
    ("3.5", [["three", "point", "five"]]),
    ("21st", [["twenty", "first"]]),
    ("2026.", [["twenty", "twenty", "six"], ["two", "thousand", "and", "twenty", "six"],
               ["two", "thousand", "twenty", "six"]]),
    ("50%", [["fifty", "percent"]]),
    ("$5", [["five", "dollars"]]),
    ("A4", [["a", "four"]]),
    ("café", [["cafe"]]),
    ("—", []),
])
def test_written_words_become_the_words_said(written, readings):
    assert spoken_readings(written) == readings


def test_ipa_maps_to_the_models_phones():
    assert ipa_to_arpabet("wˈɛksmoːɹ") == "W EH K S M OW R"
    assert ipa_to_arpabet("ɑːkˈɔŋkwoʊ") == "AA K AO NG K W OW"
    assert ipa_to_arpabet("bˈɜːd") == "B ER D"


@pytest.mark.parametrize("name", ["wexmoor", "okonkwo", "tallack"])
def test_names_missing_from_the_dictionary_get_pronunciations(name):
    require_tool("espeak-ng")
    phones = pronounce(name).split()
    assert len(phones) >= 4
    assert phones[0] in {"W", "AA", "T"}
