"""Tests for captions.cue_html: cue text parsed as WebVTT says, written as safe HTML."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest

from captions.cue_html import (
    CueElement,
    CueNode,
    CueText,
    CueTimestamp,
    cue_html,
    cue_nodes,
)
from tests.corpus import WPT_WEBVTT

WPT_CUE_TEXT = WPT_WEBVTT / "cue-text-parsing" / "cue-text-parsing.json"

# Cases that test the file parser rather than cue text parsing, with the reason.
NOT_CUE_TEXT = {
    "a34d27ca7b23f07db6ec2e32226fca105e958db6": (
        "a blank line ends the cue in the file parser, so only 'text1' is cue text"
    ),
}

ALLOWED_TAGS = {"span", "b", "i", "u", "ruby", "rt"}
ALLOWED_ATTRIBUTES = {"class", "title", "lang", "data-timestamp"}
# Every tag cue_html may write, with double-quoted values that hold no quote or
# angle bracket; whatever is left once these are removed must be inert text.
EMITTED_TAG = re.compile(
    r'</?(?:span|b|i|u|ruby|rt)(?: (?:class|title|lang|data-timestamp)="[^"<>]*")*>'
)

# A tree to compare: ("text", value) or (tag, sorted attribute pairs, children).
Tree = tuple


def _wpt_cases() -> list[dict]:
    """Return the WPT cue text parsing cases."""
    return json.loads(WPT_CUE_TEXT.read_text(encoding="utf-8"))["cases"]


def _case_id(case: dict) -> str:
    """Return a short, stable test id for a WPT case."""
    return f"{case['group']}-{case['name'][:10]}"


WPT_CUE_TEXT_CASES = [
    pytest.param(case, id=_case_id(case))
    for case in _wpt_cases()
    if case["name"] not in NOT_CUE_TEXT
]


class _TreeBuilder(HTMLParser):
    """Build a tree from HTML, refusing anything cue_html must never write."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: list = []
        self.stack: list[tuple[str, list]] = [("#root", self.root)]

    def handle_starttag(self, tag, attrs):
        assert tag in ALLOWED_TAGS, tag
        names = [name for name, _ in attrs]
        assert set(names) <= ALLOWED_ATTRIBUTES, names
        assert len(names) == len(set(names)), names
        assert all(value is not None for _, value in attrs), attrs
        children: list = []
        self.stack[-1][1].append((tag, tuple(sorted(attrs)), children))
        self.stack.append((tag, children))

    def handle_endtag(self, tag):
        assert self.stack[-1][0] == tag, f"</{tag}> closes <{self.stack[-1][0]}>"
        self.stack.pop()

    def handle_startendtag(self, tag, attrs):
        raise AssertionError(f"self-closing <{tag}/>")

    def handle_data(self, data):
        self.stack[-1][1].append(("text", data))

    def handle_comment(self, data):
        raise AssertionError(f"comment {data!r}")

    def handle_pi(self, data):
        raise AssertionError(f"processing instruction {data!r}")

    def handle_decl(self, decl):
        raise AssertionError(f"declaration {decl!r}")

    def unknown_decl(self, data):
        raise AssertionError(f"declaration {data!r}")


def _html_tree(markup: str) -> tuple[Tree, ...]:
    """Return the tree of HTML that cue_html wrote, checking every tag is closed."""
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    assert len(builder.stack) == 1, f"unclosed {[tag for tag, _ in builder.stack[1:]]}"
    return _freeze(builder.root)


def _freeze(nodes: list) -> tuple[Tree, ...]:
    """Return nodes as tuples, with adjacent text merged and empty text dropped."""
    merged: list[Tree] = []
    for node in nodes:
        if node[0] == "text":
            if not node[1]:
                continue
            if merged and merged[-1][0] == "text":
                merged[-1] = ("text", merged[-1][1] + node[1])
                continue
            merged.append(node)
        else:
            tag, attrs, children = node
            merged.append((tag, tuple(sorted(attrs)), _freeze(list(children))))
    return tuple(merged)


def _expected_tree(lines: list[str]) -> tuple[Tree, ...]:
    """Return a WPT expected tree in the shape of the HTML cue_html writes.

    The dump has one node per "| " line, indented two spaces per level; a text
    node holding a line break carries on in the next item. Timestamps are
    processing instructions in the spec's DOM and data-timestamp spans here.
    """
    assert lines[0] == "#document-fragment"
    entries: list[str] = []
    for line in lines[1:]:
        if line.startswith("| "):
            entries.append(line[2:])
        else:
            entries[-1] += "\n" + line
    root: list = []
    # (depth, children, attributes) of each open element; the root is depth -1
    open_nodes: list[tuple[int, list, list]] = [(-1, root, [])]
    for entry in entries:
        content = entry.lstrip(" ")
        depth = (len(entry) - len(content)) // 2
        while open_nodes[-1][0] >= depth:
            open_nodes.pop()
        parent_children, parent_attrs = open_nodes[-1][1], open_nodes[-1][2]
        if content.startswith('"'):
            assert content.endswith('"') and len(content) >= 2, entry
            parent_children.append(("text", content[1:-1]))
        elif content.startswith("<?timestamp "):
            stamp = content.removeprefix("<?timestamp ").removesuffix(">")
            parent_children.append(("span", [("data-timestamp", stamp)], []))
        elif content.startswith("<"):
            children: list = []
            attrs: list = []
            parent_children.append((content[1:-1], attrs, children))
            open_nodes.append((depth, children, attrs))
        else:
            name, _, value = content.partition("=")
            assert value.startswith('"') and value.endswith('"'), entry
            parent_attrs.append((name, value[1:-1]))
    return _freeze(root)


def _nodes_tree(nodes: tuple[CueNode, ...]) -> tuple[Tree, ...]:
    """Return cue nodes mapped to HTML the way the spec's DOM construction rules say."""
    html_tags = {"c": "span", "v": "span", "lang": "span"}
    out: list = []
    for node in nodes:
        if isinstance(node, CueText):
            out.append(("text", node.value))
        elif isinstance(node, CueTimestamp):
            out.append(("span", [("data-timestamp", node.value)], []))
        else:
            attrs = [("class", " ".join(node.classes))] if node.classes else []
            if node.tag == "v":
                attrs.append(("title", node.annotation))
            elif node.tag == "lang":
                attrs.append(("lang", node.annotation))
            out.append((html_tags.get(node.tag, node.tag), attrs,
                        list(_nodes_tree(node.children))))
    return _freeze(out)


def test_wpt_suite_has_the_expected_cases():
    cases = _wpt_cases()
    assert len(cases) == 77
    assert len(WPT_CUE_TEXT_CASES) == 76
    excluded = [case for case in cases if case["name"] in NOT_CUE_TEXT]
    assert len(excluded) == len(NOT_CUE_TEXT)
    # the exclusion stays honest only while the case really needs the file parser
    assert all("\n\n" in case["cue_text"] for case in excluded)
    assert not any("\n\n" in case["cue_text"] for case in cases if case not in excluded)


@pytest.mark.parametrize("case", WPT_CUE_TEXT_CASES)
def test_cue_html_matches_wpt_cue_text_parsing(case):
    expected = _expected_tree(case["expected_tree"])
    assert _html_tree(cue_html(case["cue_text"])) == expected


@pytest.mark.parametrize("case", WPT_CUE_TEXT_CASES)
def test_cue_nodes_match_wpt_cue_text_parsing(case):
    expected = _expected_tree(case["expected_tree"])
    assert _nodes_tree(cue_nodes(case["cue_text"])) == expected


@pytest.mark.parametrize(("text", "markup"), [
    ("plain words", "plain words"),
    ("", ""),
    ("<c.a.b>x</c>", '<span class="a b">x</span>'),
    ("<c..a.>x", '<span class="a">x</span>'),
    ("<c.>x", "<span>x</span>"),
    ("<v.loud Name>hi</v>", '<span class="loud" title="Name">hi</span>'),
    ("<v>hi", '<span title="">hi</span>'),
    ("<v   Anna \t Lee >hi", '<span title="Anna Lee">hi</span>'),
    ("<v\nAnna>hi", '<span title="Anna">hi</span>'),
    ("<v Tom &amp; Jerry>hi", '<span title="Tom &amp; Jerry">hi</span>'),
    ("<v a&#32;&#32;b&gt>hi", '<span title="a b&gt;">hi</span>'),
    ("<lang xx>x</lang>", '<span lang="xx">x</span>'),
    ("<lang.f en-GB>x", '<span class="f" lang="en-GB">x</span>'),
    ("<lang>x", '<span lang="">x</span>'),
    ("<b.x>1</b><i>2</i><u>3</u>", '<b class="x">1</b><i>2</i><u>3</u>'),
    ("<ruby>漢<rt>kan</rt></ruby>", "<ruby>漢<rt>kan</rt></ruby>"),
    ("<ruby>漢<rt>kan</ruby>!", "<ruby>漢<rt>kan</rt></ruby>!"),
    ("<rt>alone</rt>", "alone"),
    ("<B>upper</B>", "upper"),
    ('<font color="red">kept text</font>', "kept text"),
    ("<b>open <i>nested", "<b>open <i>nested</i></b>"),
    ("</b>stray end", "stray end"),
    ("<b>a</i>b</b>", "<b>ab</b>"),
    ("<c >x</c >y", "<span>xy</span>"),
    ("2<3 and 5>1", "21"),
    ("a&lt;b&gt;c &quot;q&quot; &#39;", "a&lt;b&gt;c &quot;q&quot; &#x27;"),
])
def test_cue_html_writes(text, markup):
    assert cue_html(text) == markup


@pytest.mark.parametrize(("text", "decoded"), [
    ("&amp", "&"),
    ("&ampx", "&x"),
    ("&notit;", "¬it;"),
    ("&notin;", "∉"),
    ("&nosuch;", "&nosuch;"),
    ("&#65;&#x42;&#X43", "ABC"),
    ("&#128;&#x9F;", "€Ÿ"),
    ("&#x81;", "\x81"),
    ("&#0;&#xD800;&#x110000;", "\ufffd" * 3),
    ("&#" + "9" * 5000 + ";", "\ufffd"),
    ("&#x" + "f" * 5000 + ";&#00000065;", "\ufffdA"),
    ("&#x000000041;", "A"),
    ("&#;&#x;&#xZ;", "&#;&#x;&#xZ;"),
    ("&#13;", "\r"),
    ("&CounterClockwiseContourIntegral;", "\u2233"),
    ("foo\0bar", "foo\ufffdbar"),
    ("one\r\ntwo\rthree", "one\ntwo\nthree"),
])
def test_cue_nodes_decode_character_references(text, decoded):
    assert cue_nodes(text) == (CueText(decoded),)


def test_carriage_return_from_a_reference_survives_html_parsing():
    assert cue_html("a&#13;b") == "a&#13;b"


def test_line_break_stays_a_newline():
    assert cue_html("text1\ntext2") == "text1\ntext2"
    assert cue_html("<i>one\ntwo</i>") == "<i>one\ntwo</i>"


@pytest.mark.parametrize(("tag", "value"), [
    ("<00:01.000>", "00:00:01.000"),
    ("<59:59.999>", "00:59:59.999"),
    ("<1:02:03.004>", "01:02:03.004"),
    ("<0001:00:00.000>", "01:00:00.000"),
    ("<123:00:00.000>", "123:00:00.000"),
])
def test_valid_timestamps_are_normalised(tag, value):
    assert cue_nodes(f"a{tag}b") == (CueText("a"), CueTimestamp(value), CueText("b"))
    assert f'<span data-timestamp="{value}"></span>' in cue_html(f"a{tag}b")


@pytest.mark.parametrize("tag", [
    "<60:00.000>", "<00:60.000>", "<00:00:60.000>", "<00:00.00>", "<00:00.0000>",
    "<00:00>", "<0:00.000>", "<00:00.000 >", "<00:00:00:00.000>", "<00:00.000x>",
    "<\u0661\u0662:00.000>", "<" + "9" * 5000 + ":00:00.000x>",
])
def test_invalid_timestamps_are_dropped(tag):
    assert cue_nodes(f"a{tag}b") == (CueText("a"), CueText("b"))


def test_timestamp_seconds():
    assert CueTimestamp("01:02:03.500").seconds == 3723.5
    assert CueTimestamp("100:00:00.000").seconds == 360000.0


def test_cue_nodes_builds_the_tree():
    assert cue_nodes("<v.loud Anna>Hi <i>there</i><00:01.000></v>!") == (
        CueElement("v", ("loud",), "Anna", (
            CueText("Hi "),
            CueElement("i", (), "", (CueText("there"),)),
            CueTimestamp("00:00:01.000"),
        )),
        CueText("!"),
    )


def test_deep_nesting_does_not_recurse():
    depth = 50_000
    text = "<b>" * depth + "x"
    markup = cue_html(text)
    assert markup == "<b>" * depth + "x" + "</b>" * depth
    nodes = cue_nodes(text)
    for _ in range(depth):
        (node,) = nodes
        assert isinstance(node, CueElement) and node.tag == "b"
        nodes = node.children
    assert nodes == (CueText("x"),)


PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    '"><script>alert(1)</script>',
    "' onmouseover='alert(1)",
    '" onmouseover="alert(1)',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&quot; onerror=&quot;alert(1)",
    "&#34;&#62;&#60;svg onload=alert(1)&#62;",
    "</span><script>alert(1)</script>",
    "<!--",
    "<?php ?>",
    "<![CDATA[x]]>",
]

PLACES = {
    "text": "{}",
    "voice": "<v {}>said</v>",
    "voice class": "<v.{} Anna>said</v>",
    "class": "<c.{}>said</c>",
    "lang": "<lang {}>said</lang>",
    "nested": "<ruby><rt><v.x {}><lang {}>said",
    "unclosed": "<v {}",
}


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_cue_text_stays_inert(place, payload):
    text = PLACES[place].replace("{}", payload)
    markup = cue_html(text)
    leftover = EMITTED_TAG.sub("", markup)
    assert not set("<>\"'") & set(leftover), leftover
    # the strict parser fails on any tag, attribute or markup it does not allow
    tree = _html_tree(markup)
    assert tree == _nodes_tree(cue_nodes(text))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_voice_name_comes_back_as_its_title(payload):
    """A voice name without '>' is one attribute value, however it is quoted."""
    name = payload.replace(">", "")
    markup = cue_html(f"<v {name}>said</v>")
    (span,) = _html_tree(markup)
    tag, attrs, children = span
    assert tag == "span"
    ((attr, value),) = attrs
    assert attr == "title"
    assert value == cue_nodes(f"<v {name}>")[0].annotation
    assert children == (("text", "said"),)


def test_hostile_class_names_stay_one_attribute():
    # class names are not decoded, so "&amp;" is a class name of five characters
    markup = cue_html("<c.a\"onclick=alert(1).b'x.<i.&amp;>said</c>")
    assert _html_tree(markup) == (
        ("span", (("class", "a\"onclick=alert(1) b'x <i &amp;"),),
         (("text", "said"),)),
    )


TYPICAL_CUES = [
    "We are live from the harbour, where the first ships arrived this morning.",
    "<v Anna Lee>The storm moved faster than anyone expected.</v>",
    "<v.interviewer Bob>And what happens next?</v>",
    "<i>(waves crashing)</i>",
    "Tom &amp; Jerry said it was &quot;fine&quot;\nbut it wasn't.",
    "<c.yellow>Warning:</c> the road is closed <b>until Friday</b>.",
    "<ruby>東京<rt>とうきょう</rt></ruby> is the capital.",
    "When the moon <00:17.500>hits your eye",
]


@pytest.mark.parametrize("text", TYPICAL_CUES)
def test_typical_cues_keep_every_word(text):
    # the speed of these same cues is measured in bench/captions_bench.py
    words = re.sub(r"<[^>]*>", " ", html.unescape(text)).split()
    rendered = re.sub(r"<[^>]*>", " ", html.unescape(cue_html(text))).split()
    assert rendered == words
