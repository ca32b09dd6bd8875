"""Media preparation for Newsreel: probe, web-ready clips, posters, photos and the demo.

Usable from any script: nothing here imports Flask or the article library.
"""

__version__ = "0.1.0"
