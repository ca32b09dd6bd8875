"""The systemd units in deploy/systemd: systemd's own checker accepts each, and they run what exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_tool

UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
INSTALLED = "/srv/newsreel"   # where the units expect the checkout and its .venv


def installed_here(unit: Path, folder: Path) -> Path:
    """Return a copy of ``unit`` that points at this checkout and an empty settings file."""
    settings = folder / "newsreel.env"
    settings.write_text("")
    text = unit.read_text().replace(INSTALLED, str(ROOT))
    text = re.sub(r"^EnvironmentFile=.*$", f"EnvironmentFile={settings}", text, flags=re.M)
    copy = folder / unit.name
    copy.write_text(text)
    return copy


def test_there_are_units_for_the_app():
    assert "newsreel-web.service" in {unit.name for unit in UNITS}


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_systemd_accepts_the_unit(unit, tmp_path):
    analyze = require_tool("systemd-analyze")
    copy = installed_here(unit, tmp_path)
    done = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    # verify exits 0 on many problems it only warns about ("ignoring"): any message is one.
    problems = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 0 and not problems, problems


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_the_unit_starts_a_program_of_the_checkout(unit):
    starts = re.findall(r"^ExecStart=(\S+)", unit.read_text(), flags=re.M)
    assert len(starts) == 1
    program = Path(starts[0].replace(INSTALLED, str(ROOT)))
    assert program.name in {"gunicorn", "python"}, program
    assert program.parent == ROOT / ".venv" / "bin", program


def test_the_settings_example_names_only_known_settings():
    from web.settings import APP_DEFAULTS, SERVER_DEFAULTS

    example = (ROOT / "deploy" / "systemd" / "newsreel.env.example").read_text()
    names = re.findall(r"^(NEWSREEL_\w+)=", example, flags=re.M)
    known = {f"NEWSREEL_{key}" for key in APP_DEFAULTS} | set(SERVER_DEFAULTS) | {"NEWSREEL_QUEUE_URL"}
    assert names and set(names) <= known, set(names) - known
