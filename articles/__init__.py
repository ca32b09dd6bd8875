"""Article bundles, the library they are ingested into, and the ingest pipeline.

No Flask here: the web app and the media CLI both call these functions.
"""
