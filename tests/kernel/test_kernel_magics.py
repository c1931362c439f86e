"""``%kfp`` in a real kernel against the Dex sandbox: every command's rich output, uploads of a
pipeline function compiled in the kernel, runs, and clear failures (usage, RBAC, duplicates)."""

from __future__ import annotations

import pytest

from tests.kernel.conftest import NAMESPACE, PASSWORD, USER

PIPELINE_CELL = '''
from kfp import dsl

@dsl.component(base_image="python:3.12")
def add(a: float, b: float) -> float:
    return a + b

@dsl.pipeline(name="adder", description="Adds twice.")
def adder(x: float = 1.0, y: float = 2.0):
    first = add(a=x, b=y)
    add(a=first.output, b=y)
'''


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("dex")


@pytest.fixture
def kfp_config(sb):
    return {"host": sb.kfp_host, "ui_host": sb.url + "/pipeline/"}


async def test_kfp_magic_commands(sb, start_kernel, call):
    code, status = await call("POST", "login", {"auth": "dex", "username": USER, "password": PASSWORD})
    assert code == 200, status
    sb.controls.seed(NAMESPACE, 2, prefix="private-seed")
    sb.controls.seed("", 1, prefix="shared-seed")
    kernel = await start_kernel()

    helped = await kernel.run("%kfp --help")
    for command in ("status", "login", "namespace", "pipelines", "upload", "run", "runs", "open"):
        assert command in helped.text

    status = await kernel.run("%kfp status")
    assert "<table" in status.html and "connected" in status.html and NAMESPACE in status.html
    assert "connected" in status.text  # the plain-text form for terminals and logs

    private = await kernel.run("%kfp pipelines")
    assert "private-seed-00001" in private.html and "2 of 2" in private.html
    assert "shared-seed" not in private.html
    shared = await kernel.run("%kfp pipelines --shared")
    assert "shared-seed" in shared.html and "private-seed" not in shared.html
    assert "No pipelines." in (await kernel.run("%kfp pipelines no-such-name")).text

    namespaces = await kernel.run("%kfp namespace")
    assert NAMESPACE in namespaces.html and "owner" in namespaces.html
    # A namespace this user may not use: the RBAC diagnosis, with the RoleBinding to apply.
    await kernel.run("%kfp namespace alice")
    assert await kernel.value("kfp_client.get_user_namespace()") == "'alice'"
    denied = await kernel.run("%kfp pipelines", ok=False)
    assert "[rbac_denied]" in denied.error_text and "RoleBinding" in denied.error_text
    await kernel.run(f"%kfp namespace {NAMESPACE}")

    # A pipeline function defined in the kernel is compiled and uploaded, then versioned.
    await kernel.run(PIPELINE_CELL)
    uploaded = await kernel.run("%kfp upload adder --name adder-uploaded --description 'from a kernel'")
    assert "Uploaded" in uploaded.html and "adder-uploaded" in uploaded.html
    assert sb.url in uploaded.html  # a link into the KFP UI
    version = await kernel.run("%kfp upload adder --version-of adder-uploaded --name second")
    assert "second" in version.html
    code, detail = await call("GET", "pipelines", search="adder-uploaded")
    assert [p["namespace"] for p in detail["pipelines"]] == [NAMESPACE]
    duplicate = await kernel.run("%kfp upload adder --name adder-uploaded", ok=False)
    assert "[duplicate_name]" in duplicate.error_text and "new version" in duplicate.error_text

    # Runs: of an uploaded pipeline by name (newest version), and of a function in the kernel.
    by_name = await kernel.run("%kfp run adder-uploaded --param x=3 --param y=0.5 --experiment demo")
    assert "Run started" in by_name.html and "#/runs/details/" in by_name.html
    from_function = await kernel.run("%kfp run adder -p x=2 --run-name fn-run")
    assert "Run started" in from_function.html
    # kfp.Client's own bare links are dropped: the table carries the run with its names.
    for cell in (by_name, from_function):
        assert ">Run details<" not in cell.html and ">Experiment details<" not in cell.html
    runs = await kernel.value(
        f"sorted(r.display_name for r in kfp_client.list_runs(namespace={NAMESPACE!r}).runs)")
    assert "fn-run" in runs and "adder-uploaded run" in runs
    sent = [e for e in sb.controls.request_log() if e["method"] == "POST" and e["path"].endswith("/runs")]
    assert len(sent) == 2 and all(e["identity"] == USER for e in sent)

    opened = await kernel.run("%kfp open")
    assert f"{sb.url}/pipeline/#/pipelines" in opened.html and "target='_blank'" in opened.html

    # Failures say what is wrong and what to do.
    missing = await kernel.run("%kfp upload no_such_thing", ok=False)
    assert "neither a file nor a pipeline function" in missing.text + missing.error_text
    unknown = await kernel.run("%kfp run no-such-pipeline", ok=False)
    assert "[not_found]" in unknown.error_text and "%kfp pipelines" in unknown.error_text
    typo = await kernel.run("%kfp pipelnes", ok=False)
    assert "invalid choice" in typo.text + typo.error_text
    bad_param = await kernel.run("%kfp run adder --param novalue", ok=False)
    assert "KEY=VALUE" in bad_param.text + bad_param.error_text
