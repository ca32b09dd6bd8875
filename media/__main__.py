"""``python -m media``: the media command-line tool."""

from .cli import main

main()
