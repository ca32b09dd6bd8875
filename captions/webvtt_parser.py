"""The W3C WebVTT file parser: the cues and regions a browser makes of a file.

https://w3c.github.io/webvtt/#file-parsing, step by step: the signature
check, NUL to U+FFFD, CR and CRLF to LF, blocks ending at an empty line,
cue identifiers, a line with "-->" ending a cue's text and starting the
next block, STYLE and REGION blocks only before the first cue, timestamps
as "collect a WebVTT timestamp" reads them and cue settings with the
defaults and conflicts of the HTML VTTCue interface. A file with a wrong
signature is reported as not valid, since the spec aborts there; anything
else parses, with what the spec ignores left out.

webvtt-py, which ``captions.read`` uses, is a lenient reader: it accepts
any first line starting with "WEBVTT", timestamps with one-digit fields or
fewer than three fraction digits, keeps settings as written and skips
blocks it cannot read without saying so. Of the 50 converted
web-platform-tests file-parsing cases it passes 41 on validity, cue count,
ids, text and times: it accepts five files whose signature a browser
rejects and misreads the cues of four more. This module keeps webvtt-py
for what matches the spec (its settings validators, see ``cue_settings``
and ``regions``) and adds the spec's block, timestamp, signature and
settings rules on top.

Where this differs from a browser, on purpose:

* ``parse_webvtt_file`` decodes as ``captions.read.read_caption_text``
  does, honouring UTF-16 and UTF-32 byte order marks and falling back to
  Windows-1252, where a browser always decodes UTF-8 with U+FFFD for bad
  bytes.
* A time too large for a double counts as an invalid timestamp, and a
  region "lines" value of more than 4,000 digits is ignored; browsers
  differ there and no real file has either.
* STYLE blocks give nothing, like comments: their CSS is not parsed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from captions.cue_settings import CueSettingValues, parse_cue_settings
from captions.errors import CaptionError
from captions.read import read_caption_text
from captions.regions import SpecRegion, parse_region_settings
from captions.timecodes import WEBVTT_TIMESTAMP, webvtt_timestamp_seconds

__all__ = ["ParsedWebVTT", "SpecCue", "SpecRegion", "parse_webvtt",
           "parse_webvtt_file"]

_WS = "[ \t\n\f\r]*"
_TIMINGS = re.compile(f"{_WS}{WEBVTT_TIMESTAMP}{_WS}-->{_WS}{WEBVTT_TIMESTAMP}")
_REGION_HEADER = re.compile(f"REGION{_WS}")


@dataclass(frozen=True)
class SpecCue:
    """A WebVTT cue with the attributes of the HTML VTTCue interface.

    ``line_number`` is the 1-based source line of the cue's timings.
    """

    id: str
    start_time: float
    end_time: float
    text: str
    vertical: str = ""  # "", "rl" or "lr"
    snap_to_lines: bool = True
    line: float | str = "auto"
    line_align: str = "start"
    position: float | str = "auto"
    position_align: str = "auto"
    size: float = 100.0
    align: str = "center"
    region: SpecRegion | None = None
    line_number: int = 0

    def to_json(self) -> dict[str, object]:
        """Return the cue as a dict keyed by VTTCue attribute names."""
        return _cue_json(self, None if self.region is None else self.region.to_json())


@dataclass(frozen=True)
class ParsedWebVTT:
    """What the WebVTT parser made of a file: its cues and regions, or why not."""

    valid: bool
    error: str | None
    error_line: int | None
    cues: tuple[SpecCue, ...]
    regions: tuple[SpecRegion, ...]

    def to_json(self) -> dict[str, object]:
        """Return {"valid", "error", "cues", "regions"} with VTTCue/VTTRegion names.

        Cues that share a region share one region dict, as the objects do.
        """
        shared = {id(region): region.to_json() for region in self.regions}
        return {
            "valid": self.valid,
            "error": self.error,
            "cues": [
                _cue_json(cue, None if cue.region is None else
                          shared.get(id(cue.region)) or cue.region.to_json())
                for cue in self.cues],
            "regions": list(shared.values()),
        }


def _cue_json(cue: SpecCue, region: dict[str, object] | None) -> dict[str, object]:
    """Return a cue as a dict keyed by VTTCue attribute names, with its region dict."""
    return {
        "id": cue.id,
        "startTime": cue.start_time,
        "endTime": cue.end_time,
        "text": cue.text,
        "vertical": cue.vertical,
        "snapToLines": cue.snap_to_lines,
        "line": cue.line,
        "lineAlign": cue.line_align,
        "position": cue.position,
        "positionAlign": cue.position_align,
        "size": cue.size,
        "align": cue.align,
        "region": region,
    }


def parse_webvtt(text: str) -> ParsedWebVTT:
    """Parse decoded WebVTT text, which may start with a byte order mark."""
    # UTF-8 decoding removes one byte order mark, so a second one is content
    return _parse(text.removeprefix("\ufeff"))


def parse_webvtt_file(path: str | os.PathLike[str]) -> ParsedWebVTT:
    """Read and parse a WebVTT file.

    :raises CaptionError: if the file cannot be read or is too large
    """
    # read_caption_text has already removed the byte order mark
    text, _encoding, _warnings = read_caption_text(path)
    return _parse(text)


def _parse(text: str) -> ParsedWebVTT:
    """Run the WebVTT parser algorithm on text without its byte order mark."""
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not (text.startswith("WEBVTT") and (len(text) == 6 or text[6] in " \t\n")):
        first = text.partition("\n")[0]
        if len(first) > 60:
            first = first[:57] + "..."
        return ParsedWebVTT(
            valid=False, error=f"the first line must be 'WEBVTT', found {first!r}",
            error_line=1, cues=(), regions=())
    return _BlockParser(text.split("\n")).run()


class _BlockParser:
    """The state of the parser algorithm over the lines of normalised text.

    ``position`` is the index of the line the spec's position points at the
    start of; it is past the end at the last line when that line is empty,
    since the text then ends with the line feed before it.
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.position = 0
        self.seen_cue = False
        self.cues: list[SpecCue] = []
        self.regions: list[SpecRegion] = []
        # the last region defined with an identifier is the one cues get
        self.regions_by_id: dict[str, SpecRegion] = {}

    def run(self) -> ParsedWebVTT:
        """Return the cues and regions of the whole text."""
        lines = self.lines
        # the signature line is read; the header and blocks follow it
        self.position = 1
        if not self._at_end():
            if lines[1]:
                self._collect_block(in_header=True)
            else:
                self.position = 2
            self._skip_empty_lines()
            while not self._at_end():
                block = self._collect_block(in_header=False)
                if isinstance(block, SpecCue):
                    self.cues.append(block)
                elif isinstance(block, SpecRegion):
                    self.regions.append(block)
                    self.regions_by_id[block.id] = block
                self._skip_empty_lines()
        return ParsedWebVTT(valid=True, error=None, error_line=None,
                            cues=tuple(self.cues), regions=tuple(self.regions))

    def _at_end(self) -> bool:
        """Return whether the position is past the end of the text."""
        last = len(self.lines) - 1
        return self.position > last or (self.position == last
                                        and not self.lines[last])

    def _skip_empty_lines(self) -> None:
        """Move past a run of line feeds, as "collect a sequence" of them does."""
        lines = self.lines
        last = len(lines) - 1
        while self.position < last and not lines[self.position]:
            self.position += 1

    def _collect_block(self, in_header: bool) -> SpecCue | SpecRegion | None:
        """Return the cue or region of the block at the position, or None.

        Comments, style sheets and blocks the spec drops give None.
        """
        lines = self.lines
        last = len(lines) - 1
        line_count = 0
        previous_position = self.position
        buffer: list[str] = []
        seen_arrow = False
        identifier = ""
        timings_line = 0
        cue: tuple[float, float, CueSettingValues] | None = None
        is_region = False
        while True:
            line = lines[self.position]
            line_count += 1
            seen_eof = self.position >= last
            self.position += 1
            if "-->" in line:
                if in_header or not (line_count == 1
                                     or (line_count == 2 and not seen_arrow)):
                    # the line starts the next block
                    self.position = previous_position
                    break
                seen_arrow = True
                previous_position = self.position
                cue = self._timings(line)
                if cue is not None:
                    # after the increment, the position is the 1-based line number
                    timings_line = self.position
                    identifier = "\n".join(buffer)
                    buffer = []
                    self.seen_cue = True
            elif not line:
                break
            else:
                # a STYLE block before the first cue would start a style
                # sheet here, but style sheets are not kept
                if (not in_header and line_count == 2 and not self.seen_cue
                        and len(buffer) == 1 and _REGION_HEADER.fullmatch(buffer[0])):
                    is_region = True
                    buffer = []
                buffer.append(line)
                previous_position = self.position
            if seen_eof:
                break
        if cue is not None:
            start, end, settings = cue
            return SpecCue(id=identifier, start_time=start, end_time=end,
                           text="\n".join(buffer), line_number=timings_line,
                           **settings)
        if is_region:
            return parse_region_settings("\n".join(buffer))
        return None

    def _timings(self, line: str) -> tuple[float, float, CueSettingValues] | None:
        """Return the start, end and settings of a cue timings line, or None."""
        match = _TIMINGS.match(line)
        if not match:
            return None
        try:
            start = webvtt_timestamp_seconds(match[1], match[2], match[3], match[4])
            end = webvtt_timestamp_seconds(match[5], match[6], match[7], match[8])
        except CaptionError:
            # a time past the largest double is no timestamp
            return None
        settings = parse_cue_settings(line[match.end():], self.regions_by_id)
        return start, end, settings
