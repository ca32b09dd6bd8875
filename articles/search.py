"""Full-text search over articles and their transcripts, with SQLite FTS5.

The index lives in the library database and is written in the same
transaction as the article it describes, so the two never disagree. Each
article has one row for its headline and text, and one row per transcript
paragraph (and chapter title) with its start time, so a hit can start the
clip where the words are spoken.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from articles.document import StoredArticle
from articles.errors import ArticleError
from articles.present import track_label

# Bump when the table's columns, tokenizer or row contents change: the next
# ingest then rebuilds the whole index from the stored articles.
INDEX_VERSION = "3"
# Indexes search can read until then: versions 1 and 2 have the same columns and
# tokenizer; version 1's text was not yet NFC, which stored text nearly always
# already is, and their labels lack "(automatic)" on the rare automatic track.
READABLE_VERSIONS = ("1", "2", INDEX_VERSION)
TABLE = "search_text"
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
MAX_ROWS = 400
MAX_ARTICLES = 20
MAX_MOMENTS = 5
SNIPPET_TOKENS = 24

# Porter stemming lets "ferries" find "ferry"; remove_diacritics 2 lets "Fahre" find "Fähre".
CREATE = (f"CREATE VIRTUAL TABLE {TABLE} USING fts5(title, text, speaker, slug UNINDEXED,"
          " kind UNINDEXED, language UNINDEXED, label UNINDEXED, start UNINDEXED,"
          " tokenize = 'porter unicode61 remove_diacritics 2')")
# Headline words count most, then who speaks, then the words themselves.
WEIGHTS = (10.0, 1.0, 2.0)

# snippet() and highlight() wrap matches in these; indexed text never contains them.
MARK_START, MARK_END = "\x02", "\x03"
MARKS = (MARK_START, MARK_END)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}", re.DOTALL)


class QueryTooLong(ArticleError, ValueError):
    """A search query is longer than MAX_QUERY_CHARS."""


class SearchIndexMissing(ArticleError, LookupError):
    """The library was written before search existed; the next ingest builds the index."""


@dataclass(frozen=True)
class Segment:
    """A piece of result text; ``marked`` pieces matched the query."""

    text: str
    marked: bool = False


@dataclass(frozen=True)
class Moment:
    """A transcript paragraph or chapter title that matched, with where it starts in the clip."""

    kind: str            # "speech", "description" or "chapter"
    start: float
    language: str
    label: str
    speaker: tuple[Segment, ...]
    snippet: tuple[Segment, ...]


@dataclass
class Hit:
    """One article that matched: its document, marked headline, a text snippet and moments."""

    slug: str
    document: StoredArticle | None    # None until every matching row has been read
    title: tuple[Segment, ...] = ()
    snippet: tuple[Segment, ...] = ()
    moments: list[Moment] = field(default_factory=list)
    more_moments: int = 0


@dataclass(frozen=True)
class Results:
    """What a search found: the terms used and the matching articles, best first."""

    terms: tuple[str, ...]
    hits: tuple[Hit, ...]
    truncated: bool


def query_terms(query: str) -> tuple[str, ...]:
    """Return the words of a query, at most MAX_TERMS; punctuation and operators are dropped.

    :raises QueryTooLong: the query is longer than MAX_QUERY_CHARS characters.
    """
    # Counted once composed: "a" + U+0308 is one character to the reader, as "ä" is.
    query = unicodedata.normalize("NFC", query)
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLong(f"a search can be at most {MAX_QUERY_CHARS} characters long")
    return tuple(words(query))[:MAX_TERMS]


def words(text: str) -> Iterator[str]:
    """Yield the runs of letters and digits in any script, each with the combining marks after it.

    Everything else separates words, so no character of a query can become
    FTS5 syntax. A mark stays with its letter (NFC has already joined those
    that compose): FTS5's tokenizer then reads the word as it read the index.
    """
    word: list[str] = []
    for char in text:
        if char.isalnum() or (word and unicodedata.category(char).startswith("M")):
            word.append(char)
        elif word:
            yield "".join(word)
            word = []
    if word:
        yield "".join(word)


def match_expression(terms: tuple[str, ...]) -> str:
    """Return an FTS5 MATCH expression that finds rows containing every term, each as a string."""
    # A double-quoted FTS5 string is never an operator: OR, NEAR and * inside it are plain words.
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def segments(marked: str) -> tuple[Segment, ...]:
    """Split text with MARK_START/MARK_END markers into plain and marked segments."""
    parts: list[Segment] = []
    position = 0
    for found in MARKED.finditer(marked):
        if found.start() > position:
            parts.append(Segment(marked[position:found.start()]))
        parts.append(Segment(found.group(1), True))
        position = found.end()
    if position < len(marked):
        parts.append(Segment(marked[position:]))
    return tuple(Segment(CONTROL.sub("", p.text), p.marked) for p in parts if p.text)


class _TextOfHtml(HTMLParser):
    """Collects the text of the HTML that the Markdown renderer wrote."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """Return the text of an HTML fragment with runs of whitespace folded to one space."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def _clean(text: str | None) -> str:
    # Composed (NFC), as queries are: "a" + U+0308 and "ä" must be the same word.
    return unicodedata.normalize("NFC", CONTROL.sub("", text or ""))


def index_rows(article: StoredArticle) -> list[tuple]:
    """Return the index rows of a stored article, in the table's column order."""
    slug, language = article.slug, article.language
    video = article.video
    text = " ".join(part for part in (
        article.summary, video.title if video else "", html_text(article.body_html),
        *(image.caption or "" for image in article.images)) if part)
    rows = [(_clean(article.title), _clean(text), "", slug, "article", language, "", None)]
    # Caption transcripts, and the descriptions of a clip without sound: its text alternative.
    stored_tracks = [*video.tracks, *video.extra_tracks] if video else []
    for track in (t for t in stored_tracks if t.transcript is not None):
        # the label the page shows: "English (automatic)" for a draft
        label = track_label(track)
        for section in track.transcript:
            if section.title:
                rows.append(("", _clean(section.title), "", slug, "chapter", track.language,
                             label, section.start))
            for paragraph in section.paragraphs:
                rows.append(("", _clean(paragraph.text), _clean(paragraph.speaker), slug,
                             paragraph.kind or "speech", track.language, label,
                             paragraph.start))
    return rows


def _index_version(db: sqlite3.Connection) -> str | None:
    found = db.execute("SELECT value FROM meta WHERE key = 'search_index'").fetchone()
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone()
    return found[0] if found and exists else None


def ensure_index(db: sqlite3.Connection) -> None:
    """Build the index, inside the caller's transaction, unless it is current."""
    if _index_version(db) != INDEX_VERSION:
        _rebuild(db)


def write_article(db: sqlite3.Connection, article: StoredArticle) -> None:
    """Replace the index rows of one article inside the caller's transaction.

    A library whose index is missing or of an older version gets it rebuilt
    from every stored article first, so an upgrade needs no separate step.
    """
    if _index_version(db) != INDEX_VERSION:
        _rebuild(db)
        return
    db.execute(f"DELETE FROM {TABLE} WHERE slug = ?", (article.slug,))
    db.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", index_rows(article))


def _rebuild(db: sqlite3.Connection) -> None:
    db.execute(f"DROP TABLE IF EXISTS {TABLE}")
    db.execute(CREATE)
    for slug, document in db.execute("SELECT slug, document FROM articles").fetchall():
        db.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       index_rows(StoredArticle.from_text(document, slug)))
    db.execute("INSERT INTO meta (key, value) VALUES ('search_index', ?) ON CONFLICT(key)"
               " DO UPDATE SET value = excluded.value", (INDEX_VERSION,))


def search(db: sqlite3.Connection, terms: tuple[str, ...]) -> Results:
    """Return the articles matching every term, best first, each with its matching moments.

    :raises SearchIndexMissing: the library has no index of this version yet.
    """
    if not terms:
        return Results(terms, (), False)
    if _index_version(db) not in READABLE_VERSIONS:
        raise SearchIndexMissing("the library has no search index yet: run ingest once")
    rows = db.execute(
        f"SELECT slug, kind, language, label, start, highlight({TABLE}, 2, ?, ?),"
        f" highlight({TABLE}, 0, ?, ?), snippet({TABLE}, 1, ?, ?, '…', ?)"
        f" FROM {TABLE} WHERE {TABLE} MATCH ? ORDER BY bm25({TABLE}, ?, ?, ?) LIMIT ?",
        (*MARKS, *MARKS, *MARKS, SNIPPET_TOKENS, match_expression(terms), *WEIGHTS,
         MAX_ROWS)).fetchall()
    return gather(terms, rows, lambda slugs: dict(db.execute(
        f"SELECT slug, document FROM articles WHERE slug IN ({', '.join('?' * len(slugs))})",
        tuple(slugs)).fetchall()))


def gather(terms: tuple[str, ...], rows: list, documents) -> Results:
    """Return the Results of matching index rows, best first: at most MAX_ARTICLES articles,
    each with at most MAX_MOMENTS moments in clip order.

    ``rows`` hold (slug, kind, language, label, start, marked speaker, marked
    title, marked snippet); ``documents(slugs)`` returns their stored texts by slug.
    """
    hits: dict[str, Hit] = {}
    for slug, kind, language, label, start, speaker, title, snippet in rows:
        hit = hits.get(slug)
        if hit is None:
            if len(hits) == MAX_ARTICLES:
                continue
            hit = hits[slug] = Hit(slug, None)
        if kind == "article":
            hit.title, hit.snippet = segments(title), segments(snippet)
        elif len(hit.moments) < MAX_MOMENTS:
            hit.moments.append(Moment(kind, float(start), language, label, segments(speaker),
                                      segments(snippet)))
        else:
            hit.more_moments += 1
    texts = documents(tuple(hits)) if hits else {}
    for hit in hits.values():
        hit.document = StoredArticle.from_text(texts[hit.slug], hit.slug)
        hit.moments.sort(key=lambda moment: (moment.start, moment.language))
        if not hit.title:
            hit.title = (Segment(hit.document.title),)
    truncated = len(rows) == MAX_ROWS or len({row[0] for row in rows}) > MAX_ARTICLES
    return Results(terms, tuple(hits.values()), truncated)
