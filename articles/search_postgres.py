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
SIMPLE = PREFIX + "simple"
# Schema version 2: every row's words also split without stemming or stop words,
# for a query term its language's configuration drops ("the" in English), which
# the SQLite index keeps and finds.
PLAIN_WORDS: tuple[str, ...] = (
    f"""ALTER TABLE search_rows ADD COLUMN plain_words tsvector GENERATED ALWAYS AS (
        to_tsvector('{SIMPLE}'::regconfig, title || ' ' || speaker || ' ' || text)) STORED""",
    "CREATE INDEX search_rows_plain_words ON search_rows USING gin (plain_words)",
)

_MARKS = f'StartSel="{MARK_START}", StopSel="{MARK_END}"'
WHOLE = f"HighlightAll=true, {_MARKS}"
SNIPPET = (f"MaxFragments=1, MaxWords={search_index.SNIPPET_TOKENS}, MinWords={search_index.SNIPPET_TOKENS // 2},"
           f" ShortWord=0, {_MARKS}")

# Each term parsed with every configuration, and with the simple one for when that drops it.
PARSE = ("SELECT c.config::text, plainto_tsquery(c.config, t.term)::text,"
         f" plainto_tsquery('{SIMPLE}'::regconfig, t.term)::text"
         " FROM unnest(%s::regconfig[]) AS c(config), unnest(%s::text[]) WITH ORDINALITY AS t(term, n)"
         " ORDER BY c.config, t.n")
# Headlines of the rows shown only: ts_headline parses the whole text again.
HEADLINES = """
SELECT r.slug, r.position,
       ts_headline(q.marking, r.speaker, q.parsed, %(whole)s),
       ts_headline(q.marking, r.title, q.parsed, %(whole)s),
       -- A text of a snippet's length is shown whole, as SQLite's snippet() does.
       ts_headline(q.marking, r.text, q.parsed,
                   CASE WHEN cardinality(regexp_split_to_array(r.text, '\\s+')) <= %(tokens)s
                        THEN %(whole)s ELSE %(snippet)s END),
       r.text
FROM unnest(%(slugs)s::text[], %(positions)s::int[]) AS shown(slug, position)
JOIN search_rows AS r USING (slug, position)
JOIN unnest(%(configs)s::regconfig[], %(parsed)s::tsquery[], %(marking)s::regconfig[])
     AS q(config, parsed, marking) ON q.config = r.config
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


def _queries(parsed: list[tuple[str, str, str]]) -> dict[str, tuple[str, str]]:
    """Return, per configuration, the query of the terms it keeps and that of those it drops.

    ``parsed`` holds (configuration, the term parsed by it, the term parsed by
    the simple one) per term. A term the configuration drops (a stop word)
    is matched without stemming against the row's plain words, as SQLite
    matches it; a term with no word at all is left out, as SQLite leaves it.
    """
    kept: dict[str, list[str]] = {}
    dropped: dict[str, list[str]] = {}
    for config, query, simple in parsed:
        kept.setdefault(config, [])
        dropped.setdefault(config, [])
        if query:
            kept[config].append(f"({query})")
        elif simple:
            dropped[config].append(f"({simple})")
    return {config: (" & ".join(kept[config]), " & ".join(dropped[config])) for config in kept}


def _find(db: psycopg.Connection, queries: dict[str, tuple[str, str]]) -> list[tuple]:
    """Return (slug, position, kind, language, label, start) of the best MAX_ROWS matching rows."""
    by_query: dict[tuple[str, str], list[str]] = {}
    for config, pair in queries.items():
        if any(pair):
            by_query.setdefault(pair, []).append(config)
    if not by_query:
        return []
    # One condition per distinct parse: each an index scan of a GIN index, OR-ed.
    conditions, params, ranks, rank_params = [], [], [], []
    for (query, plain), configs in by_query.items():
        matches = ["config = ANY(%s::regconfig[])"]
        params.append(configs)
        for column, value in (("words", query), ("plain_words", plain)):
            if value:
                matches.append(f"{column} @@ %s::tsquery")
                params.append(value)
        conditions.append(f"({' AND '.join(matches)})")
        ranks.append(f"WHEN config = ANY(%s::regconfig[]) THEN ts_rank({'words' if query else 'plain_words'},"
                     " %s::tsquery)")
        rank_params += [configs, query or plain]
    return db.execute(
        f"SELECT slug, position, kind, language, label, start FROM search_rows"
        f" WHERE {' OR '.join(conditions)}"
        f" ORDER BY CASE {' '.join(ranks)} END DESC, slug, position LIMIT %s",
        [*params, *rank_params, search_index.MAX_ROWS]).fetchall()


def _shown(rows: list[tuple]) -> list[tuple[str, int]]:
    """Return the (slug, position) of the rows search_index.gather shows, not merely counts."""
    articles: set[str] = set()
    moments: dict[str, int] = {}
    shown = []
    for slug, position, kind, *_ in rows:
        if slug not in articles and len(articles) == search_index.MAX_ARTICLES:
            continue
        articles.add(slug)
        if kind == "article":
            shown.append((slug, position))
        elif moments.get(slug, 0) < search_index.MAX_MOMENTS:
            moments[slug] = moments.get(slug, 0) + 1
            shown.append((slug, position))
    return shown


def search(db: psycopg.Connection, terms: tuple[str, ...]) -> Results:
    """Return the articles matching every term, best first, each with its matching moments."""
    if not terms:
        return Results(terms, (), False)
    queries = _queries(db.execute(PARSE, ([PREFIX + c for c in CONFIGS], list(terms))).fetchall())
    rows = _find(db, queries)
    # Marks: the kept terms, in the row's own configuration; when it drops every
    # term, those terms in the simple one, which marks them as SQLite does.
    parsed = {config: query or plain for config, (query, plain) in queries.items()}
    marking = [config if query else SIMPLE for config, (query, _) in queries.items()]
    shown = _shown(rows)
    marked = {(slug, position): (speaker, title, _snippet(snippet, text))
              for slug, position, speaker, title, snippet, text in db.execute(HEADLINES, {
                  "slugs": [slug for slug, _ in shown], "positions": [p for _, p in shown],
                  "configs": list(parsed), "parsed": list(parsed.values()), "marking": marking,
                  "whole": WHOLE,
                  "snippet": SNIPPET, "tokens": search_index.SNIPPET_TOKENS}).fetchall()
              } if shown else {}
    found = [(slug, kind, language, label, start, *marked.get((slug, position), ("", "", "")))
             for slug, position, kind, language, label, start in rows]
    return search_index.gather(terms, found, lambda slugs: dict(db.execute(
        "SELECT slug, document FROM articles WHERE slug = ANY(%s)", (list(slugs),)).fetchall()))
