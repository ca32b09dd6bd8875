"""Benchmark draft captions with and without the story's text as a hint, on speech with known words.

    .venv/bin/python bench/draft_bench.py [--cores 1]

Needs espeak-ng (bin/install-system-packages installs it). For each text in
tests/data/speech/ (and the held-out one in tests/data/speech/held-out/),
espeak-ng speaks it (tests/speech.py); ``media.speech.draft.transcribe``
recognises the speech once without a hint and once with the paraphrase of
the same story in tests/data/hints/ (the story's names and topic words, not
the words said). Prints, per text and side by side:

- content-word recall: the share of the words said, other than the general
  model's 100 most probable words, that the draft has (target with the hint:
  at least 50 %);
- the word error rate against the words said (numbers in their most usual
  reading), reported without a target;
- how many times faster than real time each ran, in a process allowed
  ``--cores`` cores (target: at least 4x on one);
- the ceiling: the same with the words said as the hint, which no newsroom
  has before captioning; what it misses, the acoustic model does not hear.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.speech import content_word_recall, speak, spoken_words, word_error_rate  # noqa: E402

TEXTS = ROOT / "tests" / "data" / "speech"
HINTS = ROOT / "tests" / "data" / "hints"
RECALL_TARGET = 0.50
SPEED_TARGET = 4.0
COMMON_WORDS = 100


def common_words() -> set[str]:
    """Return the general model's most probable words: what content-word recall leaves out."""
    from media.speech.draft import _model_folder
    from media.speech.hints import general_model
    return set(general_model(_model_folder("en")).most_probable(COMMON_WORDS))


def texts() -> list[tuple[Path, bool]]:
    """Return the spoken texts with a hint, each with whether it is held out from tuning."""
    tuned = [(path, False) for path in sorted(TEXTS.glob("*.txt"))]
    held = [(path, True) for path in sorted((TEXTS / "held-out").glob("*.txt"))]
    return [(path, held_out) for path, held_out in tuned + held if (HINTS / path.name).is_file()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=1, help="cores the process may use (default 1)")
    args = parser.parse_args()
    from media.speech.draft import transcribe
    # The speed target is for one core: pocketsphinx and the ffmpeg it starts inherit this.
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:args.cores]))
    print(f"Python {platform.python_version()}, pocketsphinx {metadata.version('pocketsphinx')}, "
          f"{len(os.sched_getaffinity(0))} core(s)")
    print(f"{'text':24s} {'length':>7s}   {'recall':>6s} {'WER':>5s} {'x real':>6s}   "
          f"{'hint: recall':>12s} {'WER':>5s} {'x real':>6s}   {'ceiling: recall':>15s} {'WER':>5s} {'x real':>6s}")
    common = common_words()
    worst = {"recall": 1.0, "speed": float("inf")}
    with tempfile.TemporaryDirectory(prefix="draft-bench-") as folder:
        for path, held_out in texts():
            text = path.read_text(encoding="utf-8")
            wav = Path(folder) / f"{path.stem}.wav"
            speak(text, wav)
            said = spoken_words(text)
            row = []
            ceiling = Path(folder) / f"{path.stem}.said.txt"
            ceiling.write_text(text, encoding="utf-8")
            for hints in ((), (HINTS / path.name,), (ceiling,)):
                start = time.perf_counter()
                heard = [word.text for word in transcribe(wav, "en", hints).words]
                took = time.perf_counter() - start
                length = _length(wav)
                recall = content_word_recall(said, heard, common)
                row.append((recall, word_error_rate(said, heard), length / took))
                worst["speed"] = min(worst["speed"], length / took)
            worst["recall"] = min(worst["recall"], row[1][0])
            label = f"{path.stem}{' (held out)' if held_out else ''}"
            print(f"{label:24s} {_length(wav):6.1f}s   "
                  + "   ".join(f"{recall:{(6, 12, 15)[index]}.0%} {rate:5.0%} {speed:5.1f}x"
                               for index, (recall, rate, speed) in enumerate(row)))
    print(f"worst: recall with hint {worst['recall']:.0%} (target >= {RECALL_TARGET:.0%}), "
          f"{worst['speed']:.1f}x real time (target >= {SPEED_TARGET}x)")


def _length(wav: Path) -> float:
    """Return a WAV file's duration in seconds."""
    import wave
    with wave.open(str(wav)) as file:
        return file.getnframes() / file.getframerate()


if __name__ == "__main__":
    main()
