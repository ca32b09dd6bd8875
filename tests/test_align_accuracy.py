"""Alignment is accurate on speech whose word times espeak-ng reports: median start error <= 0.10 s, p95 <= 0.30 s."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from media.speech.align import align_script
from tests.conftest import require_tool
from tests.speech import percentile, speak, start_errors

TEXTS = sorted((Path(__file__).parent / "data" / "speech").glob("*.txt"))
MEDIAN_BOUND = 0.10
P95_BOUND = 0.30


@pytest.mark.parametrize("path", TEXTS, ids=lambda path: path.stem)
def test_word_starts_are_within_the_bounds(path, tmp_path):
    require_tool("espeak-ng")
    text = path.read_text(encoding="utf-8")
    wav = tmp_path / f"{path.stem}.wav"
    truth = speak(text, wav)
    alignment = align_script(wav, text)
    errors = start_errors(truth, alignment.words)
    median, p95 = statistics.median(errors), percentile(errors, 0.95)
    assert median <= MEDIAN_BOUND, f"median word-start error {median:.3f} s"
    assert p95 <= P95_BOUND, f"95th-percentile word-start error {p95:.3f} s"
