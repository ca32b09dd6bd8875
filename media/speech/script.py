"""Read a reporter's script: paragraphs of words, speakers and [sound descriptions].

The format is what a newsroom already writes:

- plain UTF-8 text in paragraphs, separated by blank lines;
- a line starting ``Name:`` names the speaker of its paragraph, which
  becomes ``<v Name>`` in the cues; a paragraph without a name has no voice;
- ``[bracketed]`` text describes a sound: it is kept in the captions but not
  looked for in the audio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from media.speech.errors import ScriptError

# A speaker is one to four capitalised-or-not words before a colon at the
# start of a line: "Anna Berg:", "Reporter:", "Dr. Okafor:". A longer run
# before a colon is a sentence that happens to contain one.
_SPEAKER = re.compile(r"^\s*([A-Z][\w.'’-]*(?: [\w.'’-]+){0,3}):(?:\s+|$)(.*)$")
_SOUND_OR_WORD = re.compile(r"\[[^\[\]\n]*\]|[^\s\[\]]+|[\[\]]")
# a word with no letter or digit ("—", "-", "…") is punctuation, not speech
_SPOKEN = re.compile(r"\w")
# largest script read: a 15-minute clip read fast is about 3,000 words
MAX_BYTES = 200_000


@dataclass(frozen=True)
class ScriptWord:
    """One written word as it appears, punctuation attached, with its line and speaker."""

    text: str
    line: int
    speaker: str | None = None


@dataclass(frozen=True)
class Sound:
    """A ``[sound description]``, brackets included, kept in captions but not aligned."""

    text: str
    line: int


@dataclass(frozen=True)
class Script:
    """A parsed script: its words and sounds in reading order."""

    parts: tuple[ScriptWord | Sound, ...]
    path: Path | None = None

    @property
    def words(self) -> tuple[ScriptWord, ...]:
        """Return the words to align, without the sound descriptions."""
        return tuple(part for part in self.parts if isinstance(part, ScriptWord))


def read_text_file(path: Path, name: str, kind: str,
                   error: type[ScriptError] = ScriptError) -> str:
    """Return the UTF-8 text of a script or hint file, refusing what cannot be one.

    ``name`` ("script") and ``kind`` ("a plain text script") word the errors.

    :raises ScriptError: (``error``) naming the file (and line) when it is
        missing, larger than MAX_BYTES, binary or not UTF-8
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as problem:
        raise error(f"cannot read the {name}: {problem.strerror or problem}", path) from None
    if len(data) > MAX_BYTES:
        raise error(f"{name} is larger than {MAX_BYTES:,} bytes; is it the right file?", path)
    if b"\0" in data:
        raise error(f"is a binary file, not {kind}", path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = data[:problem.start].count(b"\n") + 1
        raise error(f"is not UTF-8 text (save the {name} as UTF-8)", path, line) from None


def read_script(path: Path | str) -> Script:
    """Return the script in the file at ``path``.

    :raises ScriptError: naming the file (and line) when it is missing, binary,
        not UTF-8, too large or holds no words
    """
    path = Path(path)
    text = read_text_file(path, "script", "a plain text script")
    return parse_script(text, path)


def parse_script(text: str, path: Path | str | None = None) -> Script:
    """Return the words and sounds of script ``text``; ``path`` only names it in errors.

    :raises ScriptError: for an unclosed ``[`` or a script with no words
    """
    path = Path(path) if path is not None else None
    parts: list[ScriptWord | Sound] = []
    speaker: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            speaker = None  # a speaker speaks to the end of the paragraph
            continue
        named = _SPEAKER.match(line)
        if named:
            speaker, line = named[1], named[2]
        for token in _SOUND_OR_WORD.findall(line):
            if token.startswith("[") and token.endswith("]") and len(token) > 1:
                if token[1:-1].strip():
                    parts.append(Sound(token, number))
            elif token in "[]":
                raise ScriptError(f"'{token}' without its pair: a sound description is "
                                  "[text in brackets] on one line", path, number)
            elif _SPOKEN.search(token) or not parts or not isinstance(parts[-1], ScriptWord):
                parts.append(ScriptWord(token, number, speaker))
            else:
                # "pilots — who": the dash is shown with the word before it
                last = parts[-1]
                parts[-1] = ScriptWord(f"{last.text} {token}", last.line, last.speaker)
    script = Script(tuple(parts), path)
    if not any(_SPOKEN.search(word.text) for word in script.words):
        raise ScriptError("the script has no words to align", path)
    return script
