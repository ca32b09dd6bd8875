"""Throwaway PostgreSQL, Redis and S3-compatible servers for tests, on loopback, in temporary folders.

Each server is started by the test that needs it, on a free port of
127.0.0.1, with its data in a folder of its own that is removed when it
stops; nothing is shared with a server the machine may already run, and no
container is involved. Both can be restarted in place, to test what
survives a restart.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

START_SECONDS = 30


class ServiceError(RuntimeError):
    """A test server is not installed or did not start."""


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin() -> Path:
    """Return the folder of Debian's PostgreSQL server programs (the newest installed).

    :raises ServiceError: when PostgreSQL is not installed.
    """
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0)
    if not found:
        raise ServiceError("PostgreSQL is not installed (bin/install-system-packages installs "
                           "the Debian package postgresql)")
    return found[-1].parent


def _wait(ready, what: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    raise ServiceError(f"{what} did not start within {START_SECONDS} s")


def stop_process(process: subprocess.Popen | None) -> None:
    """Ask a server process to end (SIGTERM) and wait until it has."""
    if process is not None:
        process.terminate()
        process.wait(timeout=60)


@dataclass
class PostgresServer:
    """A PostgreSQL cluster of its own: its folder, port and the user its programs run as."""

    bin: Path
    data: Path
    port: int
    as_user: list[str]
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Return the URL a client connects with (trust authentication on loopback)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        # fsync off: a test cluster need not survive a power cut, and it is several times faster.
        self.process = subprocess.Popen(
            [*self.as_user, str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-k", str(self.data), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda: subprocess.run(
            [str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            check=False).returncode == 0, "PostgreSQL")

    def stop(self) -> None:
        if self.process is None:
            return
        subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "stop",
                        "-m", "fast", "-w"], check=False, capture_output=True, timeout=60)
        self.process.wait(timeout=60)
        self.process = None

    def restart(self) -> None:
        """Stop the server and start it again on the same folder and port."""
        self.stop()
        self.start()

    def sql(self, statement: str) -> str:
        """Return what psql prints for ``statement``: unaligned rows, no headers."""
        done = subprocess.run([str(self.bin / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                               "-d", "postgres", "-c", statement],
                              capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise ServiceError(f"psql: {done.stderr.strip()}")
        return done.stdout.strip()


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Yield a running PostgreSQL server; stop it and remove its folder afterwards.

    initdb refuses to run as root, so as root the cluster belongs to Debian's
    ``postgres`` user, and its folder is one that user can reach.
    """
    bin_dir = postgres_bin()
    base = Path(tempfile.mkdtemp(prefix="newsreel-postgres-"))
    base.chmod(0o755)
    data = base / "data"
    data.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(bin_dir, data, free_port(), as_user)
    try:
        subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "--auth=trust",
                        "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"],
                       check=True, capture_output=True, timeout=120)
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class RedisServer:
    """A Redis server of its own: its folder and port; appendonly, so queued data outlives a restart."""

    binary: str
    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Return the URL a client connects with."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda: self._ping(), "Redis")

    def _ping(self) -> bool:
        try:
            return self.command("PING") == "PONG"
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def restart(self) -> None:
        """Stop the server (as a service manager does, with SIGTERM) and start it again."""
        self.stop()
        self.start()

    def command(self, *words: str) -> str:
        """Send one command and return its reply as text (a status, a number or a string)."""
        # RESP, the protocol's own framing: an array of bulk strings out; one line,
        # or a line giving a length and that many bytes, back.
        parts = [f"*{len(words)}\r\n"] + [f"${len(w.encode())}\r\n{w}\r\n" for w in words]
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as connection, \
                connection.makefile("rb") as replies:
            connection.sendall("".join(parts).encode())
            line = replies.readline().decode().rstrip("\r\n")
            kind, body = line[:1], line[1:]
            if kind == "-":
                raise ServiceError(f"redis: {body}")
            if kind == "$":
                length = int(body)
                return "" if length < 0 else replies.read(length + 2)[:-2].decode()
            return body


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """Yield a running Redis server; stop it and remove its folder afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError("redis-server is not installed (bin/install-system-packages installs "
                           "the Debian package redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="newsreel-redis-"))
    server = RedisServer(binary, folder, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class S3Server:
    """An S3-compatible server of its own on a loopback port (moto's standalone server).

    Its buckets live in the process's memory, so they go when it stops.
    ``cors`` answers every origin's request, as a bucket whose CORS rule
    allows them all would; the server applies bucket CORS rules to
    preflight requests only, so a test of cross-origin loading needs it.
    """

    port: int
    cors: bool = False
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Return the endpoint URL a client connects to (NEWSREEL_S3_ENDPOINT_URL)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        environment = {**os.environ, "MOTO_DISABLE_GLOBAL_CORS": "" if self.cors else "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
        _wait(self._answers, "The S3 server")

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise ServiceError(f"the S3 server exited with status {self.process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None


# Any key works with the test server; boto3 signs with them all the same (signature v4).
S3_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "newsreel-test", "AWS_SECRET_ACCESS_KEY": "newsreel-test-secret",
                       "AWS_DEFAULT_REGION": "us-east-1"}


@contextlib.contextmanager
def s3_server(cors: bool = False) -> Iterator[S3Server]:
    """Yield a running S3-compatible server (``python -m moto.server``); stop it afterwards.

    :raises ServiceError: moto's server is not installed (requirements-dev.txt) or did not start.
    """
    if importlib.util.find_spec("moto") is None:
        raise ServiceError("moto's server is not installed (pip install -r requirements-dev.txt)")
    server = S3Server(free_port(), cors)
    try:
        server.start()
        yield server
    finally:
        server.stop()
