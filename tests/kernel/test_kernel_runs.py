"""``%kfp run`` checks parameters against the pipeline's spec before anything starts,
``--wait`` follows a run live to its end, and ``%kfp runs`` lists runs with links: in a real
kernel against the Dex sandbox."""

from __future__ import annotations

import pytest

from tests.kernel.conftest import NAMESPACE, PASSWORD, USER

PIPELINE_CELL = '''
from kfp import dsl

@dsl.component(base_image="python:3.12")
def add(a: float, b: float) -> float:
    return a + b

@dsl.component(base_image="python:3.12")
def shout(message: str) -> str:
    return message.upper()

@dsl.pipeline(name="adder", description="Adds twice.")
def adder(x: float = 1.0, y: float = 2.0, times: int = 1):
    first = add(a=x, b=y)
    add(a=first.output, b=y)

@dsl.pipeline(name="needs-message")
def needs(message: str):
    shout(message=message)
'''


@pytest.fixture
def sb(sandbox_factory):
    sandbox = sandbox_factory("dex")
    sandbox.store.run_starts_after, sandbox.store.run_finishes_after = 0.2, 1.5
    return sandbox


@pytest.fixture
def kfp_config(sb):
    return {"host": sb.kfp_host, "ui_host": sb.url + "/pipeline/"}


def _runs_started(sb) -> list[dict]:
    return [e for e in sb.controls.request_log() if e["method"] == "POST" and e["path"].endswith("/runs")]


def _updates(outcome) -> list[dict]:
    """update_display_data messages (they carry a display id and no new output area)."""
    return [m for m in outcome.messages if isinstance(m, dict) and "transient" in m and "data" in m]


async def test_run_checks_waits_and_lists(sb, start_kernel, call):
    code, status = await call("POST", "login", {"auth": "dex", "username": USER, "password": PASSWORD})
    assert code == 200, status
    kernel = await start_kernel()
    await kernel.run(PIPELINE_CELL)
    await kernel.run("%kfp upload adder --name adder-up")

    # Every problem at once, with what is valid; nothing is started.
    sb.controls.clear_log()
    bad = await kernel.run("%kfp run adder-up --param x=abc --param times=1.5 --param nope=1", ok=False)
    assert "[invalid_parameters]" in bad.error_text
    for expected in ("x: expects a number", "times: expects a whole number", "nope: not a parameter",
                     "Valid parameters: times (integer, default 1), x (number, default 1.0)"):
        assert expected in bad.error_text, bad.error_text
    assert _runs_started(sb) == []
    # A function compiled in the kernel is checked the same way: a required parameter.
    missing = await kernel.run("%kfp run needs", ok=False)
    assert "message: required" in missing.error_text and "message (string, required)" in missing.error_text
    assert _runs_started(sb) == []

    # --wait: one display updated in place until the run ends; the final state stays.
    waited = await kernel.run("%kfp run adder -p x=2 -p times=3 --run-name watched --wait")
    assert _updates(waited), "the display was never updated"
    final = waited.htmls[-1] if not _updates(waited) else _updates(waited)[-1]["data"]["text/html"]
    assert "SUCCEEDED" in final and "add-2" in final and "#/runs/details/" in final
    assert "Run watched: SUCCEEDED" in _updates(waited)[-1]["data"]["text/plain"]
    assert len(_runs_started(sb)) == 1 and _runs_started(sb)[0]["identity"] == USER

    # A failed run ends the cell with an error (papermill stops) and shows where it failed.
    sb.controls.run_outcome("doomed", "FAILED", task="add-2")
    doomed = await kernel.run("%kfp run adder --run-name doomed --wait", ok=False)
    assert "[run_failed]" in doomed.error_text and "add-2" in doomed.error_text
    assert "FAILED" in _updates(doomed)[-1]["data"]["text/html"]

    # --timeout: stop waiting, say the run goes on.
    sb.store.run_finishes_after = 30
    slow = await kernel.run("%kfp run adder --run-name slow --wait --timeout 1.5", ok=False)
    assert "[run_timeout]" in slow.error_text
    assert "the run goes on" in _updates(slow)[-1]["data"]["text/plain"]

    # %kfp runs: a table with links into the KFP UI, filtered by state or pipeline.
    listed = await kernel.run("%kfp runs")
    for name in ("watched", "doomed", "slow"):
        assert name in listed.html
    assert f"{sb.url}/pipeline/#/runs/details/" in listed.html and "target='_blank'" in listed.html
    assert "adder" in listed.html and "Default" in listed.html
    failed = await kernel.run("%kfp runs --state failed")
    assert "doomed" in failed.html and "watched" not in failed.html
    # (runs of the kernel's function carry its spec; a run of the uploaded pipeline refers to it)
    started = await kernel.run("%kfp run adder-up -p y=1 --run-name by-name")
    assert "Run started" in started.html and "adder-up" in started.html
    by_pipeline = await kernel.run("%kfp runs --pipeline adder-up")
    assert "by-name" in by_pipeline.html and "watched" not in by_pipeline.html
    nothing = await kernel.run("%kfp runs --pipeline adder-up --state CANCELED")
    assert "No runs." in nothing.text
    assert NAMESPACE  # the runs above all live in the user's namespace (multi-user)
