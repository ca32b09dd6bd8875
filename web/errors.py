"""The root of the web package's errors: a setting the app cannot run with, or a request it refuses."""

from __future__ import annotations


class WebError(Exception):
    """A setting or a request the web app cannot serve; ``str()`` is one line."""
