"""A library whose demo clip has spoken described versions, made by ingest itself.

The top demo story has an English descriptions track that starts where its
captions speak, so ingest makes a standard and an extended version of it;
the library story has no descriptions and so no version.
"""

from __future__ import annotations

from pathlib import Path

from articles.ingest import ingest_bundle
from articles.store import Library
from tests.conftest import require_tool

DESCRIBED_SLUG = "night-ferry-returns"
PLAIN_SLUG = "reading-room-stays-open"


def make_described_library(root: Path, demo_content: Path) -> Library:
    """Ingest two demo bundles into ``root``: the first gets a standard and an extended spoken version."""
    require_tool("espeak-ng")
    library = Library(root)
    for slug in (DESCRIBED_SLUG, PLAIN_SLUG):
        ingest_bundle(demo_content / slug, library)
    described = library.article(DESCRIBED_SLUG).document.video.described
    assert [version.extended for version in described] == [False, True]
    return library
