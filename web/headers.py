"""Security headers on every response, and the limits that refuse oversized or malformed requests."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, current_app, request

_DIRECTIVES = (
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    "media-src 'self'", "font-src 'self'", "connect-src 'self'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(_DIRECTIVES)
EMBED_PREFIX = "/embed/"


REFERRER_POLICY = "strict-origin-when-cross-origin"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def register(app: Flask) -> None:
    """Refuse bad requests before any view runs, and add the security headers to every response."""
    app.before_request(_refuse_bad_requests)
    app.after_request(add_security_headers)


def security_headers(path: str, config) -> dict[str, str]:
    """Return the security headers for a response to ``path``."""
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": REFERRER_POLICY,
               "Permissions-Policy": PERMISSIONS_POLICY}
    if path.startswith(EMBED_PREFIX):
        ancestors = config["EMBED_FRAME_ANCESTORS"]
        # X-Frame-Options cannot name origins, and a browser that reads it would
        # refuse the frames the policy allows, so embeds rely on the CSP alone.
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "frame-ancestors 'none'", f"frame-ancestors {ancestors}")
    else:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Frame-Options"] = "DENY"
    if config["HSTS_SECONDS"]:
        value = f"max-age={int(config['HSTS_SECONDS'])}"
        if config["HSTS_INCLUDE_SUBDOMAINS"]:
            value += "; includeSubDomains"
        headers["Strict-Transport-Security"] = value
    return headers


def add_security_headers(response):
    """Set the security headers on a response (pages, errors, static files, media, 304s)."""
    response.headers.update(security_headers(request.path, current_app.config))
    return response


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
