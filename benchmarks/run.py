"""Run every ``benchmarks/bench_*.py`` with this interpreter and print what each measured.

Each benchmark prints its measurements and the ratio it is judged by; this runner only
collects them, so a benchmark is one self-contained script you can also run alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(selected: list[str]) -> int:
    here = Path(__file__).resolve().parent
    scripts = sorted(here.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if any(name in s.name for name in selected)]
    failures = 0
    for script in scripts:
        print(f"\n=== {script.name}", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=here.parent)
        failures += result.returncode != 0
    print(f"\n{len(scripts)} benchmarks run, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
