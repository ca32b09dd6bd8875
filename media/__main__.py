"""``python -m media``: the program; it runs the whole command line, which is assembled in ``cli``.

The one import from a higher layer, allowed by the contract in pyproject.toml:
the program keeps its name, while the commands that act on the library live
above ``articles``.
"""

from cli.main import main

main()
