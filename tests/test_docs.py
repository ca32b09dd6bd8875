"""The README stays in step with the CLI and the scripts it names."""

from __future__ import annotations

import os
import re

import click
import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _command_names() -> list[str]:
    """Return every runnable command, with a group's commands as "group command"."""
    names = []
    for name, command in sorted(cli.commands.items()):
        if isinstance(command, click.Group):
            names += [f"{name} {sub}" for sub in sorted(command.commands)]
        else:
            names.append(name)
    return names


@pytest.mark.parametrize("name", _command_names())
def test_every_command_has_a_readme_section_with_its_help_example(name):
    assert f"### python -m media {name}\n" in README
    result = CliRunner().invoke(cli, [*name.split(), "--help"], prog_name="python -m media")
    assert result.exit_code == 0
    examples = re.findall(r"Example:\n((?:\s+python -m media .+\n)+)", result.output)
    assert examples, f"{name} --help shows no example"
    for line in examples[0].splitlines():
        assert line.strip() in README, line


def test_readme_names_the_two_setup_commands_and_they_exist():
    for script in ("bin/run", "bin/test"):
        assert f"```sh\n{script}\n```" in README
        assert os.access(ROOT / script, os.X_OK)
    assert "bin/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("field", ["title", "slug", "published", "language", "summary", "top",
                                   "video.source", "video.title", "video.credit", "video.poster_alt", "video.poster_at",
                                   "video.captions", "video.captions[].kind", "strict", "translations", "images", "images[].alt", "images[].credit", "images[].focus",
                                   "related"])
def test_every_front_matter_field_is_documented(field):
    assert f"| `{field}` |" in README


def test_requirements_are_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r ")):
                assert "==" in line, f"{name}: {line}"
