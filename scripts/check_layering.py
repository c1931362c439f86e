"""Import layering: the Python contracts and the front end's cycle check, as one test step.

- ``lint-imports``: import-linter's contracts in ``pyproject.toml`` (``[tool.importlinter]``):
  the server's layers, the kernel as a client, the sandbox on its own, no loops anywhere.
- ``jlpm check:cycles``: madge over ``src/`` (type-only imports count too).

Run from anywhere: ``python scripts/check_layering.py [RESULTS.json]``. Exits 1 when either
check fails (or cannot run); with a path, also writes ``{"passed": n, "failed": n}`` there
for ``scripts/summarize_results.py`` (one count per check).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECKS = [
    # --no-cache: no .import_linter_cache directory left in the checkout.
    ("Python import contracts (import-linter)", ["lint-imports", "--no-cache"]),
    ("TypeScript import cycles (madge)", ["jlpm", "check:cycles"]),
]


def run(name: str, command: list[str]) -> bool:
    print(f"--- {name}: {' '.join(command)}", flush=True)
    if shutil.which(command[0]) is None:
        print(f"FAIL: {command[0]} not found (install the test extra / run jlpm install)")
        return False
    ok = subprocess.run(command, cwd=ROOT).returncode == 0
    print(f"{'ok' if ok else 'FAIL'}: {name}", flush=True)
    return ok


def main(argv: list[str]) -> int:
    results = [run(name, command) for name, command in CHECKS]
    passed, failed = results.count(True), results.count(False)
    if len(argv) > 1:
        Path(argv[1]).write_text(json.dumps({"passed": passed, "failed": failed}))
    print(f"import layering: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
