"""Media preparation for Newsreel: probe, web-ready clips, posters, photos, the CLI.

Usable from any script: nothing here imports Flask.
"""

__version__ = "0.1.0"
