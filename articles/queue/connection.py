"""The queue's settings, its Redis client and the Celery app, all from NEWSREEL_QUEUE_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import redis
from celery import Celery

from articles.errors import ArticleError

QUEUE_URL = "NEWSREEL_QUEUE_URL"
VISIBILITY_TIMEOUT = "NEWSREEL_QUEUE_VISIBILITY_TIMEOUT"
# A job taken by a worker that then vanishes (SIGKILL, power cut) is handed to
# another worker once it has been unacknowledged this long. It must be longer
# than a healthy job can take, or a second worker starts a job the first is
# still doing (harmless, as jobs are idempotent, but twice the work): run_tool
# lets one ffmpeg run last up to 20 x the clip's length, at most 6 hours, and
# the longest clip --max-duration allows by default (900 s) reaches 5 hours
# for its main transcode alone. 8 hours covers that and the job's other steps;
# the price is that a lost worker's job waits that long. A newsroom whose
# clips are short sets a shorter NEWSREEL_QUEUE_VISIBILITY_TIMEOUT.
DEFAULT_VISIBILITY_TIMEOUT = 8 * 3600
QUEUE_NAME = "newsreel-ingest"
TASK_NAME = "newsreel.ingest"
# Connecting to a Redis that is down should fail in seconds, not hang the command.
CONNECT_SECONDS = 5


class QueueError(ArticleError):
    """The queue is not configured, not reachable, or a job cannot be handled; ``str()`` is one line."""


@dataclass(frozen=True)
class QueueSettings:
    """Where the broker is and how long an unacknowledged job waits before another worker takes it."""

    url: str
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT

    @property
    def shown_url(self) -> str:
        """Return the URL without its password, for messages."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.rpartition("@")[2]
        user = f"{parts.username}:***@" if parts.username else ":***@"
        return urlunsplit(parts._replace(netloc=user + netloc))


def queue_settings(environ: dict | None = None) -> QueueSettings:
    """Return the queue settings from NEWSREEL_QUEUE_URL and NEWSREEL_QUEUE_VISIBILITY_TIMEOUT.

    :raises QueueError: the URL is unset or not a redis:// URL, or the timeout is not a positive number.
    """
    environ = os.environ if environ is None else environ
    url = (environ.get(QUEUE_URL) or "").strip()
    if not url:
        raise QueueError(f"{QUEUE_URL} is not set: set it to the Redis broker, such as "
                         "redis://localhost:6379/0")
    if urlsplit(url).scheme not in ("redis", "rediss"):
        raise QueueError(f"{QUEUE_URL} {url!r}: give a redis:// (or rediss://) URL")
    text = environ.get(VISIBILITY_TIMEOUT) or str(DEFAULT_VISIBILITY_TIMEOUT)
    try:
        timeout = float(text)
    except ValueError:
        timeout = float("nan")
    if not timeout > 0 or timeout == float("inf"):
        raise QueueError(f"{VISIBILITY_TIMEOUT} {text!r}: give a number of seconds above 0")
    return QueueSettings(url, timeout)


def redis_client(settings: QueueSettings) -> redis.Redis:
    """Return a Redis client for job records, having checked that the server answers.

    :raises QueueError: Redis cannot be reached, in one line naming the URL.
    """
    client = redis.Redis.from_url(settings.url, decode_responses=True,
                                  socket_connect_timeout=CONNECT_SECONDS,
                                  socket_timeout=CONNECT_SECONDS * 6, health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as error:
        raise unreachable(settings, error) from None
    return client


def unreachable(settings: QueueSettings, error: Exception) -> QueueError:
    """Return the one-line error for a Redis that does not answer."""
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return QueueError(f"{QUEUE_URL} {settings.shown_url}: cannot reach Redis: {reason}")


def celery_app(settings: QueueSettings) -> Celery:
    """Return a Celery app on the broker of ``settings`` (``jobs.queue_app`` adds the ingest task)."""
    app = Celery("newsreel", broker=settings.url, set_as_current=False)
    # The sweep that hands a lost worker's job on runs this often, so a job
    # waits at most about visibility_timeout plus this.
    restore_every = max(1, min(10, int(settings.visibility_timeout // 4)))
    app.conf.update(
        # Acknowledged only when finished: a worker that dies mid-job leaves
        # the message in Redis for another worker, and one that is killed by
        # a signal (task_reject_on_worker_lost) hands it back at once.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One job at a time per process: a worker never holds a second job
        # that another, idle worker could have started.
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE_NAME,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,   # the job records in Redis say how each ended
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a restarted Redis is waited for, not given up on
        # A job running while Redis restarts goes on; its message is then
        # acknowledged or, if that fails, run again and found done.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            "unacked_restore_interval": restore_every,
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": CONNECT_SECONDS,
        },
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    return app
