"""Benchmark 1,000 cache-busting ``?t=`` requests against the page cache before this design, in one run.

    .venv/bin/python bench/page_cache_bench.py [--requests 1000] [--library PATH]

Writes and ingests the demo content (or uses ``--library``) and builds two
apps on it with the default settings (512 pages, 64 MB): ours, and one whose
page cache is the baseline, ``web/caching.py`` and ``web/compression.py`` as
of commit d503b25 (read with ``git show``), with ``?t=`` read as it then
was (every spelling rendered, none redirected). In each, every page of the site
(home, feed, articles, embeds) is first read three times, as readers do; then
``--requests`` requests for the article page with a new ``?t=`` each, as
someone busting the cache would send, with ``Accept-Encoding: br``:

- spellings: a few start times, written each time another way (``01``,
  ``001``, ``1.0`` ...): the same pages under new URLs;
- past the end: times after the clip's end (``100``, ``101`` ...), which all
  start it at its end: one page;
- values: a new start time each time (``0.001``, ``0.002`` ...): new pages.

For each it prints the time spent on the flood (and, for scale, on a request
answered from the cache), the bytes the cache holds
(in every encoding) and the bytes it counts, and how many of the site's
pages are still answered from the cache afterwards; then ours against the
baseline as ratios. Timings are through Flask's test client, one thread.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import template_rendered  # noqa: E402  (path set up above)

from app import create_app  # noqa: E402
from articles.ingest import ingest_bundle  # noqa: E402
from articles.store import Library  # noqa: E402
from media.demo.bundles import write_demo  # noqa: E402
from web import embed, pages  # noqa: E402
from web.caching import PageCache  # noqa: E402

BASELINE = "d503b25"
ARTICLE = "/articles/night-ferry-returns"
READS = 3


def baseline_cache_class() -> type:
    """Return the PageCache class of BASELINE, with the compression module of BASELINE."""
    def load(name: str, path: str, replace: tuple[str, str] | None = None) -> types.ModuleType:
        source = subprocess.run(["git", "show", f"{BASELINE}:{path}"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
        if replace:
            source = source.replace(*replace)
        module = types.ModuleType(name)
        module.__file__ = f"{BASELINE}:{path}"
        sys.modules[name] = module
        exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102  (our own history)
        return module

    load("baseline_compression", "web/compression.py")
    caching = load("baseline_caching", "web/caching.py",
                   ("from web import compression", "import baseline_compression as compression"))
    return caching.PageCache


def build_library(folder: Path) -> Path:
    """Write the demo bundles and ingest them; return the library's folder."""
    library = Library(folder / "library")
    write_demo(folder / "content")
    for bundle in sorted((folder / "content").iterdir()):
        ingest_bundle(bundle, library)
    return library.root


@contextlib.contextmanager
def baseline_start_times():
    """Read ``?t=`` as BASELINE did: any spelling is rendered, nothing is redirected."""
    def start_time(value, video):
        return None if value is None or video is None else min(float(value), video.duration)
    saved = pages.start_time
    pages.start_time = embed.start_time = start_time
    try:
        yield
    finally:
        pages.start_time = embed.start_time = saved


def make_app(library: Path, cache_class: type | None):
    """Return the app on ``library`` and its page cache, swapped for ``cache_class`` if given."""
    app = create_app({"LIBRARY": str(library)})
    outer = app
    while not isinstance(outer.wsgi_app, PageCache):
        outer = outer.wsgi_app
    if cache_class is not None:
        outer.wsgi_app = cache_class(outer.wsgi_app.wsgi_app, app)
    return app, outer.wsgi_app


def held_and_counted(cache) -> tuple[int, int]:
    """Return the bytes the cache holds in every encoding, and the bytes it counts."""
    store = getattr(cache, "store", None)
    pages = store.pages() if store is not None else list(cache._pages.values())
    held = sum(len(body) for page in pages for body in page.encoded.values())
    return held, store.size if store is not None else cache._bytes


def flood_queries(kind: str, count: int) -> list[str]:
    """Return ``count`` distinct ``?t=`` queries: new spellings of ten times, times past the end, or new times."""
    if kind == "spellings":
        return [f"?t={'0' * (n // 10)}{n % 10 + 1}" + (".0" if n % 20 >= 10 else "") for n in range(count)]
    if kind == "past the end":
        return [f"?t={100 + n}" for n in range(count)]
    return [f"?t={n / 1000}" for n in range(1, count + 1)]


def run(library: Path, cache_class: type | None, kind: str, count: int, site: list[str]) -> dict:
    """Read the site, send the flood, then read the site again; return what it cost."""
    app, cache = make_app(library, cache_class)
    client = app.test_client()
    headers = {"Accept-Encoding": "br"}

    def get(url: str) -> None:
        # As a browser would: another spelling of a start is redirected to its one address.
        response = client.get(url, headers=headers, follow_redirects=True)
        response.get_data()
        response.close()
        assert response.status_code == 200, (url, response.status_code)

    for _ in range(READS):
        for url in site:
            get(url)
    started = time.perf_counter()
    for _ in range(count):
        get(ARTICLE)
    hit = (time.perf_counter() - started) / count
    started = time.perf_counter()
    for query in flood_queries(kind, count):
        get(ARTICLE + query)
    seconds = time.perf_counter() - started
    held, counted = held_and_counted(cache)
    rendered: list[str] = []
    record = lambda sender, template, context, **extra: rendered.append(template.name)  # noqa: E731
    template_rendered.connect(record, app)
    kept = 0
    for url in site:
        before = len(rendered)
        get(url)
        kept += len(rendered) == before
    template_rendered.disconnect(record, app)
    return {"seconds": seconds, "hit": hit, "held": held, "counted": counted, "kept": kept}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--library", type=Path, help="an ingested library (default: the demo)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
          f"Python {platform.python_version()}")
    baseline = baseline_cache_class()
    with tempfile.TemporaryDirectory() as folder:
        library = args.library or build_library(Path(folder))
        slugs = [row.slug for row in Library(library).articles()]
        site = ["/", "/feed.xml", *(f"/articles/{s}" for s in slugs), *(f"/embed/{s}" for s in slugs)]
        print(f"site: {len(site)} pages, each read {READS} times before the flood; "
              f"flood: {args.requests:,} requests for {ARTICLE}?t=..., Accept-Encoding: br")
        for kind in ("spellings", "past the end", "values"):
            print(f"\n{kind}: e.g. {', '.join(flood_queries(kind, args.requests)[:3])}, "
                  f"{flood_queries(kind, args.requests)[-1]}")
            results = {}
            for label, cache_class in ((f"baseline ({BASELINE})", baseline), ("ours", None)):
                with baseline_start_times() if cache_class else contextlib.nullcontext():
                    r = results[label] = run(library, cache_class, kind, args.requests, site)
                print(f"  {label:<20} {r['seconds']:7.2f} s ({r['seconds'] / args.requests * 1000:5.2f} ms"
                      f" a request)  held {r['held']:>11,} B  counted {r['counted']:>11,} B"
                      f"  site pages still cached {r['kept']}/{len(site)}"
                      f"  (a hit: {r['hit'] * 1000:.2f} ms)")
            ours, base = results["ours"], results[f"baseline ({BASELINE})"]
            print(f"  ours / baseline: time {ours['seconds'] / base['seconds']:.2f}x, "
                  f"bytes held {ours['held'] / base['held']:.2f}x")


if __name__ == "__main__":
    main()
