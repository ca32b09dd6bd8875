"""Security headers on every response, and the limits that refuse oversized or malformed requests."""

from __future__ import annotations

import functools
import re
from urllib.parse import SplitResult, unquote_to_bytes, urlsplit

from flask import Flask, abort, current_app, request
from werkzeug.sansio.utils import host_is_trusted

from web.errors import WebError

_DIRECTIVES = (
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    "media-src 'self'", "font-src 'self'", "connect-src 'self'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(_DIRECTIVES)
# Where media load from, besides the site: posters and photos (img-src), clips and
# their <track>s (media-src, which covers text tracks too).
_MEDIA_DIRECTIVES = ("img-src 'self'", "media-src 'self'")
EMBED_PREFIX = "/embed/"


REFERRER_POLICY = "strict-origin-when-cross-origin"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Error pages describe one request at one moment: no cache keeps them.
ERROR_CACHE_CONTROL = "no-store"
UNTRUSTED_HOST = "This site does not answer to that host name."


class SiteUrlError(WebError, ValueError):
    """SITE_URL is not an http(s) address of a host alone."""


class FrameAncestorsError(WebError, ValueError):
    """EMBED_FRAME_ANCESTORS is not one CSP source list."""


def register(app: Flask) -> None:
    """Check the site's address, refuse bad requests before any view runs, and add the security headers.

    :raises SiteUrlError: SITE_URL cannot be used.
    :raises FrameAncestorsError: EMBED_FRAME_ANCESTORS cannot be used.
    """
    configure_site(app.config)
    app.before_request(_refuse_bad_requests)
    app.after_request(add_security_headers)


def configure_site(config) -> None:
    """Normalise SITE_URL to ``scheme://host[:port]`` and add its host to TRUSTED_HOSTS.

    Flask refuses hosts outside TRUSTED_HOSTS itself; with the site's own host
    in that list, it and ``request_problem`` answer the same hosts.

    :raises SiteUrlError: SITE_URL cannot be used.
    :raises FrameAncestorsError: EMBED_FRAME_ANCESTORS cannot be used.
    """
    ancestors = config["EMBED_FRAME_ANCESTORS"]
    if (not ancestors or not isinstance(ancestors, str) or not ancestors.isascii()
            or re.search(r"[;,\x00-\x1f\x7f]", ancestors)):
        # A ";" would end the directive and start another one in the policy; a header
        # is ASCII, so a host name in another script is written in its xn-- form.
        raise FrameAncestorsError(f"EMBED_FRAME_ANCESTORS must be one CSP source list such as "
                           f"'https://partner.example https://other.example', not {ancestors!r}")
    value = config["SITE_URL"]
    if not value:
        config["SITE_URL"] = None
        return
    site = site_url(value)
    config["SITE_URL"] = site
    host = urlsplit(site).hostname
    trusted = config["TRUSTED_HOSTS"]
    if isinstance(trusted, str):
        trusted = [trusted]
    config["TRUSTED_HOSTS"] = [*(trusted or []), *([] if host in (trusted or []) else [host])]


def http_address(value) -> SplitResult | None:
    """Return the parts of an http(s) address with a host and no user, query or fragment, else None."""
    try:
        parts = urlsplit(str(value).strip())
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        return None
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query
            or parts.fragment or "@" in parts.netloc):
        return None
    return parts


def site_url(value) -> str:
    """Return SITE_URL as ``scheme://host[:port]`` in lower case.

    :raises SiteUrlError: it is not an http or https address of a host alone.
    """
    problem = (f"SITE_URL (NEWSREEL_SITE_URL) must be the site's public address, scheme and host "
               f"such as https://news.example, not {value!r}")
    parts = http_address(value)
    if parts is None or parts.path not in ("", "/") or not host_is_trusted(parts.netloc.lower()):
        raise SiteUrlError(problem)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def security_headers(path: str, config) -> dict[str, str]:
    """Return the security headers for a response to ``path``."""
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": REFERRER_POLICY,
               "Permissions-Policy": PERMISSIONS_POLICY}
    policy = content_security_policy(config["MEDIA_URL"])
    if path.startswith(EMBED_PREFIX):
        ancestors = config["EMBED_FRAME_ANCESTORS"]
        # X-Frame-Options cannot name origins, and a browser that reads it would
        # refuse the frames the policy allows, so embeds rely on the CSP alone.
        headers["Content-Security-Policy"] = policy.replace(
            "frame-ancestors 'none'", f"frame-ancestors {ancestors}")
    else:
        headers["Content-Security-Policy"] = policy
        headers["X-Frame-Options"] = "DENY"
    if config["HSTS_SECONDS"]:
        value = f"max-age={int(config['HSTS_SECONDS'])}"
        if config["HSTS_INCLUDE_SUBDOMAINS"]:
            value += "; includeSubDomains"
        headers["Strict-Transport-Security"] = value
    return headers


@functools.lru_cache(maxsize=8)
def content_security_policy(media_url: str | None) -> str:
    """Return the policy, allowing images and media from MEDIA_URL's origin when it is set."""
    origin = media_origin(media_url)
    if origin is None:
        return CONTENT_SECURITY_POLICY
    policy = CONTENT_SECURITY_POLICY
    for directive in _MEDIA_DIRECTIVES:
        policy = policy.replace(directive, f"{directive} {origin}")
    return policy


def media_origin(media_url: str | None) -> str | None:
    """Return ``scheme://host[:port]`` of MEDIA_URL, or None when media are served by the site."""
    if not media_url:
        return None
    parts = urlsplit(media_url)
    return f"{parts.scheme}://{parts.netloc}"


def add_security_headers(response):
    """Set the security headers on a response (pages, errors, redirects, static files, media, 304s)."""
    response.headers.update(security_headers(request.path, current_app.config))
    if 300 <= response.status_code < 400 and response.status_code != 304:
        _site_relative_redirect(response)
    return response


def _site_relative_redirect(response) -> None:
    """Make a redirect's address name no host, and keep the redirect out of every cache.

    Werkzeug writes the Host the client sent into the redirects it makes (a
    merged "//" in a path), which may be an alias or carry a port; the
    site-relative form is right wherever the page was asked for.
    """
    location = response.headers.get("Location")
    if location:
        parts = urlsplit(location)
        if parts.netloc and parts.netloc == request.host:
            # One leading "/": "//x" would name the host x.
            response.headers["Location"] = "/" + parts._replace(scheme="", netloc="").geturl().lstrip("/")
    response.headers.setdefault("Cache-Control", ERROR_CACHE_CONTROL)


def request_problem(environ: dict, config) -> str | None:
    """Return why a request must be refused with a 400, or None when it is acceptable."""
    query = environ.get("QUERY_STRING", "")
    if len(query) > config["MAX_QUERY_BYTES"]:
        return "The address is too long."
    if query and not _query_is_wellformed(query):
        return "The address has a malformed query string."
    count = 0
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            count += 1
            if len(value) > config["MAX_HEADER_BYTES"]:
                return "A request header is too long."
    if count > config["MAX_HEADERS"]:
        return "The request has too many headers."
    if len(environ.get("HTTP_RANGE", "")) > config["MAX_RANGE_HEADER_BYTES"]:
        return "The Range header is too long."
    return host_problem(environ, config["TRUSTED_HOSTS"])


def host_problem(environ: dict, trusted: list[str] | None) -> str | None:
    """Return why the request's Host cannot be answered, or None.

    The checks are Werkzeug's, which Flask applies with TRUSTED_HOSTS: its host
    name must be one of them (in any port) when they are set.
    """
    host = environ.get("HTTP_HOST")
    if host is None:
        if environ.get("SERVER_PROTOCOL") not in ("HTTP/1.0", "HTTP/0.9"):
            # RFC 9112, 3.2: an HTTP/1.1 request without Host must be answered with 400.
            return "The request has no Host header."
        # Flask would take the server's own address instead, which is no name of the site.
        return UNTRUSTED_HOST if trusted else None
    if not host_is_trusted(host):
        return "The Host header is not a valid host name."
    if trusted and not host_is_trusted(host, trusted):
        return UNTRUSTED_HOST
    return None


def _query_is_wellformed(query: str) -> bool:
    """Return True for a query of valid percent-escapes that decode to UTF-8 text without controls."""
    if _BAD_PERCENT.search(query):
        return False
    try:
        # WSGI hands the query over as latin-1 decoded bytes.
        raw = query.encode("latin-1")
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return not _CONTROL.search(text)


def _refuse_bad_requests():
    problem = request_problem(request.environ, current_app.config)
    if problem:
        abort(400, description=problem)
