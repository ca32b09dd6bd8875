"""The README and docs/ stay in step with the CLI, the bundle format and the scripts they name."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from web.settings import APP_DEFAULTS, SERVER_DEFAULTS

DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_REFERENCE = (DOCS / "cli.md").read_text(encoding="utf-8")
BUNDLES = (DOCS / "bundles.md").read_text(encoding="utf-8")
SCREENSHOT = DOCS / "article-page.png"
MAKE_CLI_REFERENCE = ".venv/bin/python docs/make_cli_reference.py"


def _load_reference_script():
    """Return docs/make_cli_reference.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("make_cli_reference",
                                                  DOCS / "make_cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = _load_reference_script()
# The script names the command line's module; the tests follow it there.
CLI = REFERENCE.command_line


def _command_names() -> list[str]:
    """Return every runnable command, with a group's commands as "group command"."""
    names = []
    for name, command in sorted(CLI.commands.items()):
        if isinstance(command, click.Group):
            names += [f"{name} {sub}" for sub in sorted(command.commands)]
        else:
            names.append(name)
    return names


def _without_code(markdown: str) -> str:
    """Return ``markdown`` without its fenced code blocks."""
    return re.sub(r"^```.*?^```$", "", markdown, flags=re.MULTILINE | re.DOTALL)


def _anchors(markdown: str) -> set[str]:
    """Return the anchors GitHub gives the headings of ``markdown``."""
    headings = re.findall(r"^#+ (.+)$", _without_code(markdown), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in headings}


def _local_links(markdown: str) -> list[str]:
    """Return the targets of the links in ``markdown`` that are not to other sites."""
    targets = re.findall(r"\]\(([^)\s]+)\)", _without_code(markdown))
    return [t for t in targets if not re.match(r"[a-z]+:", t)]


def _broken_links(page: Path) -> list[str]:
    """Return the links of a Markdown page whose file or heading does not exist."""
    broken = []
    for target in _local_links(page.read_text(encoding="utf-8")):
        name, _, anchor = target.partition("#")
        linked = (page.parent / name).resolve() if name else page
        if not linked.is_file():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(
                linked.read_text(encoding="utf-8")):
            broken.append(target)
    return broken


@pytest.mark.parametrize("name", _command_names())
def test_every_command_has_a_cli_reference_section_with_its_help_example(name):
    assert f"## python -m media {name}\n" in CLI_REFERENCE
    result = CliRunner().invoke(CLI, [*name.split(), "--help"], prog_name="python -m media")
    assert result.exit_code == 0
    examples = re.findall(r"Example:\n((?:\s+python -m media .+\n)+)", result.output)
    assert examples, f"{name} --help shows no example"
    for line in examples[0].splitlines():
        assert line.strip() in CLI_REFERENCE, line


@pytest.mark.parametrize("columns", ["40", "200"])
def test_cli_reference_is_up_to_date_whatever_the_terminal_width(monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    expected = REFERENCE.render()
    if expected != CLI_REFERENCE:
        old, new = CLI_REFERENCE.splitlines(), expected.splitlines()
        line = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
        pytest.fail(f"docs/cli.md is stale: run {MAKE_CLI_REFERENCE} "
                    f"(first difference at line {line + 1})", pytrace=False)


def test_cli_reference_is_written_whole(tmp_path):
    REFERENCE.main(tmp_path / "cli.md")
    assert (tmp_path / "cli.md").read_text(encoding="utf-8") == REFERENCE.render()
    assert [p.name for p in tmp_path.iterdir()] == ["cli.md"]


def test_readme_names_the_two_setup_commands_and_they_exist():
    for script in ("bin/run", "bin/test"):
        assert f"```sh\n{script}\n```" in README
        assert os.access(ROOT / script, os.X_OK)
    assert "bin/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_is_at_most_150_lines():
    assert len(README.splitlines()) <= 150


def test_readme_links_to_docs_pages_that_exist():
    pages = {t.partition("#")[0] for t in _local_links(README) if t.startswith("docs/")}
    assert {"docs/README.md", "docs/cli.md", "docs/bundles.md"} <= pages
    assert not _broken_links(ROOT / "README.md")


# Not "page": that name is pytest-playwright's browser page fixture.
@pytest.mark.parametrize("doc", sorted(p.name for p in DOCS.glob("*.md")))
def test_docs_page_links_resolve_and_the_index_lists_it(doc):
    assert not _broken_links(DOCS / doc)
    if doc != "README.md":
        assert f"]({doc})" in (DOCS / "README.md").read_text(encoding="utf-8")


def test_readme_screenshot_exists_is_a_small_png_and_has_alt_text():
    alt = re.search(r"!\[([^\]]*)\]\(docs/article-page\.png\)", README)
    assert alt and len(alt.group(1)) > 20, "the screenshot needs alt text in the README"
    data = SCREENSHOT.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) < 300_000


@pytest.mark.parametrize("field", [
    "title", "slug", "published", "language", "summary", "top",
    "video.source", "video.title", "video.credit", "video.poster_alt", "video.poster_at",
    "video.captions", "video.captions[].kind", "strict", "translations",
    "images", "images[].alt", "images[].credit", "images[].focus", "related"])
def test_every_front_matter_field_is_documented(field):
    assert f"| `{field}` |" in BUNDLES


def test_requirements_are_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r ")):
                assert "==" in line, f"{name}: {line}"


@pytest.mark.parametrize("name", [f"NEWSREEL_{key}" for key in APP_DEFAULTS] + list(SERVER_DEFAULTS))
def test_every_setting_is_in_the_configuration_table(name):
    rows = [line for line in (DOCS / "deployment.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and f"`{name}`" in line.split(" | ")[0]]
    assert rows, f"docs/deployment.md has no row for {name}"
