"""Workers and commands of the ingest queue as real processes, for the queue tests and the benchmark."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def queue_env(redis_url: str, library: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a command that uses the queue at ``redis_url`` and ``library``."""
    return {**os.environ, "NEWSREEL_QUEUE_URL": redis_url, "NEWSREEL_LIBRARY": str(library),
            **extra}


def media(argv: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m media ARGV`` and return its result."""
    return subprocess.run([sys.executable, "-m", "media", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def start_worker(env: dict[str, str], *options: str, log: Path | None = None) -> subprocess.Popen:
    """Start ``python -m media worker`` in a session of its own, so it can be killed with its children."""
    out = log.open("ab") if log else subprocess.DEVNULL
    try:
        return subprocess.Popen([sys.executable, "-m", "media", "worker", *options], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        if log:
            out.close()


def stop_worker(process: subprocess.Popen) -> None:
    """Stop a worker as a service manager does (SIGTERM), killing it and its children if it lingers."""
    if process.poll() is None:
        with _quiet():
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    kill_worker(process)


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL a worker and every process it started, as when its machine loses power."""
    with _quiet():
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, kind, _value, _tb):
        return kind is ProcessLookupError


def jobs(env: dict[str, str]) -> list[dict]:
    """Return ``python -m media jobs --json``."""
    result = media(["jobs", "--json"], env, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wait_for_jobs(env: dict[str, str], states: set[str], count: int, timeout: float = 300,
                  workers: tuple[subprocess.Popen, ...] = ()) -> list[dict]:
    """Wait until ``count`` jobs are all in ``states``; return them."""
    deadline = time.monotonic() + timeout
    while True:
        found = jobs(env)
        if len(found) == count and all(job["state"] in states for job in found):
            return found
        for worker in workers:
            assert worker.poll() is None, f"a worker ended with code {worker.returncode}"
        assert time.monotonic() < deadline, f"jobs never reached {states}: {found}"
        time.sleep(0.5)
