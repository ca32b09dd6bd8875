"""Clips: web-ready MP4 (remux or transcode), loudness, posters, sound detection, MP4 layout."""
