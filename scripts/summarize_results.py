"""Add up the import layering checks, pytest, Jest and Galata into one closing line:
'tests: N passed, N failed'.

A runner whose result file is missing counts as a failure: it did not run.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def layering_counts(path: Path) -> tuple[int, int, int]:
    """scripts/check_layering.py: one count per check (import-linter, madge)."""
    data = json.loads(path.read_text())
    return data["passed"], data["failed"], 0


def pytest_counts(path: Path) -> tuple[int, int, int]:
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, failed = int(suite.get("tests", 0)), int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped = int(suite.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def jest_counts(path: Path) -> tuple[int, int, int]:
    data = json.loads(path.read_text())
    failed = data["numFailedTests"] + data.get("numRuntimeErrorTestSuites", 0)
    return data["numPassedTests"], failed, data.get("numPendingTests", 0)


def galata_counts(path: Path) -> tuple[int, int, int]:
    stats = json.loads(path.read_text())["stats"]
    return stats["expected"] + stats.get("flaky", 0), stats["unexpected"], stats.get("skipped", 0)


def main(folder: str) -> int:
    root = Path(folder)
    totals = [0, 0, 0]
    runners = (("layering.json", layering_counts), ("pytest.xml", pytest_counts), ("jest.json", jest_counts),
               ("galata.json", galata_counts))
    for name, reader in runners:
        path = root / name
        if not path.exists():
            print(f"{name}: missing (runner did not finish)")
            totals[1] += 1
            continue
        counts = reader(path)
        print(f"{name}: {counts[0]} passed, {counts[1]} failed, {counts[2]} skipped")
        if counts[0] == 0:
            print(f"{name}: no test ran")
            totals[1] += 1
        totals = [a + b for a, b in zip(totals, counts)]
    print(f"tests: {totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
    return 0 if totals[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/test-results"))
