"""KFP's reference data, in ``shared/kfp-reference`` beside the checkout (CI always lays it there).

Tests that read it fail under CI when it is missing (a missing corpus must not pass as green),
and are skipped on a developer's machine without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "kfp-reference"


def corpus(kind: str) -> list:
    """One parameter per package in ``pipelines/{kind}`` (``valid`` or ``invalid``)."""
    folder = REFERENCE / "pipelines" / kind
    if folder.is_dir():
        return [pytest.param(path, id=path.name) for path in sorted(folder.iterdir())]
    return [pytest.param(None, id="reference-missing", marks=pytest.mark.reference_missing(str(folder)))]


def corpus_files(kind: str) -> list[Path]:
    """The packages in ``pipelines/{kind}``; fails (CI) or skips (elsewhere) when absent."""
    folder = REFERENCE / "pipelines" / kind
    if not folder.is_dir():
        missing(str(folder))
    return sorted(folder.iterdir())


def missing(path: str) -> None:
    import os

    message = f"KFP reference data not found at {path} (shared/ beside the checkout)"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
