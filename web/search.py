"""The search page: headlines, article text and transcripts, with links into the clip."""

from __future__ import annotations

from flask import Flask, abort, make_response, render_template, request

from articles import present
from articles.search import MAX_QUERY_CHARS, QueryTooLong, SearchIndexMissing
from web.common import library

# Results change with every ingest and name what a person looked for: browsers
# may keep them and revalidate (ETag), shared caches may not keep them at all.
SEARCH_CACHE_CONTROL = "private, no-cache"


def register(app: Flask) -> None:
    """Add ``/search`` (endpoint ``search``)."""
    app.add_url_rule("/search", "search", search, methods=["GET"])


def search():
    """The search form, and with ``?q=`` the stories and moments that match every word."""
    query = request.args.get("q", "")
    try:
        results = library().search(query)
    except QueryTooLong:
        abort(400, description=f"A search can be at most {MAX_QUERY_CHARS} characters long. "
                               "Use fewer words and try again.")
    except SearchIndexMissing:
        abort(503, description="Search is not ready yet. Try again in a few minutes.")
    response = make_response(render_template("search.html", query=query.strip(),
                                             results=present.search_model(results)))
    response.headers["Cache-Control"] = SEARCH_CACHE_CONTROL
    return response
