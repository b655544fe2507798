"""docs/faults.md names, for each fault, the test that proves what happens:
each of those tests must exist (a renamed or deleted test would leave the
matrix promising what nothing checks)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
CITED = re.compile(r"`(tests/test_\w+\.py)::(test_\w+)`")


def test_every_test_the_fault_matrix_cites_exists() -> None:
    doc = (ROOT / "docs" / "faults.md").read_text(encoding="utf-8")
    cited = CITED.findall(doc)
    assert len(cited) >= 30
    missing = []
    for path, name in cited:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        if name not in names:
            missing.append(f"{path}::{name}")
    assert missing == []


def test_every_row_has_all_five_columns() -> None:
    doc = (ROOT / "docs" / "faults.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) >= 20
    assert all(line.count(" | ") == 4 for line in rows), [
        line[:60] for line in rows if line.count(" | ") != 4]
    assert all(CITED.search(line) for line in rows[1:])  # each fault, its proof


def test_every_test_the_threat_model_cites_exists() -> None:
    """docs/threat-model.md cites ``test_file.py::test_name``, and ``::test_name``
    for one more of the file named last."""
    doc = (ROOT / "docs" / "threat-model.md").read_text(encoding="utf-8")
    cited: list[tuple[str, str]] = []
    current = None
    for match in re.finditer(r"`(?:(?:tests/)?(test_\w+\.py))?::(test_\w+)`", doc):
        current = match.group(1) or current
        assert current is not None, match.group(0)
        cited.append((current, match.group(2)))
    assert len(cited) >= 100
    missing = []
    for path, name in cited:
        tree = ast.parse((ROOT / "tests" / path).read_text(encoding="utf-8"))
        if name not in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}:
            missing.append(f"{path}::{name}")
    assert missing == []
