"""Shared helpers of the evaluation commands: paths, run metadata, tables, report files."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any, Iterable, Sequence

ROOT = Path(__file__).resolve().parents[1]
REPORTS = Path(os.environ.get("TRIAGE_REPORTS", ROOT / "reports"))
VENV_BIN = ROOT / ".venv" / "bin"


def now_iso() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def stamp() -> str:
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_revision() -> str:
    """The commit the figures belong to, with "+dirty" when the work tree has changes."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return (rev or "unknown") + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> dict[str, Any]:
    mem_kb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1) if mem_kb else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run_meta() -> dict[str, Any]:
    return {"date": now_iso(), "git": git_revision(), "machine": machine()}


def meta_line(meta: dict[str, Any]) -> str:
    m = meta["machine"]
    return f"{meta['date']}  git {meta['git']}  {m['nproc']} cores, {m['cpu']}, {m['memory_gb']} GB"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    rows = [["" if c is None else str(c) for c in row] for row in rows]
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(cells)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f}% ({num}/{den})" if den else "n/a (0 cases)"


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def previous_summary(folder: Path) -> dict[str, Any] | None:
    """The summary of the last run in `folder` (latest.json), to compare this run with."""
    path = folder / "latest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def save_report(folder: Path, data: dict[str, Any], text: str) -> dict[str, Path]:
    """Writes <folder>/<stamp>.json and .md (history) and latest.json / latest.md."""
    folder.mkdir(parents=True, exist_ok=True)
    name = stamp()
    payload = json.dumps(data, indent=2, default=str)
    paths = {
        "json": folder / f"{name}.json",
        "md": folder / f"{name}.md",
        "latest_json": folder / "latest.json",
        "latest_md": folder / "latest.md",
    }
    paths["json"].write_text(payload)
    paths["latest_json"].write_text(payload)
    paths["md"].write_text(text + "\n")
    paths["latest_md"].write_text(text + "\n")
    return paths
