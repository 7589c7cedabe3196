"""The hazard log (docs/safety/hazard-log.md) names real tests: every hazard has a control and
a test (or says plainly that it has none yet), and every test it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "safety" / "hazard-log.md"
TEST_REF = re.compile(r"(tests/[\w/]+\.py)(?:::(\w+))?")


def _rows() -> list[list[str]]:
    rows = []
    for line in LOG.read_text(encoding="utf-8").splitlines():
        if line.startswith("| HZ-"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name.startswith("test")
    }


def test_the_log_has_at_least_20_hazards_with_unique_ids():
    ids = [row[0] for row in _rows()]
    assert len(ids) >= 20
    assert len(ids) == len(set(ids))


def test_every_hazard_has_cause_effect_controls_and_risks():
    for row in _rows():
        assert len(row) == 8, row[0]
        hazard_id, hazard, cause, effect, controls, tests, initial, residual = row
        assert hazard and cause and effect and controls, hazard_id
        for risk in (initial, residual):
            s, likelihood, score = (int(x) for x in re.match(r"(\d)/(\d)/(\d+)", risk).groups())
            assert 1 <= s <= 5 and 1 <= likelihood <= 5 and score == s * likelihood, hazard_id
        assert tests, hazard_id


def test_every_test_the_log_names_exists():
    missing = []
    for row in _rows():
        hazard_id, tests = row[0], row[5]
        refs = TEST_REF.findall(tests)
        if not refs:
            assert tests.startswith("none yet"), f"{hazard_id}: name a test or say 'none yet'"
        for file, name in refs:
            path = ROOT / file
            if not path.exists():
                missing.append(f"{hazard_id}: {file}")
            elif name and name not in _test_names(path):
                missing.append(f"{hazard_id}: {file}::{name}")
    assert not missing, missing
