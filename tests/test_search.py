"""Search: the index beside the articles, the query rules, and the results page.

The library and page tests run on both databases (each_library, each_client):
SQLite's FTS5 and PostgreSQL's full-text search must behave alike.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import unicodedata

import pytest
from bs4 import BeautifulSoup

from app import create_app
from articles import search as search_index
from articles.ingest import ingest_bundle
from articles.store import Library
from media.demo.bundles import to_vtt
from tests.test_ingest import replace_in_article
from tests.test_text_browsers import dump

ARTICLE = "/articles/night-ferry-returns"


def page_of(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def result_slugs(page: BeautifulSoup) -> list[str]:
    return [a["href"].rsplit("/", 1)[1] for a in page.select(".app-result__title a")]


@pytest.mark.parametrize("query, terms", [
    ("night ferry", ("night", "ferry")),
    ('"ferry" OR NEAR(midnight, 2) -quay *', ("ferry", "OR", "NEAR", "midnight", "2", "quay")),
    ("title:ferry ^night {a b}", ("title", "ferry", "night", "a", "b")),
    ("Port Elsey's", ("Port", "Elsey", "s")),
    ("Fähre زرع 夜", ("Fähre", "زرع", "夜")),
    ("snake_case", ("snake", "case")),
    ("\x00\x01 '\"*()-+:^", ()),
    ("   ", ()),
    (" ".join(f"w{n}" for n in range(30)), tuple(f"w{n}" for n in range(12))),
    ("Fahrga\u0308ste", ("Fahrgäste",)),
    ("\u0627\u0654\u0631\u0628\u0639", ("أربع",)),
    ("q\u0308x \u0308", ("q\u0308x",)),
    ("\u0308\u0308ferry\u0301", ("ferrý",)),
])
def test_query_words_keep_letters_and_digits_only(query, terms):
    assert search_index.query_terms(query) == terms


def test_every_word_is_a_quoted_fts5_string():
    expression = search_index.match_expression(("OR", "NEAR", "ferry"))
    assert expression == '"OR" AND "NEAR" AND "ferry"'


@pytest.mark.parametrize("length, allowed", [(200, True), (201, False), (10_000, False)])
def test_queries_longer_than_the_limit_are_refused(length, allowed):
    query = ("ferry " * 2000)[:length]
    if allowed:
        assert search_index.query_terms(query)
    else:
        with pytest.raises(search_index.QueryTooLong):
            search_index.query_terms(query)


def test_the_limit_counts_a_decomposed_query_as_its_composed_characters():
    composed = "ä" * search_index.MAX_QUERY_CHARS
    assert search_index.query_terms(unicodedata.normalize("NFD", composed)) == search_index.query_terms(composed)


def test_marked_text_splits_into_plain_and_marked_segments():
    marked = "a \x02ferry\x03 <b>and</b> \x02night\x03"
    assert search_index.segments(marked) == (
        search_index.Segment("a "), search_index.Segment("ferry", True),
        search_index.Segment(" <b>and</b> "), search_index.Segment("night", True))


def test_article_html_becomes_plain_text():
    assert search_index.html_text("<h2>Why</h2>\n<p>A &amp; B &lt;img&gt;</p>") == "Why A & B <img>"


@pytest.mark.parametrize("query, slug, where", [
    ("Marrow", "night-ferry-returns", "title"),
    ("propeller shaft", "night-ferry-returns", "body"),
    ("students", "reading-room-stays-open", "body"),
    ("twenty to midnight", "night-ferry-returns", "transcript"),
    ("thermometer", "school-roof-garden", "transcript"),
    ("wheelhouse instruments", "night-ferry-returns", "description"),
    ("repaired", "night-ferry-returns", "chapter"),
    ("captain", "night-ferry-returns", "speaker"),
    ("Fahrgaste", "night-ferry-returns", "German transcript, without its umlaut"),
    ("ferries crossings", "night-ferry-returns", "stemmed words"),
    ("الحديقة", "school-roof-garden-ar", "Arabic body"),
    ("أربع درجات", "school-roof-garden-ar", "Arabic subtitles"),
])
def test_search_finds_titles_body_text_and_transcripts(each_library, query, slug, where):
    results = each_library.search(query)
    assert slug in [hit.slug for hit in results.hits], where


# In each language of the demo, a word of its article with a precomposed letter, to be
# typed decomposed (letter, then combining mark), as some keyboards and copied text give it.
# The English demo text has no precomposed letter: "férry" stands in, whose accent the
# index folds away as it does Fähre's.
DECOMPOSED = [
    ("de", "Fahrgäste", "night-ferry-returns"),
    ("de", "Überfahrt", "night-ferry-returns"),
    ("ar", "أربع", "school-roof-garden-ar"),
    ("ar", "أبرد", "school-roof-garden-ar"),
    ("en", "férry", "night-ferry-returns"),
]


def demo_languages(library: Library) -> set[str]:
    languages = set()
    for row in library.articles():
        languages.add(row.document.language)
        video = row.document.video
        languages.update(track.language for track in (video.tracks if video else ()))
    return languages


def test_every_demo_language_is_searched_decomposed(each_library):
    assert {language for language, _, _ in DECOMPOSED} == demo_languages(each_library)


@pytest.mark.parametrize("language, word, slug", DECOMPOSED, ids=[d[1] for d in DECOMPOSED])
def test_a_decomposed_query_finds_what_the_composed_one_finds(each_library, language, word, slug):
    decomposed = unicodedata.normalize("NFD", word)
    assert decomposed != word
    found = [hit.slug for hit in each_library.search(word).hits]
    assert slug in found
    assert [hit.slug for hit in each_library.search(decomposed).hits] == found


def test_search_needs_every_word(each_library):
    assert each_library.search("ferry thermometer").hits == ()


@pytest.mark.parametrize("query", ["the", "The", "the ferry", "it was"])
def test_words_a_language_leaves_out_are_found_as_sqlite_finds_them(demo_library, postgres_demo_library,
                                                                     query):
    # PostgreSQL's English configuration drops stop words such as "the";
    # SQLite indexes every word. Both find them alike.
    found = [hit.slug for hit in demo_library.search(query).hits]
    assert found
    hits = postgres_demo_library.search(query).hits
    assert sorted(hit.slug for hit in hits) == sorted(found)
    # and marked in the results, as SQLite marks them
    marked = {segment.text.lower() for hit in hits for segment in (*hit.title, *hit.snippet) if segment.marked}
    assert marked & {word.lower() for word in query.split()}


def test_transcript_hit_links_to_the_second_the_words_are_spoken(each_client):
    page = page_of(each_client.get("/search?q=bakery"))
    [result] = page.select(".app-result")
    assert result.select_one(".app-result__title a")["href"] == ARTICLE
    [moment] = result.select(".app-result__moment")
    link = moment.find("a", class_="app-result__play")
    assert link.get_text() == "Play from 0:19"
    assert link["href"] == f"{ARTICLE}?t=19#player"
    assert moment.find("b", class_="app-result__speaker").get_text() == "Passenger:"
    assert [m.get_text() for m in moment.find_all("mark")] == ["bakery"]
    # The same link in the article's own transcript holds the same words.
    article = page_of(each_client.get(ARTICLE))
    paragraph = article.find(id="transcript").find("a", href="?t=19#player").parent
    assert "I work at the bakery." in paragraph.get_text()


def test_results_page_has_a_heading_a_count_and_marked_snippets(each_client):
    response = each_client.get("/search?q=midnight")
    page = page_of(response)
    assert page.h1.get_text() == "Search"
    assert page.find("p", id="search-count").get_text() == "2 stories found for “midnight”."
    assert page.title.get_text().startswith("2 stories found for “midnight” – Search")
    assert result_slugs(page) == ["reading-room-stays-open", "night-ferry-returns"]
    first = page.select_one(".app-result")
    assert first.select_one(".app-result__title mark").get_text() == "midnight"
    assert "until midnight from Monday to Saturday" in first.select_one(".app-result__snippet").get_text()
    form = page.find("form", role="search")
    assert form["action"] == "/search" and form["method"] == "get"
    field = form.find("input", attrs={"name": "q"})
    assert field["value"] == "midnight"
    assert form.find("label", attrs={"for": field["id"]}).get_text(strip=True)
    assert form.find("button", type="submit").get_text() == "Search"
    # One search form per page: the header's steps aside on the search page.
    assert len(page.find_all("form", role="search")) == 1


def test_moments_name_their_language_where_a_clip_has_several(each_client):
    page = page_of(each_client.get("/search?q=Fahrgaste"))
    [moment] = page.select(".app-result__moment")
    assert moment.find("span", lang="de").get_text() == "Deutsch"
    quote = moment.find(class_="app-result__quote")
    assert quote["lang"] == "de"
    assert quote.find("mark").get_text() == "Fahrgäste"


def test_right_to_left_results_carry_their_language_and_direction(each_client):
    page = page_of(each_client.get("/search?q=الحديقة"))
    result = page.select_one(".app-result")
    assert (result["lang"], result["dir"]) == ("ar", "rtl")
    # The site's own words inside it are marked as English.
    meta = result.select_one(".app-result__meta span")
    assert (meta["lang"], meta["dir"]) == ("en", "ltr")
    assert result.select_one(".app-result__moments")["lang"] == "en"
    quote = result.select_one(".app-result__quote")
    assert (quote["lang"], quote["dir"]) == ("ar", "rtl")


def test_chapter_and_description_hits_say_what_they_are(each_client):
    page = page_of(each_client.get("/search?q=repaired+ferry"))
    texts = [" ".join(m.get_text().split()) for m in page.select(".app-result__moment")]
    assert any(text.startswith("Play from 0:08 · English: Chapter: The repaired ferry") for text in texts), texts
    page = page_of(each_client.get("/search?q=wheelhouse"))
    texts = [" ".join(m.get_text().split()) for m in page.select(".app-result__moment")]
    assert texts == ["Play from 0:08 · English: [In the wheelhouse, the captain checks the instruments.]"]


@pytest.mark.parametrize("query", ["", "   ", None])
def test_empty_query_shows_the_form_only(each_client, query):
    page = page_of(each_client.get("/search" if query is None else f"/search?q={query}"))
    assert page.find("form", role="search").find("input", attrs={"name": "q"})["value"] == ""
    assert page.find(id="search-count") is None
    assert page.find(class_="app-results") is None
    assert page.title.get_text() == "Search – Newsreel"


def test_query_without_words_asks_for_words(each_client):
    page = page_of(each_client.get("/search?q=*+%22+-"))
    assert page.find(class_="app-search__count").get_text() == "Type one or more words to search for."
    assert page.find(class_="app-results") is None


def test_no_matches_says_so(each_client):
    page = page_of(each_client.get("/search?q=zeppelin"))
    assert page.find(id="search-count").get_text() == "No stories found for “zeppelin”."
    assert page.find(class_="app-results") is None


HOSTILE = ['"', "*", "NEAR(", "NEAR(ferry midnight", "OR", "ferry OR", "AND", "NOT ferry", "-", "-ferry",
           "'", "''", "ferry*", "^ferry", "title:ferry", "{title}: ferry", "(", ")", "ferry)",
           '"unterminated', "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
           "\x00", "ferry\x00midnight", "\x02ferry\x03", "🚢 ferry", "Fähre", "ferry " * 33,
           "%", "_", "\\", "😀" * 200]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_words_or_nothing_and_never_markup(each_client, query):
    response = each_client.get("/search", query_string={"q": query})
    # Control characters and very long addresses are refused before any view runs.
    assert response.status_code == 200 or (response.status_code == 400 and (
        any(ord(c) < 32 for c in query) or len(query.encode()) > 200)), response.status_code
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    page = BeautifulSoup(html, "html.parser")
    assert page.find("img", src="x") is None
    assert page.find("script", src=False) is None
    # Marks hold matched words only: never a tag, a quote or a control character.
    for mark in page.find_all("mark"):
        assert mark.get_text().isalnum(), mark


@pytest.mark.parametrize("length", [201, 1500, 10_000])
def test_overlong_query_is_an_accessible_400_page(each_client, length):
    response = each_client.get("/search", query_string={"q": "x" * length})
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.h1.get_text() == "There is a problem with the address"
    if length < 2000:
        assert "at most 200 characters" in page.find("main").get_text()
    else:
        assert "too long" in page.find("main").get_text()
    # The long query is not repeated back into the header's search field.
    assert page.find("input", attrs={"name": "q"})["value"] == ""


def ingest(bundle, library_root) -> Library:
    library = Library(library_root)
    ingest_bundle(bundle, library)
    return library


def ingest_into(bundle, library: Library) -> Library:
    ingest_bundle(bundle, library)
    return library


def client_of(library: Library):
    return create_app({"TESTING": True, "LIBRARY": str(library.root),
                       "DATABASE_URL": library.database_url}).test_client()


def test_markup_in_indexed_content_is_escaped_in_results(each_empty_library, small_bundle):
    replace_in_article(small_bundle, "title: A small story", "title: '<script>alert(1)</script> harbour'")
    article = small_bundle / "article.md"
    article.write_text(article.read_text(encoding="utf-8") + "\nharbour <img src=x onerror=alert(1)>\n",
                       encoding="utf-8")
    library = ingest_into(small_bundle, each_empty_library)
    client = client_of(library)
    html = client.get("/search?q=harbour+onerror").get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    assert page.find("script", src=False) is None and page.find("img") is None
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x onerror=alert(1)>" in page.select_one(".app-result__snippet").get_text()


def test_index_follows_a_reingest_of_a_changed_article(tmp_path, small_bundle):
    library = ingest(small_bundle, tmp_path / "lib")
    assert [hit.slug for hit in library.search("emphasis").hits] == ["small-story"]
    replace_in_article(small_bundle, "Body text with *emphasis*.", "Body text about lighthouses.")
    ingest_bundle(small_bundle, library)
    assert library.search("emphasis").hits == ()
    assert [hit.slug for hit in library.search("lighthouses").hits] == ["small-story"]
    with sqlite3.connect(library.database) as db:
        rows = db.execute(f"SELECT count(*) FROM {search_index.TABLE} WHERE kind = 'article'").fetchone()
    assert rows == (1,)


def test_library_from_before_search_gets_its_index_at_the_next_ingest(tmp_path, small_bundle):
    library = ingest(small_bundle, tmp_path / "lib")
    with sqlite3.connect(library.database) as db:
        db.execute(f"DROP TABLE {search_index.TABLE}")
        db.execute("DELETE FROM meta WHERE key = 'search_index'")
    client = create_app({"TESTING": True, "LIBRARY": str(library.root)}).test_client()
    response = client.get("/search?q=emphasis")
    assert response.status_code == 503
    assert "Search is not ready yet" in response.get_data(as_text=True)
    # An empty query needs no index: the form still shows.
    assert client.get("/search").status_code == 200

    other = small_bundle.parent / "other-story"
    other.mkdir()
    for path in small_bundle.iterdir():
        (other / path.name).write_bytes(path.read_bytes())
    replace_in_article(other, "title: A small story", "title: Another story")
    ingest_bundle(other, library)
    assert {hit.slug for hit in library.search("emphasis").hits} == {"small-story", "other-story"}


def test_decomposed_article_text_is_indexed_composed(tmp_path, small_bundle):
    # "أربع" (four) written with a separate hamza mark: FTS5 folds no Arabic marks.
    replace_in_article(small_bundle, "Body text with *emphasis*.",
                       unicodedata.normalize("NFD", "Body text: أربع درجات, Fahrgäste."))
    library = ingest(small_bundle, tmp_path / "lib")
    for word in ("أربع", "Fahrgäste", unicodedata.normalize("NFD", "أربع")):
        assert [hit.slug for hit in library.search(word).hits] == ["small-story"], word


def test_an_index_from_before_nfc_is_searched_until_the_next_ingest_rebuilds_it(tmp_path, small_bundle):
    library = ingest(small_bundle, tmp_path / "lib")
    with sqlite3.connect(library.database) as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'search_index'")
    assert [hit.slug for hit in library.search("emphasis").hits] == ["small-story"]
    replace_in_article(small_bundle, "Body text with *emphasis*.", "Body text about lighthouses.")
    ingest_bundle(small_bundle, library)
    assert [hit.slug for hit in library.search("lighthouses").hits] == ["small-story"]
    with sqlite3.connect(library.database) as db:
        version = db.execute("SELECT value FROM meta WHERE key = 'search_index'").fetchone()
    assert version == (search_index.INDEX_VERSION,)


def test_a_failed_save_leaves_articles_and_index_as_they_were(each_empty_library, small_bundle):
    library = ingest_into(small_bundle, each_empty_library)
    row = library.article("small-story")
    # The index cannot be written without a body: saving fails after the article's row.
    broken = dataclasses.replace(row.document, slug="broken-story", title="Lighthouse keepers",
                                 body_html=None)
    with pytest.raises(TypeError):
        library.save_article(type(row)(slug="broken-story", title="Lighthouse keepers",
                                       published=row.published, top=False,
                                       source_hash="x", document=broken))
    assert library.article("broken-story") is None
    assert library.search("lighthouse").hits == ()


def test_many_moments_in_one_clip_are_capped_with_a_link_to_the_transcript(each_empty_library, small_bundle):
    # Alternating speakers make each cue its own transcript paragraph.
    cues = [(n * 0.2, n * 0.2 + 0.1, f"<v Speaker {n % 2}>Lighthouse {n}") for n in range(8)]
    (small_bundle / "clip.en.vtt").write_text(to_vtt(cues), encoding="utf-8")
    library = ingest_into(small_bundle, each_empty_library)
    [hit] = library.search("lighthouse").hits
    assert len(hit.moments) == search_index.MAX_MOMENTS
    assert hit.more_moments == 8 - search_index.MAX_MOMENTS
    client = client_of(library)
    page = page_of(client.get("/search?q=lighthouse"))
    more = page.find(class_="app-result__more")
    assert more.get_text() == "3 more in the transcript."
    assert more.a["href"] == "/articles/small-story#transcript"


@pytest.mark.parametrize("reader", ["lynx", "w3m"])
def test_search_results_read_in_a_text_browser(reader, live_server):
    text = dump(reader, live_server + "/search?q=midnight")
    assert "Search headlines, articles and transcripts" in text
    assert "2 stories found for “midnight”." in text
    assert "Port Elsey's reading room stays open until midnight" in text
    assert "The night ferry to Marrow Island sails again" in text
    assert "Play from 0:00 · English: Narrator: It is twenty to midnight in Port Elsey." in text
    assert "Play from 0:26" in text



def test_an_automatic_track_is_labelled_automatic_in_results_as_everywhere_else(each_empty_library, small_bundle):
    from tests.test_automatic_captions import make_draft, mark_automatic
    make_draft(small_bundle)
    mark_automatic(small_bundle)
    library = ingest_into(small_bundle, each_empty_library)
    [moment] = library.search("test clip").hits[0].moments
    assert moment.label == "English (automatic)"
    client = client_of(library)
    page = page_of(client.get("/search?q=test+clip"))
    [shown] = page.select(".app-result__moment")
    assert " ".join(shown.get_text().split()).startswith("Play from 0:00 · English (automatic):")


def test_an_index_with_labels_from_before_automatic_tracks_is_rebuilt_at_the_next_ingest(
        tmp_path, small_bundle):
    library = ingest(small_bundle, tmp_path / "lib")
    with sqlite3.connect(library.database) as db:
        db.execute("UPDATE meta SET value = '2' WHERE key = 'search_index'")
        db.execute(f"UPDATE {search_index.TABLE} SET label = 'stale'")
    assert library.search("test clip").hits[0].moments[0].label == "stale"   # still readable
    replace_in_article(small_bundle, "Body text with *emphasis*.", "Body text about lighthouses.")
    ingest_bundle(small_bundle, library)
    assert library.search("test clip").hits[0].moments[0].label == "English"
