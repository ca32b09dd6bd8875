"""WebVTT cue text to a tree of nodes and to HTML that is safe to insert in a page.

Follows the W3C WebVTT cue text parsing rules and the DOM construction rules
(https://w3c.github.io/webvtt/#cue-text-parsing-rules): the same tags are
recognised, the same tags are ignored, and character references decode as the
HTML named and numeric character reference rules say.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from captions.errors import CaptionError
from captions.timecodes import normalise_webvtt_timestamp

# Every tag runs from "<" to the first ">" or the end of the text: no tokenizer
# state lets a ">" through, and a character reference never consumes one.
_TOKEN = re.compile(r"<([^>]*)>?|([^<]+)")
# tag name, then ".class" parts, then whatever follows the first whitespace
_START_TAG = re.compile(r"([^\t\n\f .]+)([^\t\n\f ]*)(?:[\t\n\f ](.*))?", re.DOTALL)
_LONG_DECIMAL = re.compile(r"(&#)0*[1-9][0-9]{7,}")
_LONG_HEX = re.compile(r"(&#[xX])0*[1-9A-Fa-f][0-9A-Fa-f]{6,}")
_ASCII_WHITESPACE = re.compile(r"[\t\n\f\r ]+")
_ASCII_WHITESPACE_CHARS = "\t\n\f\r "

_ELEMENTS = frozenset({"c", "i", "b", "u", "ruby", "rt", "v", "lang"})
_HTML_TAGS = {"c": "span", "v": "span", "lang": "span"}
_END_TAGS = {tag: f"</{_HTML_TAGS.get(tag, tag)}>" for tag in _ELEMENTS}


@dataclass(frozen=True, slots=True)
class CueText:
    """A run of cue text, with character references already decoded."""

    value: str


@dataclass(frozen=True, slots=True)
class CueTimestamp:
    """A timestamp tag inside a cue, such as <00:00:01.000> in karaoke captions."""

    value: str  # normalised to HH:MM:SS.mmm; hours may have more than two digits

    @property
    def seconds(self) -> float:
        """Return the timestamp in seconds."""
        hours, minutes, seconds = self.value.split(":")
        return float(hours) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True, slots=True)
class CueElement:
    """A c, i, b, u, ruby, rt, v or lang element and its children."""

    tag: str
    classes: tuple[str, ...] = ()
    # the voice name for "v", the language tag for "lang", empty for the others
    annotation: str = ""
    children: tuple[CueNode, ...] = ()


CueNode = CueText | CueTimestamp | CueElement

# events of _events: (kind, tag or text or timestamp, classes, annotation)
_OPEN, _CLOSE, _TEXT, _STAMP = range(4)


def cue_nodes(text: str) -> tuple[CueNode, ...]:
    """Return the parsed tree of WebVTT cue text as frozen nodes."""
    # built without recursion, so hostile nesting cannot exhaust the stack
    stack: list[tuple[str, tuple[str, ...], str, list[CueNode]]] = [("", (), "", [])]
    for kind, value, classes, annotation in _events(text):
        if kind == _TEXT:
            stack[-1][3].append(CueText(value))
        elif kind == _STAMP:
            stack[-1][3].append(CueTimestamp(value))
        elif kind == _OPEN:
            stack.append((value, classes, annotation, []))
        else:
            tag, classes, annotation, children = stack.pop()
            stack[-1][3].append(CueElement(tag, classes, annotation, tuple(children)))
    return tuple(stack[0][3])


def cue_html(text: str) -> str:
    """Return WebVTT cue text as HTML that is safe to insert into a page.

    ``<c>``, ``<v>`` and ``<lang>`` become ``<span>`` (with ``class``, ``title``
    for the voice name, ``lang`` for the language), ``<b> <i> <u> <ruby> <rt>``
    are kept, a timestamp tag becomes ``<span data-timestamp="HH:MM:SS.mmm">``
    and every other tag is dropped, keeping its text. All text and attribute
    values are escaped, so no cue can add another element or attribute.

    A line break stays a ``"\\n"`` in the text, as in the spec's DOM; show it
    with ``white-space: pre-line`` on the element that holds the cue.
    """
    if "<" not in text and "&" not in text:
        return _escape_text(_normalise(text))
    out: list[str] = []
    append = out.append
    for kind, value, classes, annotation in _events(text):
        if kind == _TEXT:
            append(_escape_text(value))
        elif kind == _OPEN:
            append(_start_tag(value, classes, annotation))
        elif kind == _CLOSE:
            append(_END_TAGS[value])
        else:
            append(f'<span data-timestamp="{value}"></span>')
    return "".join(out)


# captions repeat the same few voices and classes cue after cue
@functools.lru_cache(maxsize=256)
def _start_tag(tag: str, classes: tuple[str, ...], annotation: str) -> str:
    """Return the HTML start tag for an opened cue element."""
    parts = [_HTML_TAGS.get(tag, tag)]
    if classes:
        parts.append(f'class="{html.escape(" ".join(classes))}"')
    if tag == "v":
        parts.append(f'title="{html.escape(annotation)}"')
    elif tag == "lang":
        parts.append(f'lang="{html.escape(annotation)}"')
    return f"<{' '.join(parts)}>"


def _escape_text(value: str) -> str:
    """Return text escaped for HTML, quotes included."""
    escaped = html.escape(value)
    return escaped.replace("\r", "&#13;") if "\r" in escaped else escaped


def _normalise(text: str) -> str:
    """Return text with NUL and line endings replaced as the WebVTT file parser does."""
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _events(text: str) -> Iterator[tuple[int, str, tuple[str, ...], str]]:
    """Yield open, close, text and timestamp events of the spec's tree construction."""
    open_tags: list[str] = []
    for match in _TOKEN.finditer(_normalise(text)):
        body, run = match.groups()
        if run is not None:
            yield _TEXT, _decode(run) if "&" in run else run, (), ""
        elif not body:
            continue  # "<>" or a lone "<": a start tag with no name
        elif body[0] == "/":
            name = body[1:]
            if open_tags and open_tags[-1] == name:
                yield _CLOSE, open_tags.pop(), (), ""
            elif name == "ruby" and open_tags and open_tags[-1] == "rt":
                # </ruby> also closes an open <rt>, which only ever sits in a ruby
                yield _CLOSE, open_tags.pop(), (), ""
                yield _CLOSE, open_tags.pop(), (), ""
        elif body[0] in "0123456789":
            stamp = _timestamp(body)
            if stamp is not None:
                yield _STAMP, stamp, (), ""
        else:
            start = _START_TAG.fullmatch(body)
            if start is None:
                continue  # whitespace or "." straight after "<": no tag name
            name, class_part, annotation = start.groups()
            if name not in _ELEMENTS:
                continue
            if name == "rt" and (not open_tags or open_tags[-1] != "ruby"):
                continue
            classes = tuple(part for part in class_part.split(".") if part)
            if name in ("v", "lang") and annotation:
                annotation = _ASCII_WHITESPACE.sub(" ", _decode(annotation))
                annotation = annotation.strip(_ASCII_WHITESPACE_CHARS)
            else:
                annotation = ""
            open_tags.append(name)
            yield _OPEN, name, classes, annotation
    for name in reversed(open_tags):
        yield _CLOSE, name, (), ""


def _timestamp(body: str) -> str | None:
    """Return a timestamp tag's value as HH:MM:SS.mmm, or None if it is not valid."""
    try:
        return normalise_webvtt_timestamp(body)
    except CaptionError:
        return None


def _decode(value: str) -> str:
    """Return text with HTML character references decoded as in HTML text content."""
    if "&#" in value:
        # html.unescape raises ValueError on a reference of over 4,300 digits
        # (int()'s limit); any number past 7 significant digits is beyond
        # U+10FFFF, so it stands in for them all.
        value = _LONG_HEX.sub(r"\g<1>110000", _LONG_DECIMAL.sub(r"\g<1>1114112", value))
    return html.unescape(value)
