"""Benchmark ingest through the queue against the local path, and the time to enqueue, in one run.

    .venv/bin/python bench/queue_bench.py [--copies 8] [--rounds 3] [--enqueue 100]

Writes the demo bundles and copies each ``--copies`` times under distinct
slugs (the copies share their clips and photos, so, as when an editor
re-files a story, their media is prepared once and reused). Then, on the
same bundles, into empty libraries:

- local: ``python -m media ingest ALL --jobs 2``, timed from start to exit;
- queue: ``python -m media worker --concurrency 2`` (two worker
  processes) on a throwaway Redis, already started; timed from ``ingest ALL --queue`` to
  the moment every job's record says done.

The two take turns, ``--rounds`` times each, every round into new
libraries, so that other work on the machine weighs on both alike. It
prints the median times, bundles per second and the ratio of throughputs
(queue / local; the target is at least 0.9). Last, it times one
``ingest --queue`` of ``--enqueue`` bundles (copies of the demo bundles)
into an empty Redis and library: the checks, the copies to the shelf and
the messages (the target is under 10 s).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from articles.queue.connection import QueueSettings, redis_client  # noqa: E402  (path set up above)
from articles.queue.records import JobRecords  # noqa: E402
from media.demo.bundles import write_demo  # noqa: E402
from tests.queue_workers import queue_env, start_worker, stop_worker  # noqa: E402
from tests.services import redis_server  # noqa: E402


def copies_of(demo: list[Path], out: Path, copies: int) -> list[Path]:
    """Return ``copies`` copies of each demo bundle in ``out``, named ``<slug>-<n>``."""
    folders = []
    for number in range(1, copies + 1):
        for bundle in demo:
            folder = out / f"{bundle.name}-{number}"
            if not folder.exists():
                shutil.copytree(bundle, folder)
            folders.append(folder)
    return folders


def run(argv: list[str], env: dict[str, str]) -> float:
    """Run ``python -m media ARGV``; return its wall time, failing loudly if it fails."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "media", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"python -m media {argv[0]} failed:\n{done.stderr}")
    return elapsed


def wait_ready(log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while b" ready." not in (log.read_bytes() if log.exists() else b""):
        if time.monotonic() > deadline:
            sys.exit(f"a worker did not start: {log.read_text(errors='replace')}")
        time.sleep(0.1)


def through_queue(bundles: list[Path], work: Path, url: str, round_: int) -> float:
    """Return the seconds from enqueueing ``bundles`` until a worker of concurrency 2 has done them all."""
    library = work / f"library-queue-{round_}"
    env = queue_env(url, library)
    records = JobRecords(redis_client(QueueSettings(url)))
    logs = [work / f"worker-{round_}.log"]
    workers = [start_worker(env, "--concurrency", "2", log=log) for log in logs]
    try:
        for log in logs:
            wait_ready(log)
        started = time.perf_counter()
        run(["ingest", *map(str, bundles), "--queue", "--quiet"], env)
        while True:
            found = records.all()
            if len(found) == len(bundles) and all(j.state in ("done", "failed") for j in found):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            stop_worker(worker)
    failed = [j for j in found if j.state == "failed"]
    if failed:
        sys.exit(f"{len(failed)} jobs failed, such as: {failed[0].error}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--enqueue", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsreel-queue-bench-") as folder, redis_server() as redis:
        work = Path(folder)
        demo = sorted(write_demo(work / "demo"))
        bundles = copies_of(demo, work / "content", args.copies)
        locals_, queues = [], []
        for round_ in range(args.rounds):
            env = {**os.environ, "NEWSREEL_LIBRARY": str(work / f"library-local-{round_}")}
            locals_.append(run(["ingest", *map(str, bundles), "--jobs", "2", "--quiet"], env))
            redis.command("FLUSHALL")
            queues.append(through_queue(bundles, work, redis.url, round_))
        local, queued = statistics.median(locals_), statistics.median(queues)

        redis.command("FLUSHALL")
        many = copies_of(demo, work / "many", -(-args.enqueue // len(demo)))[:args.enqueue]
        enqueue = run(["ingest", *map(str, many), "--queue", "--quiet"],
                      queue_env(redis.url, work / "library-enqueue"))
        assert len(JobRecords(redis_client(QueueSettings(redis.url))).all()) == len(many)

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{len(bundles)} bundles ({len(demo)} demo bundles x {args.copies}), "
          f"median of {args.rounds} rounds")
    print(f"{'':28}{'seconds':>10}{'bundles/s':>12}")
    print(f"{'local ingest --jobs 2':28}{local:>10.1f}{len(bundles) / local:>12.2f}")
    print(f"{'queue, worker -c 2':28}{queued:>10.1f}{len(bundles) / queued:>12.2f}")
    print(f"rounds, local: {', '.join(f'{t:.1f}' for t in locals_)} s; "
          f"queue: {', '.join(f'{t:.1f}' for t in queues)} s")
    print(f"throughput, queue / local: {local / queued:.2f}x (target: at least 0.9x)")
    print(f"enqueue {len(many)} bundles: {enqueue:.1f} s (target: under 10 s)")


if __name__ == "__main__":
    main()
