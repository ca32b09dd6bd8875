"""Where the test inputs written by others live: the shared corpus and the WPT WebVTT suites."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The clips and photos are too large for the repository (15 MB), so the
# corpus is found beside it; tests that need it are marked "corpus".
CORPUS = Path(os.environ.get("NEWSREEL_CORPUS") or ROOT.parent / "shared" / "corpus").absolute()
CORPUS_MISSING = "needs the shared test corpus (../shared/corpus, or set NEWSREEL_CORPUS=DIR)"
# Small, and what the caption code is built against, so kept here and always run.
WPT_WEBVTT = ROOT / "tests" / "data" / "wpt-webvtt"


def corpus_present() -> bool:
    """Return whether the shared corpus folder is there."""
    return CORPUS.is_dir()


def corpus_files(*folders: str, pattern: str = "*") -> list[Path]:
    """Return the files under corpus folders that match a glob pattern, sorted; none without the corpus."""
    if not corpus_present():
        return []
    return sorted(path for folder in folders for path in (CORPUS / folder).glob(pattern)
                  if path.is_file())


@functools.cache
def corpus_manifest() -> list[dict]:
    """Return the file entries of the corpus's manifest.json; none without the corpus."""
    if not corpus_present():
        return []
    return json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["files"]


def corpus_params(values: Iterable, ids: Callable[[object], str] | None = None) -> list:
    """Return parametrize values read from the corpus; without it, one placeholder marked corpus."""
    # An empty list would collect as pytest's vague "got empty parameter set"
    # skip; the placeholder is skipped (failed in CI) with the corpus reason.
    params = [pytest.param(value, id=ids(value) if ids else None) for value in values]
    return params or [pytest.param(None, id="no-corpus", marks=pytest.mark.corpus)]


def wpt_input(case: dict) -> Path:
    """Return the file a WPT file-parsing case reads (its path is relative to the corpus root)."""
    return WPT_WEBVTT / Path(case["input"]).relative_to("webvtt/wpt")
