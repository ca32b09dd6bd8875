"""Full-text search in PostgreSQL: the same rows, rules and results as articles/search.py.

Each index row (search_index.index_rows: a headline and text, or a transcript
paragraph with its start time) is stored with the text-search configuration
of its language, and its tsvector is computed from that configuration. A
query is parsed once per configuration and matched only against rows of that
configuration, so "ferries" meets English stemming on English rows and
"Fahrgaste" German stemming on German ones.
"""

from __future__ import annotations

import psycopg

from articles import search as search_index
from articles.document import StoredArticle
from articles.search import MARK_END, MARK_START, Results

# Primary language subtag -> PostgreSQL's snowball configuration (those PostgreSQL 13
# and later ship); any other language is split into words without stemming ("simple").
STEMMED = {
    "ar": "arabic", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "fi": "finnish", "fr": "french", "ga": "irish", "hu": "hungarian",
    "id": "indonesian", "it": "italian", "lt": "lithuanian", "ne": "nepali", "nb": "norwegian",
    "nl": "dutch", "nn": "norwegian", "no": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
}
PREFIX = "newsreel_"
CONFIGS = tuple(sorted({*STEMMED.values(), "simple"}))


def config_of(language: str) -> str:
    """Return the text-search configuration of a language tag: newsreel_german for de-AT."""
    return PREFIX + STEMMED.get(language.split("-")[0].lower(), "simple")


def _configuration(name: str) -> tuple[str, ...]:
    # unaccent as a filter before the stemmer, inside the configuration, rather than
    # unaccent() around the text: ts_headline then reads "Fahrgäste" as the query's
    # "Fahrgaste" and marks it, and the stored text keeps its accents.
    dictionary = "simple" if name == "simple" else f"{name}_stem"
    return (f"CREATE TEXT SEARCH CONFIGURATION {PREFIX}{name} (COPY = pg_catalog.{name})",
            f"ALTER TEXT SEARCH CONFIGURATION {PREFIX}{name} ALTER MAPPING FOR word, hword,"
            f" hword_part WITH unaccent, {dictionary}")


# Part of schema version 1 (articles/postgres.py). CREATE EXTENSION unaccent is
# trusted since PostgreSQL 13: a database owner may run it.
SCHEMA: tuple[str, ...] = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    *(statement for name in CONFIGS for statement in _configuration(name)),
    """CREATE TABLE search_rows (
        slug     text NOT NULL REFERENCES articles ON DELETE CASCADE,
        position integer NOT NULL,
        kind     text NOT NULL,
        language text NOT NULL,
        label    text NOT NULL,
        start    double precision,
        title    text NOT NULL,
        text     text NOT NULL,
        speaker  text NOT NULL,
        config   regconfig NOT NULL,
        -- weights A, C, D: ts_rank's 1.0, 0.2, 0.1, as search.WEIGHTS (headline 10, speaker 2, text 1)
        words    tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector(config, title), 'A') || setweight(to_tsvector(config, speaker), 'C')
            || setweight(to_tsvector(config, text), 'D')) STORED,
        PRIMARY KEY (slug, position))""",
    "CREATE INDEX search_rows_words ON search_rows USING gin (words)",
)

_MARKS = f'StartSel="{MARK_START}", StopSel="{MARK_END}"'
WHOLE = f"HighlightAll=true, {_MARKS}"
SNIPPET = (f"MaxFragments=1, MaxWords={search_index.SNIPPET_TOKENS}, MinWords={search_index.SNIPPET_TOKENS // 2},"
           f" ShortWord=0, {_MARKS}")

# The query is parsed once per configuration in use; each parse meets only its own rows,
# through the GIN index. Headlines are made for the rows kept only.
QUERY = """
WITH query AS (
    SELECT config, plainto_tsquery(config, %(words)s) AS parsed
    FROM (SELECT DISTINCT config FROM unnest(%(configs)s::regconfig[]) AS c(config)) AS used
), found AS (
    SELECT r.slug, r.position, r.kind, r.language, r.label, r.start, r.title, r.text, r.speaker,
           r.config, query.parsed, ts_rank(r.words, query.parsed) AS rank
    FROM query JOIN search_rows AS r ON r.config = query.config AND r.words @@ query.parsed
    ORDER BY rank DESC, r.slug, r.position
    LIMIT %(limit)s
)
SELECT slug, kind, language, label, start,
       ts_headline(config, speaker, parsed, %(whole)s),
       ts_headline(config, title, parsed, %(whole)s),
       ts_headline(config, text, parsed, %(snippet)s), text
FROM found ORDER BY rank DESC, slug, position
"""


def write_article(db: psycopg.Connection, article: StoredArticle) -> None:
    """Replace the index rows of one article inside the caller's transaction."""
    db.execute("DELETE FROM search_rows WHERE slug = %s", (article.slug,))
    rows = [(slug, position, kind, language, label or "", start, title, text, speaker,
             config_of(language))
            for position, (title, text, speaker, slug, kind, language, label, start)
            in enumerate(search_index.index_rows(article))]
    with db.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO search_rows (slug, position, kind, language, label, start, title, text,"
            " speaker, config) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::regconfig)", rows)


def _snippet(marked: str, text: str) -> str:
    """Return a headline with … where it leaves out words, as SQLite's snippet() does.

    ts_headline ends at a word: punctuation after the last one (a full stop) is put back.
    """
    plain = marked.replace(MARK_START, "").replace(MARK_END, "").strip()
    found = text.find(plain) if plain else -1
    if found < 0:
        return marked
    if text[:found].strip():
        marked = "…" + marked.lstrip()
    rest = text[found + len(plain):]
    if any(char.isalnum() for char in rest):
        return marked.rstrip() + "…"
    return marked.rstrip() + rest.rstrip()


def search(db: psycopg.Connection, terms: tuple[str, ...]) -> Results:
    """Return the articles matching every term, best first, each with its matching moments."""
    if not terms:
        return Results(terms, (), False)
    rows = db.execute(QUERY, {"words": " ".join(terms), "configs": [PREFIX + c for c in CONFIGS],
                              "limit": search_index.MAX_ROWS, "whole": WHOLE,
                              "snippet": SNIPPET}).fetchall()
    found = [(slug, kind, language, label, start, speaker, title, _snippet(snippet, text))
             for slug, kind, language, label, start, speaker, title, snippet, text in rows]
    return search_index.gather(terms, found, lambda slugs: dict(db.execute(
        "SELECT slug, document FROM articles WHERE slug = ANY(%s)", (list(slugs),)).fetchall()))
