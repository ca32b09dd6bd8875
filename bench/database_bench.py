"""Benchmark the library in PostgreSQL against the SQLite file, side by side in one run.

    .venv/bin/python bench/database_bench.py [--articles 10000] [--searches 20] [--seconds 8]

Writes and ingests the demo content, copies its articles into a PostgreSQL
server of its own (Debian's, on loopback, as the tests start it, fsync off),
then measures on each database:

(a) search: ``--articles`` generated articles (the demo's four, each saved
    again under new slugs with two made-up words added to its headline, so
    every one has its transcripts too), then each query of QUERIES run
    ``--searches`` times through Library.search; p50 and p95 latency;
(b) the article page under gunicorn (gunicorn.conf.py, page cache on) with
    ``wrk -t2 -c32``: requests/s and p99. With PostgreSQL each process reads
    the library's version row (at most every 0.1 s) to know its cached pages
    are current, so this is what several machines cost a page.

Prints PostgreSQL against SQLite as ratios (target for (b): at least 0.8x).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from articles.store import Library  # noqa: E402  (path set up above)
from bench.serve_bench import ARTICLE, build_library, wrk  # noqa: E402
from deploy.servers import Gunicorn  # noqa: E402
from tests.services import postgres_server  # noqa: E402

QUERIES = ["ferry", "night ferry", "Fahrgaste", "students midnight", "الحديقة", "zeppelin"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "bo", "da", "fe"]


def made_up_words(count: int, rng: random.Random) -> list[str]:
    """Return ``count`` distinct pronounceable words that no demo article contains."""
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(4)))
    return sorted(words)


def generate(library: Library, templates: list, count: int, vocabulary: list[str]) -> float:
    """Save ``count`` articles made from ``templates``; return the seconds it took."""
    rng = random.Random(17)
    started = time.perf_counter()
    for n in range(count):
        row = templates[n % len(templates)]
        slug = f"{row.slug}-{n}"
        title = f"{row.title} {rng.choice(vocabulary)} {rng.choice(vocabulary)}"
        document = dataclasses.replace(row.document, slug=slug, title=title)
        library.save_article(dataclasses.replace(row, slug=slug, title=title, document=document,
                                                 top=False))
    return time.perf_counter() - started


def search_latency(library: Library, queries: list[str], repeat: int) -> dict:
    """Return p50 and p95 of Library.search in milliseconds, and hits per query."""
    times, found = [], {}
    for query in queries:
        library.search(query)  # warm
        for _ in range(repeat):
            started = time.perf_counter()
            results = library.search(query)
            times.append((time.perf_counter() - started) * 1000)
        found[query] = len(results.hits)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "hits": found}


def page_rate(library: Library, folder: Path, seconds: int) -> dict:
    """Return wrk's result for the article page under gunicorn on ``library``."""
    env = {"NEWSREEL_DATABASE_URL": library.database_url} if library.database_url else {}
    with Gunicorn(library.root, folder, env=env) as server:
        server.wait_until_serving(ARTICLE)
        wrk(f"http://127.0.0.1:{server.port}{ARTICLE}", 2, 32)  # warm the page caches
        return wrk(f"http://127.0.0.1:{server.port}{ARTICLE}", seconds, 32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="newsreel-database-bench-") as temporary, \
            postgres_server() as server:
        folder = Path(temporary)
        print("PostgreSQL:", subprocess.run([str(server.bin / "postgres"), "--version"],
                                            capture_output=True, text=True).stdout.strip())
        sqlite = Library(build_library(folder))
        templates = sqlite.articles()
        postgres = Library(folder / "postgres", database_url=server.url)
        (folder / "postgres").mkdir()
        (folder / "postgres" / "media").symlink_to(sqlite.media_dir)
        postgres.upgrade()
        for row in reversed(templates):
            postgres.save_article(row)

        pages = {name: page_rate(library, folder / f"gunicorn-{name}", args.seconds)
                 for name, library in (("sqlite", sqlite), ("postgresql", postgres))}

        vocabulary = made_up_words(500, random.Random(3))
        queries = [*QUERIES, vocabulary[7], f"{vocabulary[7]} ferry"]
        searches, saves = {}, {}
        for name, library in (("sqlite", sqlite), ("postgresql", postgres)):
            saves[name] = generate(library, templates, args.articles, vocabulary)
            searches[name] = search_latency(library, queries, args.searches)

    print(f"\n(a) search over {args.articles + len(templates):,} articles, "
          f"{len(queries)} queries x {args.searches}")
    print(f"{'':12} {'saving them':>12} {'p50':>9} {'p95':>9}")
    for name in ("sqlite", "postgresql"):
        s = searches[name]
        print(f"{name:12} {saves[name]:>10.1f} s {s['p50']:>6.1f} ms {s['p95']:>6.1f} ms")
    print(f"{'ratio':12} {saves['postgresql'] / saves['sqlite']:>11.2f}x "
          f"{searches['postgresql']['p50'] / searches['sqlite']['p50']:>8.2f}x "
          f"{searches['postgresql']['p95'] / searches['sqlite']['p95']:>8.2f}x  (PostgreSQL / SQLite)")
    print("hits per query (sqlite / postgresql):",
          ", ".join(f"{q!r} {searches['sqlite']['hits'][q]}/{searches['postgresql']['hits'][q]}"
                    for q in queries))
    print(f"\n(b) article page under gunicorn, wrk -t2 -c32 -d{args.seconds}s")
    for name in ("sqlite", "postgresql"):
        print(f"{name:12} {pages[name]['rate']:>9,.0f} req/s  p99 {pages[name]['p99']:>6.1f} ms"
              f"  errors {pages[name]['errors']}")
    ratio = pages["postgresql"]["rate"] / pages["sqlite"]["rate"]
    print(f"{'ratio':12} {ratio:>9.2f}x (target >= 0.8x)")


if __name__ == "__main__":
    main()
