"""The command line, ``python -m media`` and ``flask --app app media``: media, captions and the library."""
