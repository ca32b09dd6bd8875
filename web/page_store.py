"""The page cache's store: rendered pages in two LRU segments, every byte held counted once.

A page is first kept on probation. Only a page asked for again moves to the
protected segment, so a flood of URLs asked for once each (``?t=`` with a
thousand values, say) pushes out other pages on probation, never the pages
that are read again and again. This is a segmented LRU (SLRU): it needs no
clock and no counters beyond the two orders, and a page that stops being read
falls back to probation and then out, as in a plain LRU.
"""

from __future__ import annotations

import collections
import hashlib
import threading
import time
from dataclasses import dataclass, field

from web import compression

# What the protected segment may fill of the cache's entries and bytes; the
# rest is room for new pages to prove themselves.
PROTECTED_SHARE = 0.8


@dataclass
class CachedPage:
    """One rendered page: its bytes in each encoding and the headers that go with them."""

    version: int
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    last_modified: int | None
    digest: str = ""
    encoded: dict[str, bytes] = field(default_factory=dict)
    # encodings whose bytes were compressed at the best (slow) level
    best: set[str] = field(default_factory=set)
    # how many times the page was served from the store
    hits: int = 0
    compressible: bool = False

    def __post_init__(self):
        self.digest = hashlib.sha256(self.body).hexdigest()[:20]
        self.encoded["identity"] = self.body
        self.compressible = compression.is_compressible(
            next((value for name, value in self.headers if name.lower() == "content-type"), None))

    def etag(self, encoding: str, best: bool | None = None) -> str:
        """Return the strong ETag of the page's bytes in ``encoding`` (as held now, unless ``best`` says)."""
        if encoding == "identity":
            return f'"{self.digest}"'
        best = encoding in self.best if best is None else best
        # Other bytes, another strong ETag: the best-level copy replaces the fast one.
        return f'"{self.digest}-{encoding}{"-best" if best else ""}"'

    def etags(self) -> tuple[str, ...]:
        """Return the ETags of the copies of this page a client may keep, for If-None-Match and If-Match.

        Every encoding decodes to the same page, so any of them may be kept, but
        not a fast copy once the best one is made: a cache holding it (nginx's
        too) gets the smaller bytes with their own ETag, once.
        """
        return (self.etag("identity"),
                *(self.etag(e, best) for e in compression.ENCODINGS for best in (False, True)
                  if best or e not in self.best))

    @property
    def size(self) -> int:
        """Return the bytes held for this page, in every encoding."""
        return sum(len(body) for body in self.encoded.values())


class Budget:
    """A token bucket of bytes: at most ``burst`` at once and ``rate`` a second after that."""

    def __init__(self, rate: float, burst: float, clock=time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens, self._last = burst, clock()
        self._lock = threading.Lock()

    def take(self, amount: int) -> bool:
        """Spend ``amount`` and return True if the bucket holds that much now; else False."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if amount > self._tokens:
                return False
            self._tokens -= amount
            return True


class PageStore:
    """Pages by key, at most ``entries`` of them and ``max_bytes`` bytes in all their encodings."""

    def __init__(self, entries: int, max_bytes: int):
        self.entries, self.max_bytes = entries, max_bytes
        self._probation: collections.OrderedDict[tuple, CachedPage] = collections.OrderedDict()
        self._protected: collections.OrderedDict[tuple, CachedPage] = collections.OrderedDict()
        self._bytes = self._protected_bytes = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Return the bytes counted for the pages held."""
        return self._bytes

    def pages(self) -> list[CachedPage]:
        """Return the pages held, protected ones last."""
        with self._lock:
            return [*self._probation.values(), *self._protected.values()]

    def clear(self) -> None:
        """Drop every page."""
        with self._lock:
            self._probation.clear()
            self._protected.clear()
            self._bytes = self._protected_bytes = 0

    def get(self, key: tuple) -> CachedPage | None:
        """Return the page held under ``key`` and count the hit; a page on probation is protected now."""
        with self._lock:
            page = self._protected.get(key)
            if page is not None:
                self._protected.move_to_end(key)
            else:
                page = self._probation.pop(key, None)
                if page is None:
                    return None
                self._protected[key] = page
                self._protected_bytes += page.size
                self._demote()
            page.hits += 1
            return page

    def put(self, key: tuple, page: CachedPage) -> None:
        """Hold ``page`` under ``key`` on probation, in place of any page held there before."""
        with self._lock:
            self._drop(key)
            self._probation[key] = page
            self._bytes += page.size
            self._evict()

    def encoded(self, page: CachedPage, encoding: str) -> tuple[bytes, str] | None:
        """Return ``page`` in ``encoding`` and the ETag of those bytes, or None if not made yet."""
        with self._lock:
            body = page.encoded.get(encoding)
            return None if body is None else (body, page.etag(encoding))

    def add_encoding(self, key: tuple, page: CachedPage, encoding: str, body: bytes,
                     best: bool) -> tuple[bytes, str]:
        """Keep ``body`` as ``page`` in ``encoding``, counted if the page is held; return what to send and its ETag.

        A copy another request added meanwhile is kept instead, unless this one is
        the better; a page no longer held gets the bytes but they count nowhere,
        since nothing keeps them after this response.
        """
        with self._lock:
            old = page.encoded.get(encoding)
            if old is not None and (encoding in page.best or not best):
                return old, page.etag(encoding)
            delta = len(body) - len(old or b"")
            page.encoded[encoding] = body
            if best:
                page.best.add(encoding)
            if self._protected.get(key) is page:
                self._bytes += delta
                self._protected_bytes += delta
                self._demote()
                self._evict()
            elif self._probation.get(key) is page:
                self._bytes += delta
                self._evict()
            return body, page.etag(encoding)

    def _drop(self, key: tuple) -> None:
        old = self._probation.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        old = self._protected.pop(key, None)
        if old is not None:
            self._bytes -= old.size
            self._protected_bytes -= old.size

    def _demote(self) -> None:
        """Move the least recently used protected pages back to probation while they fill too much."""
        while len(self._protected) > 1 and (
                len(self._protected) > self.entries * PROTECTED_SHARE
                or self._protected_bytes > self.max_bytes * PROTECTED_SHARE):
            key, page = self._protected.popitem(last=False)
            self._protected_bytes -= page.size
            self._probation[key] = page

    def _evict(self) -> None:
        """Drop pages on probation, least recently used first, then protected ones, until all fits."""
        while self._probation or self._protected:
            if len(self._probation) + len(self._protected) <= self.entries and self._bytes <= self.max_bytes:
                return
            if self._probation:
                self._bytes -= self._probation.popitem(last=False)[1].size
            else:
                page = self._protected.popitem(last=False)[1]
                self._bytes -= page.size
                self._protected_bytes -= page.size
