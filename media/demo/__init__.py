"""The demo: original article bundles with generated clips, captions and photos."""
