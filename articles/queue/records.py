"""Job records in Redis: one hash per job, plus an index ordered by when each was enqueued.

The records are for people (``python -m media jobs``); the Celery messages
are what carry the work. The enqueuer writes a record before it sends the
message, and the worker running the job updates it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields

import redis

PREFIX = "newsreel:job:"
INDEX = "newsreel:jobs"
STATES = ("queued", "running", "done", "failed")
# A job enqueued again while one of these holds it is the same job.
PENDING = ("queued", "running")


@dataclass(frozen=True)
class Job:
    """One job as ``jobs`` shows it."""

    id: str
    state: str
    bundle: str           # the folder it was enqueued from
    slug: str
    bundle_hash: str
    enqueued_at: float
    started_at: float | None = None
    finished_at: float | None = None
    attempts: int = 0     # how many times a worker started it
    worker: str = ""
    error: str = ""       # the one-line reason it failed, or why it is being retried
    progress: str = ""    # the step a running job is on
    skipped: bool = False  # done, with nothing to do: the article was already up to date

    def to_json(self) -> dict:
        """Return the fields ``jobs --json`` prints."""
        return asdict(self)


def _encode(values: dict) -> dict[str, str]:
    return {key: ("" if value is None else str(int(value)) if isinstance(value, bool) else str(value))
            for key, value in values.items()}


def _decode(data: dict[str, str]) -> Job:
    values: dict = {}
    for field in fields(Job):
        text = data.get(field.name, "")
        if field.name in ("started_at", "finished_at", "enqueued_at"):
            values[field.name] = float(text) if text else None
        elif field.name == "attempts":
            values[field.name] = int(text or 0)
        elif field.name == "skipped":
            values[field.name] = text == "1"
        else:
            values[field.name] = text
    return Job(**values)


class JobRecords:
    """The job records in one Redis database.

    With ``patience`` (a worker's), a write waits up to that many seconds
    for a Redis that is restarting rather than fail the job over it.
    """

    def __init__(self, client: redis.Redis, patience: float = 0.0):
        self.client = client
        self.patience = patience

    def _write(self, write):
        deadline = time.monotonic() + self.patience
        while True:
            try:
                return write()
            except (redis.ConnectionError, redis.TimeoutError):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.5)

    def create(self, job: Job) -> bool:
        """Record a new queued job; return False, changing nothing, if it is already queued or running."""
        key = PREFIX + job.id
        with self.client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    if pipe.hget(key, "state") in PENDING:
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    pipe.delete(key)
                    pipe.hset(key, mapping=_encode(asdict(job)))
                    pipe.zadd(INDEX, {job.id: job.enqueued_at})
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def started(self, job_id: str, worker: str) -> None:
        """Mark a job running on ``worker``."""
        key = PREFIX + job_id

        def write():
            with self.client.pipeline() as pipe:
                pipe.hset(key, mapping=_encode({"state": "running", "worker": worker,
                                                "started_at": time.time(), "progress": ""}))
                pipe.hincrby(key, "attempts", 1)
                pipe.execute()
        self._write(write)

    def progress(self, job_id: str, text: str) -> None:
        """Note the step a running job is on; only a note, so a Redis that is away is not waited for."""
        try:
            self.client.hset(PREFIX + job_id, "progress", text)
        except (redis.ConnectionError, redis.TimeoutError):
            pass

    def retrying(self, job_id: str, error: str) -> None:
        """Mark a job queued again after ``error``."""
        self._write(lambda: self.client.hset(PREFIX + job_id, mapping=_encode(
            {"state": "queued", "error": error, "progress": ""})))

    def finished(self, job_id: str, skipped: bool) -> None:
        """Mark a job done."""
        self._write(lambda: self.client.hset(PREFIX + job_id, mapping=_encode({
            "state": "done", "finished_at": time.time(), "error": "", "progress": "",
            "skipped": skipped})))

    def failed(self, job_id: str, error: str) -> None:
        """Mark a job failed, with the one-line reason."""
        self._write(lambda: self.client.hset(PREFIX + job_id, mapping=_encode({
            "state": "failed", "finished_at": time.time(), "error": error, "progress": ""})))

    def get(self, job_id: str) -> Job | None:
        """Return one job, or None."""
        data = self.client.hgetall(PREFIX + job_id)
        return _decode(data) if data else None

    def all(self) -> list[Job]:
        """Return every recorded job, oldest enqueued first."""
        ids = self.client.zrange(INDEX, 0, -1)
        with self.client.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.hgetall(PREFIX + job_id)
            found = pipe.execute()
        return [_decode(data) for data in found if data]
