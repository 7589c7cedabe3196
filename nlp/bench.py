"""Tiny benchmark of the clinical pipeline (not a test): start-up and per-message time.

    python -m nlp.bench            # prints import, build and extract() timings

Targets (docs/nlp.md): building the pipeline well under 2 s; extract() well under 5 ms for a
typical message on the 2-core project machine. The messages below are made up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

MESSAGES = [
    "hi im 23 weeks pregnant and ive had this pressure in my vagina since last night no pain as "
    "such and no bleeding just feels really low and heavy should i be worried",
    "im 20 weeks, some spotting when i wipe but no cramps and it doesnt come and go",
    "my girlfriend is six months along and she is bleeding quite heavily with clots",
    "had a lletz 3 years ago, now 19+5 and loads of watery discharge",
    "what if my waters break",
    "20 weeks",
    "baby moving less today and my back aches",
    "i fainted",
]


def _import_seconds() -> float:
    """``import nlp`` in a fresh interpreter (spaCy's import pulls in thinc, which imports
    TensorFlow when it is installed, as it is next to Rasa)."""
    code = "import time; t = time.perf_counter(); import nlp; print(time.perf_counter() - t)"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from nlp import build_pipeline, extract, get_pipeline

    import_s = _import_seconds()
    t1, c1 = time.perf_counter(), time.process_time()
    get_pipeline()
    t2, c2 = time.perf_counter(), time.process_time()
    builds, build_cpu = [], []
    for _ in range(3):
        s, c = time.perf_counter(), time.process_time()
        build_pipeline()
        builds.append(time.perf_counter() - s)
        build_cpu.append(time.process_time() - c)

    cold = []
    for message in MESSAGES:  # the first messages also build the matchers for their words
        s = time.perf_counter()
        extract(message)
        cold.append((time.perf_counter() - s) * 1000)
    per_message, per_message_cpu = [], []
    for _ in range(50):
        for message in MESSAGES:
            s, c = time.perf_counter(), time.process_time()
            extract(message)
            per_message.append((time.perf_counter() - s) * 1000)
            per_message_cpu.append((time.process_time() - c) * 1000)
    per_message.sort()
    long_text = ("I have some pressure and a bit of spotting but no contractions. " * 320)[:20000]
    s = time.perf_counter()
    extract(long_text)
    long_ms = (time.perf_counter() - s) * 1000

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load:.2f} (wall times grow with load; "
        "CPU times do not)"
    )
    print(f"import nlp in a fresh interpreter:       {import_s:6.2f} s wall")
    print(f"first get_pipeline() build:              {t2 - t1:6.2f} s wall, {c2 - c1:5.2f} s CPU")
    print(
        f"build_pipeline() again (median of 3):    {statistics.median(builds):6.2f} s wall, "
        f"{statistics.median(build_cpu):5.2f} s CPU"
    )
    print(
        f"extract(), first {len(MESSAGES)} messages (cold):   median {statistics.median(cold):.2f} ms, "
        f"max {max(cold):.2f} ms"
    )
    print(
        f"extract(), {len(MESSAGES)} typical messages x 50:   median {statistics.median(per_message):.2f} ms "
        f"(CPU {statistics.median(per_message_cpu):.2f} ms), "
        f"p95 {per_message[int(len(per_message) * 0.95)]:.2f} ms, max {per_message[-1]:.2f} ms"
    )
    print(f"extract() on a 20,000-character message: {long_ms:6.1f} ms")


if __name__ == "__main__":
    main()
