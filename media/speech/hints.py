"""Hints for draft captions: the story's own words, as a language model the recogniser prefers.

The bundled general model knows 126,000 words and expects none of a story's
names or topic words in particular; a clear news sentence comes out as
common words that sound alike. A newsroom has the story's text when it makes
a draft, so each hint file (plain text, or an article bundle's article.md)
becomes a small trigram model for this run: the hint's word sequences, with
absolute discounting, backing off to unigrams mixed from the hint and from
the general model's most probable words. Words the hint does not have can
still be heard, only less readily. Every word of that model is in the
dictionary written beside it; a word CMUdict lacks ("Okonkwo") gets its
phones as alignment gives them (media.speech.words).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from media.speech.errors import ScriptError
from media.speech.script import read_text_file
from media.speech.words import pronounce, spoken_readings

# the general model's most probable words kept beside the hint's; more only
# slows decoding (2,000 to 20,000 changed content-word recall by 1 point)
GENERAL_WORDS = 2000
# the share of each unigram's probability taken from the hint's own counts
HINT_WEIGHT = 0.95
# absolute discount of each seen bigram and trigram, given to the lower order
DISCOUNT = 0.5
# more than this share of the hint's words unknown to the dictionary: another language
FOREIGN_SHARE = 0.5
# the front matter fields of an article bundle that hold words of the story
_STORY_FIELDS = {"title", "headline", "summary", "caption", "alt", "description", "poster_alt"}
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
# sentence ends and other breaks a story's word sequence does not run across
_BREAK = re.compile(r"[.!?;:…]+(?:\s|$)|\n\s*\n|\n#|^\s*[-*]\s", re.MULTILINE)
# Markdown that is not words: images and links keep their text, code and markup go
_MARKDOWN = [(re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"), (re.compile(r"`[^`]*`"), " "),
             (re.compile(r"<[^>]+>"), " "), (re.compile(r"[#>*_|~=]+"), " ")]
# log base of the probabilities pocketsphinx's NGramModel.prob returns
_LOG_BASE = 1.0001
_UNKNOWN = -(2 ** 29)


class HintError(ScriptError):
    """A hint file that cannot be used: missing, binary, empty, or not in the language of the clip."""


@dataclass(frozen=True)
class Hint:
    """The spoken words of one hint file, lower case, one tuple per sentence."""

    path: Path
    sentences: tuple[tuple[str, ...], ...]

    @property
    def words(self) -> set[str]:
        """Return the distinct words of the hint."""
        return {word for sentence in self.sentences for word in sentence}


def read_hint(path: Path | str) -> Hint:
    """Return the words of the hint file at ``path``.

    :raises HintError: naming the file when it is missing, binary, not UTF-8,
        too large or holds no words
    """
    path = Path(path)
    text = read_text_file(path, "hint", "a text hint", HintError)
    sentences = tuple(sentence for sentence in map(_spoken, _BREAK.split(story_text(text, path)))
                      if sentence)
    if not sentences:
        raise HintError("the hint has no words", path)
    return Hint(path, sentences)


def story_text(text: str, path: Path | None = None) -> str:
    """Return the words of a hint: plain text as it is, an article.md's story fields and body.

    An article bundle's front matter gives its title, summary, and the
    captions and descriptions of its photos and clips; its Markdown body
    gives the story without markup.
    """
    front = _FRONT.match(text)
    if front is None:
        return text
    try:
        data = yaml.safe_load(front[1])
    except yaml.YAMLError:
        raise HintError("its front matter is not valid YAML", path) from None
    fields = list(_story_fields(data))
    body = text[front.end():]
    for pattern, replacement in _MARKDOWN:
        body = pattern.sub(replacement, body)
    return "\n\n".join([*fields, body])


def _story_fields(data) -> list[str]:
    """Return the text of the story fields anywhere in parsed front matter, in order."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _STORY_FIELDS and isinstance(value, str):
                found.append(value)
            else:
                found += _story_fields(value)
    elif isinstance(data, list):
        for value in data:
            found += _story_fields(value)
    return found


def _spoken(sentence: str) -> tuple[str, ...]:
    """Return the words a sentence is read aloud as (a number as its most usual reading)."""
    words: list[str] = []
    for token in sentence.split():
        readings = spoken_readings(token)
        if readings:
            words += readings[0]
    return tuple(words)


@dataclass(frozen=True)
class General:
    """The bundled general model's dictionary and unigram log probabilities (natural log)."""

    phones: dict[str, list[str]]
    logprob: dict[str, float]

    def most_probable(self, count: int) -> list[str]:
        """Return the ``count`` most probable words of the general model."""
        return sorted(self.logprob, key=self.logprob.__getitem__, reverse=True)[:count]


@lru_cache(maxsize=2)
def general_model(model: str) -> General:
    """Return the dictionary and unigrams of the model directory ``model`` (read once per process)."""
    from pocketsphinx import NGramModel

    folder = Path(model)
    phones: dict[str, list[str]] = defaultdict(list)
    with (folder / "cmudict-en-us.dict").open(encoding="utf-8") as handle:
        for line in handle:
            word, _, pronunciation = line.strip().partition(" ")
            phones[re.sub(r"\(\d+\)$", "", word)].append(pronunciation.strip())
    unigrams = NGramModel.readfile(str(folder / "en-us.lm.bin"))
    scale = math.log(_LOG_BASE)
    logprob = {}
    for word in phones:
        value = unigrams.prob([word])
        if value > _UNKNOWN:
            logprob[word] = value * scale
    return General(dict(phones), logprob)


def check_language(hint: Hint, general: General, language: str) -> None:
    """Refuse a hint most of whose words the dictionary does not know: it is in another language.

    :raises HintError: naming the file
    """
    words = [word for sentence in hint.sentences for word in sentence]
    unknown = sum(word not in general.phones for word in words)
    if unknown > max(2, FOREIGN_SHARE * len(words)):
        raise HintError(f"{unknown} of {len(words)} words of the hint are not in the dictionary of "
                        f"language {language!r}: is the hint in another language? (see --language)",
                        hint.path)


def write_hint_model(hints: list[Hint], general: General, folder: Path) -> tuple[Path, Path]:
    """Write the hints' language model (ARPA) and its dictionary into ``folder``; return both paths."""
    # "Wexmoor's" is said as often as "Wexmoor" and the dictionary has neither: the draft writes the name
    sentences = [tuple(word[:-2] if word.endswith("'s") and word not in general.phones else word
                       for word in sentence) for hint in hints for sentence in hint.sentences]
    vocabulary = set(general.most_probable(GENERAL_WORDS)) | {w for s in sentences for w in s}
    dictionary = folder / "hint.dict"
    lines = []
    for word in sorted(vocabulary):
        for number, phones in enumerate(general.phones.get(word) or [pronounce(word)], 1):
            lines.append(f"{word if number == 1 else f'{word}({number})'} {phones}")
    dictionary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = folder / "hint.arpa"
    model.write_text(_arpa(sentences, vocabulary, general), encoding="utf-8")
    return model, dictionary


def _arpa(sentences: list[tuple[str, ...]], vocabulary: set[str], general: General) -> str:
    """Return the trigram model of ``sentences`` in ARPA format, backing off to mixed unigrams."""
    counts: list[Counter] = [Counter(), Counter(), Counter()]
    for sentence in sentences:
        sequence = ("<s>", *sentence, "</s>")
        for index in range(1, len(sequence)):
            for order in range(3):
                if index - order >= 0:
                    counts[order][sequence[index - order:index + 1]] += 1
    total = sum(counts[0].values())
    # the general model's probabilities renormalised over this vocabulary
    floor = min(general.logprob.values())
    weights = {word: math.exp(general.logprob.get(word, floor)) for word in vocabulary}
    norm = sum(weights.values())
    unigram = {(word,): HINT_WEIGHT * counts[0][(word,)] / total + (1 - HINT_WEIGHT) * weights[word] / norm
               for word in vocabulary}
    unigram[("</s>",)] = HINT_WEIGHT * counts[0][("</s>",)] / total + (1 - HINT_WEIGHT) / len(vocabulary)
    probabilities = [unigram, {}, {}]
    backoffs: list[dict] = [{}, {}]

    def lower(ngram: tuple[str, ...]) -> float:
        """Return the probability of ``ngram`` from the orders below it, with back-off."""
        order = len(ngram) - 1
        if ngram in probabilities[order]:
            return probabilities[order][ngram]
        return backoffs[order - 1].get(ngram[:-1], 1.0) * lower(ngram[1:])

    for order in (1, 2):
        histories: dict[tuple, list] = defaultdict(list)
        for ngram in counts[order]:
            histories[ngram[:-1]].append(ngram)
        for history, ngrams in histories.items():
            seen = sum(counts[order][ngram] for ngram in ngrams)
            for ngram in ngrams:
                probabilities[order][ngram] = (counts[order][ngram] - DISCOUNT) / seen
            left = 1 - sum(probabilities[order][ngram] for ngram in ngrams)
            below = 1 - sum(lower(ngram[1:]) for ngram in ngrams)
            backoffs[order - 1][history] = left / max(below, 1e-9)
    lines = ["\\data\\", *(f"ngram {order + 1}={len(probabilities[order]) + (order == 0)}" for order in range(3))]
    for order in range(3):
        lines += ["", f"\\{order + 1}-grams:"]
        if order == 0:
            lines.append(f"-99\t<s>\t{_log10(backoffs[0].get(('<s>',), 1.0))}")
        for ngram, probability in probabilities[order].items():
            line = f"{_log10(probability)}\t{' '.join(ngram)}"
            if order < 2 and ngram in backoffs[order]:
                line += f"\t{_log10(backoffs[order][ngram])}"
            lines.append(line)
    return "\n".join([*lines, "", "\\end\\", ""])


def _log10(value: float) -> str:
    return f"{math.log10(value):.4f}" if value > 0 else "-99"
