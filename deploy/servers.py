"""Run the production set-up on one machine: gunicorn with gunicorn.conf.py, nginx with deploy/nginx.conf.

The tests and ``bench/serve_bench.py`` use this to start both on free
loopback ports with their logs, pid files and caches in a temporary folder.
``render_nginx_config`` copies the example configuration, changing only the
site values its header comment names, so what runs is what the repository shows.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
# The example's site values, as deploy/nginx.conf lists them.
EXAMPLE_SERVER_NAME = "news.example"
EXAMPLE_LISTEN = "127.0.0.1:8080"
EXAMPLE_UPSTREAM = "127.0.0.1:8000"
EXAMPLE_APP = "/srv/newsreel/app"
EXAMPLE_LIBRARY = "/srv/newsreel/library"
MEDIA_MODES = {"direct": "media-direct.conf", "handoff": "media-handoff.conf"}


class ServerError(RuntimeError):
    """A server did not start, with the end of its log."""


@dataclass(frozen=True)
class Site:
    """The values of one site: nginx's address, gunicorn's, the checkout, the library and the site's name."""

    listen: str
    upstream: str
    app_root: Path
    library: Path
    media: str = "direct"
    server_name: str = EXAMPLE_SERVER_NAME


def render_nginx_config(site: Site, conf_dir: Path, user: str | None = None) -> Path:
    """Write deploy/*.conf with the site's values into ``conf_dir``; return the main file.

    :raises ServerError: an example value is missing, so the example changed and this did not.
    """
    conf_dir.mkdir(parents=True, exist_ok=True)
    replacements = {EXAMPLE_SERVER_NAME: site.server_name, EXAMPLE_LISTEN: site.listen, EXAMPLE_UPSTREAM: site.upstream,
                    EXAMPLE_APP: str(site.app_root), EXAMPLE_LIBRARY: str(site.library)}
    seen = set()
    for source in sorted(DEPLOY.glob("*.conf")):
        text = source.read_text(encoding="utf-8")
        for old, new in replacements.items():
            if old in text:
                seen.add(old)
                text = text.replace(old, new)
        if source.name == "nginx.conf":
            if f"include {MEDIA_MODES['direct']};" not in text:
                raise ServerError("deploy/nginx.conf no longer includes media-direct.conf")
            text = text.replace(f"include {MEDIA_MODES['direct']};", f"include {MEDIA_MODES[site.media]};")
            if user:
                text = f"user {user};\n{text}"
        (conf_dir / source.name).write_text(text, encoding="utf-8")
    if seen != set(replacements):
        raise ServerError(f"deploy/*.conf lacks the example values {sorted(set(replacements) - seen)}")
    return conf_dir / "nginx.conf"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_binary() -> str | None:
    """Return the nginx executable, which Debian keeps in /usr/sbin, or None."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)


class Server:
    """A server process started by this module, stopped with ``stop()`` or as a context manager."""

    process: subprocess.Popen
    log: Path
    url: str
    # The Host to ask with: the site's name, which nginx and the app answer to.
    host: str | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def log_tail(self, lines: int = 30) -> str:
        """Return the last lines of the server's log."""
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_until_serving(self, path: str = "/", timeout: float = 60) -> None:
        """Return once ``path`` answers; raise ServerError when the process ends or never answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.process.args[:3]} exited with {self.process.returncode}:\n"
                                  + self.log_tail())
            try:
                request = urllib.request.Request(self.url + path, headers={"Host": self.host} if self.host else {})
                with urllib.request.urlopen(request, timeout=5) as response:
                    response.read()
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.05)
        raise ServerError(f"{self.url} did not answer:\n" + self.log_tail())

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


class Gunicorn(Server):
    """``gunicorn 'app:create_app()'`` from the checkout, so that it reads gunicorn.conf.py.

    The app's SITE_URL is the example site's, http://news.example, unless ``env``
    names another; ``wait_until_serving`` asks with its host. ``app`` names
    another WSGI app; ``command`` replaces the whole command line (bin/serve).
    """

    def __init__(self, library: Path, folder: Path, env: dict | None = None, port: int = 0,
                 app: str = "app:create_app()", command: list[str] | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        self.log, self.access_log = folder / "gunicorn.log", folder / "access.log"
        environment = {"NEWSREEL_SITE_URL": f"http://{EXAMPLE_SERVER_NAME}", **os.environ,
                       "NEWSREEL_LIBRARY": str(library),
                       "NEWSREEL_BIND": f"127.0.0.1:{port}", "NEWSREEL_ERROR_LOG": str(self.log),
                       "NEWSREEL_ACCESS_LOG": str(self.access_log), **(env or {})}
        # Messages from before gunicorn sets up its log (a bad setting) go to the same file.
        with open(self.log, "ab") as early:
            self.process = subprocess.Popen(command or [sys.executable, "-m", "gunicorn", app],
                                            cwd=ROOT, env=environment, stdin=subprocess.DEVNULL,
                                            stdout=early, stderr=early)
        self.port = self._listening_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.host = urllib.parse.urlsplit(environment.get("NEWSREEL_SITE_URL") or "").netloc or None

    def _listening_port(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.log_tail(200))
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with {self.process.returncode}:\n" + self.log_tail())
            time.sleep(0.05)
        raise ServerError("gunicorn never said where it listens:\n" + self.log_tail())

    def worker_pids(self) -> set[int]:
        """Return the pids of the master's worker processes."""
        workers = set()
        for entry in Path("/proc").iterdir():
            try:
                # The parent pid is the second field after the parenthesised command name.
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.process.pid:
                workers.add(int(entry.name))
        return workers


class Nginx(Server):
    """nginx in the foreground with a rendered deploy/nginx.conf; pid, logs and caches under ``folder``."""

    def __init__(self, site: Site, folder: Path):
        binary = nginx_binary()
        if binary is None:
            raise ServerError("nginx is not installed (bin/install-system-packages installs it)")
        prefix = folder / "prefix"
        for sub in ("logs", "tmp"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        # Workers that drop to "nobody" could not read a library only its owner may open.
        user = "root" if os.geteuid() == 0 else None
        conf = render_nginx_config(site, folder / "conf", user=user)
        self.log = prefix / "logs" / "error.log"
        self.prefix = prefix
        self.url = f"http://{site.listen}"
        self.host = site.server_name
        self.process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(conf), "-e", str(self.log), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self, sig: int = signal.SIGQUIT) -> None:
        """Stop nginx gracefully (SIGQUIT lets workers finish their requests)."""
        super().stop(sig)
