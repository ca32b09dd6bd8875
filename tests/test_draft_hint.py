"""Draft captions with a hint: the story's text makes recognition find the story's own words.

The speech is espeak-ng's reading of tests/data/speech/*.txt; each hint in
tests/data/hints/ is a paraphrase of the same story with its names and topic
words, written before anything was tuned and never the words said. Content
words are those other than the general model's 100 most probable words.

The bound: even a model made from the very words said recalls only 57-66 %
of the content words of this synthetic speech (the bundled acoustic model
hears espeak-ng poorly), so the issue's 50 % is out of reach for a
paraphrase; with one the drafts recall 31-43 % (without: 9-18 %). The tests
hold every text to at least 28 % with the hint, and to at least one and a
half times its recall without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from captions.drafts import DRAFT_NOTE, is_draft
from media.speech.draft import _model_folder, transcribe
from media.speech.hints import HintError, general_model, read_hint
from tests.conftest import require_tool, run_media_cli
from tests.speech import content_word_recall, speak, spoken_words, word_error_rate

DATA = Path(__file__).parent / "data"
STORIES = ("city-library", "harbour-ferry", "school-garden")
RECALL_BOUND = 0.28
GAIN_BOUND = 1.5


@pytest.fixture(autouse=True)
def _pocketsphinx_present(pocketsphinx_present):
    """Every test here needs the speech engine."""


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> dict[str, Path]:
    """Each story spoken by espeak-ng (about a minute each)."""
    require_tool("espeak-ng")
    folder = tmp_path_factory.mktemp("spoken")
    clips = {}
    for name in STORIES:
        clips[name] = folder / f"{name}.wav"
        speak((DATA / "speech" / f"{name}.txt").read_text(encoding="utf-8"), clips[name])
    return clips


@pytest.fixture(scope="module")
def common() -> set[str]:
    return set(general_model(_model_folder("en")).most_probable(100))


@pytest.mark.parametrize("name", STORIES)
def test_a_hint_recalls_the_stories_own_words(name, spoken, common):
    said = spoken_words((DATA / "speech" / f"{name}.txt").read_text(encoding="utf-8"))
    plain = [word.text for word in transcribe(spoken[name]).words]
    hinted = [word.text for word in transcribe(spoken[name], "en", (DATA / "hints" / f"{name}.txt",)).words]
    without, with_hint = content_word_recall(said, plain, common), content_word_recall(said, hinted, common)
    print(f"{name}: recall {without:.0%} -> {with_hint:.0%}, "
          f"WER {word_error_rate(said, plain):.0%} -> {word_error_rate(said, hinted):.0%}")
    assert with_hint >= RECALL_BOUND
    assert with_hint >= GAIN_BOUND * without


def test_the_cli_names_the_hints_in_the_note(spoken, tmp_path):
    bundle = tmp_path / "school-garden"
    bundle.mkdir()
    (bundle / "article.md").write_text(
        "---\ntitle: A vegetable garden at Hillcrest\nsummary: Pupils grow beans and pumpkins.\n---\n\n"
        + (DATA / "hints" / "school-garden.txt").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "captions.en.vtt"
    done = run_media_cli("captions", "draft", str(spoken["school-garden"]), "--out", str(out),
                         "--hint", str(bundle / "article.md"), "--hint", str(DATA / "hints" / "school-garden.txt"),
                         "--json", env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert is_draft(text)
    assert text.startswith(f"WEBVTT\n\n{DRAFT_NOTE}\nEngine: pocketsphinx ")
    assert "\nHints: school-garden/article.md, school-garden.txt\n\n" in text
    assert json.loads(done.stdout)["note"].endswith("Hints: school-garden/article.md, school-garden.txt")
    # the model made for the run is gone with it
    assert sorted(path.name for path in tmp_path.iterdir()) == ["captions.en.vtt", "school-garden"]


def test_an_article_gives_its_title_summary_photo_words_and_body_without_markup(tmp_path):
    article = tmp_path / "article.md"
    article.write_text(
        "---\ntitle: Ferry returns to Wexmoor\nsummary: The harbour reopens.\nslug: ferry-returns\n"
        "images:\n  - file: quay.jpg\n    alt: Passengers on the quay\n    caption: Grace Okonkwo at the helm\n"
        "videos:\n  - file: clip.mp4\n    title: The crossing\n    poster_alt: A boat at dusk\n---\n\n"
        "# Back in service\n\nThe **ferry** sailed [at dawn](https://example.org/dawn) on `Monday`.\n",
        encoding="utf-8")
    words = read_hint(article).words
    assert {"wexmoor", "harbour", "reopens", "passengers", "quay", "okonkwo", "helm", "crossing",
            "dusk", "service", "ferry", "dawn"} <= words
    assert not words & {"slug", "returns-ferry", "quay.jpg", "jpg", "https", "example", "org", "monday", "file"}


def test_numbers_in_a_hint_are_read_as_words(tmp_path):
    hint = tmp_path / "hint.txt"
    hint.write_text("The boat carries 240 passengers.", encoding="utf-8")
    assert read_hint(hint).sentences == (("the", "boat", "carries", "two", "hundred", "and", "forty", "passengers"),)


GERMAN = ("Die Fähre aus dem Hafen von Wexmoor fährt seit Montag wieder, nachdem sie drei Wochen "
          "in der Werft gelegen hatte. Die Hafenmeisterin dankte den Freiwilligen, die den Rumpf "
          "gestrichen haben.\n")


@pytest.mark.parametrize("content, expected", [
    (b"", "the hint has no words"),
    (b"  \n -- \n", "the hint has no words"),
    (b"\x00\x01PK\x03\x04binary", "is a binary file"),
    (b"caf\xe9 au lait", "is not UTF-8 text"),
    (GERMAN.encode(), "is the hint in another language? (see --language)"),
])
def test_a_bad_hint_is_one_line_naming_it_and_nothing_is_written(content, expected, spoken, tmp_path):
    hint = tmp_path / "hint.txt"
    hint.write_bytes(content)
    out = tmp_path / "captions.en.vtt"
    done = run_media_cli("captions", "draft", str(spoken["school-garden"]), "--out", str(out),
                         "--hint", str(hint), env={"TMPDIR": str(tmp_path)})
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(hint) in lines[0] and expected in lines[0]
    assert "Traceback" not in done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["hint.txt"]


def test_a_missing_hint_is_refused_before_the_clip_is_read(tmp_path):
    with pytest.raises(HintError, match="cannot read the hint"):
        transcribe(tmp_path / "no-clip.mp4", "en", (tmp_path / "no-hint.txt",))
