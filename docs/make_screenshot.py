"""Write docs/article-page.png: the demo's top story as Chromium shows it.

Run from the repository:

    .venv/bin/python docs/make_screenshot.py

It writes the demo bundles and ingests them into a temporary library, serves
the app on 127.0.0.1, and photographs the top of the article page with
Debian's Chromium through Playwright. It needs ffmpeg and /usr/bin/chromium
(bin/install-system-packages installs both). The repository is not touched
except for the PNG, which is replaced whole or not at all.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    # Run as a script, Python puts docs/ on the path, not the repository.
    sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from articles.ingest import ingest_bundle  # noqa: E402
from articles.store import Library  # noqa: E402
from media.demo.bundles import write_demo  # noqa: E402
from media.files import write_bytes_atomic  # noqa: E402

OUTPUT = ROOT / "docs" / "article-page.png"
VIEWPORT = {"width": 1024, "height": 900}
# The flags the browser tests use (tests/conftest.py): no GPU, no network chatter.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
READY = """async () => {
    await document.fonts.ready;
    // Lazy pictures below the fold are never fetched: wait only for those in view.
    const inView = element => element.getBoundingClientRect().top < innerHeight;
    return [...document.images].filter(inView).every(image => image.complete)
        && [...document.querySelectorAll("video")].every(video => video.readyState >= 1);
}"""


def demo_library(folder: Path) -> Library:
    """Write the demo bundles under ``folder``, ingest them and return the library."""
    content = folder / "content"
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write_demo(content)
    library = Library(folder / "library")
    for bundle in sorted(content.iterdir()):
        print(f"ingesting {bundle.name}", file=sys.stderr)
        ingest_bundle(bundle, library)
    return library


@contextlib.contextmanager
def serving(library: Library) -> Iterator[str]:
    """Serve the app over ``library`` on a threaded server on 127.0.0.1; yield its base URL."""
    server = make_server("127.0.0.1", 0, create_app({"LIBRARY": str(library.root)}),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def screenshot(url: str) -> bytes:
    """Return a PNG of the top of the page at ``url``, once its pictures and poster are in."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, reduced_motion="reduce")
            page.goto(url, wait_until="load")
            # The native controls show a spinner until the clip's metadata is in.
            # Polled with evaluate: wait_for_function needs eval, which the CSP forbids.
            for _ in range(100):
                if page.evaluate(READY):
                    break
                page.wait_for_timeout(100)
            else:
                raise TimeoutError(f"{url}: pictures or clip metadata not loaded after 10 s")
            return page.screenshot(full_page=False)
        finally:
            browser.close()


def smaller_png(png: bytes) -> bytes:
    """Return ``png`` with at most 256 colours: a fraction of the size, the same to the eye."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    quantised = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                               dither=Image.Dither.FLOYDSTEINBERG)
    out = io.BytesIO()
    quantised.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    """Photograph the demo's top story and write docs/article-page.png."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with tempfile.TemporaryDirectory(prefix="newsreel-screenshot-") as folder:
        library = demo_library(Path(folder))
        top_story = library.articles()[0].slug
        with serving(library) as base_url:
            png = screenshot(f"{base_url}/articles/{top_story}")
    write_bytes_atomic(OUTPUT, smaller_png(png))
    print(f"{OUTPUT.relative_to(ROOT)}: {OUTPUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
