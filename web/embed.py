"""The embed pages."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add the embed routes."""
