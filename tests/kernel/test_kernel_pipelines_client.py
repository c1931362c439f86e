"""``kfp_pipelines`` (kfp's name-first ``PipelinesClient``) in real kernels: built lazily, signed
in exactly as ``kfp_client`` (same identity, fresh credentials from the server on each request),
in the Dex and in-cluster modes; uploads by name into a Kubernetes-store KFP."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_kfp_connect.kernel.client import HEADER_MAX_AGE
from tests.kernel.conftest import NAMESPACE, PASSWORD, USER, identities

ALICE, ALICE_PASSWORD = "alice@example.com", "alicepass"
SA = f"system:serviceaccount:{NAMESPACE}:default-editor"
COUNT = "kfp_pipelines.list_pipelines().total_size"


@pytest.fixture
def mode() -> str:
    return "dex"


@pytest.fixture
def sb(sandbox_factory, mode):
    return sandbox_factory(mode, pipeline_store="kubernetes")


@pytest.fixture
def kfp_config(sb, mode, in_cluster_config):
    if mode == "in-cluster":
        return {"host": sb.kfp_host, **in_cluster_config}
    return {"host": sb.kfp_host, "ui_host": sb.url + "/pipeline/"}


@pytest.fixture
def in_cluster_config(mode, request):
    if mode != "in-cluster":
        return {}
    return request.getfixturevalue("in_cluster")


async def test_kfp_pipelines_in_a_dex_kernel(sb, start_kernel, call, tmp_path):
    sb.controls.seed(NAMESPACE, 2)
    kernel = await start_kernel()
    assert "built on first use" in (await kernel.run("kfp_pipelines")).text
    assert await kernel.value("'kfp' in __import__('sys').modules") == "False"

    # Not signed in: the server's diagnosis, as for kfp_client.
    failed = await kernel.run(f"print({COUNT})", ok=False)
    assert "[not_signed_in]" in failed.error_text and "Traceback" not in failed.error_text

    code, status = await call("POST", "login", {"auth": "dex", "username": USER, "password": PASSWORD})
    assert code == 200 and status["state"] == "connected", status
    assert await kernel.value(COUNT) == "2"
    assert identities(sb)[-1] == USER
    assert await kernel.value("kfp_pipelines._backend.namespace") == repr(NAMESPACE)

    # Name-first upload into the Kubernetes store (a valid object name, a human display name).
    await kernel.run(
        "from kfp import dsl, compiler\n"
        "@dsl.component(base_image='python:3.12')\n"
        "def hello(who: str) -> str:\n    return who\n"
        "@dsl.pipeline(name='hello-pipeline')\n"
        "def hello_pipeline(who: str = 'world'):\n    hello(who=who)\n")
    uploaded = await kernel.value("kfp_pipelines.upload_pipeline(hello_pipeline, name='hello-k8s').pipeline_id")
    pipeline = sb.store.get_pipeline_by_name(NAMESPACE, "hello-k8s")
    assert uploaded == repr(pipeline["id"])
    assert sb.store.k8s_object("Pipeline", NAMESPACE, "hello-k8s")["uid"] == pipeline["id"]
    assert await kernel.value("kfp_pipelines.get_pipeline('hello-k8s').display_name") == "'hello-k8s'"

    # The panel signs in as someone else: the same kfp_pipelines follows, no restart.
    code, status = await call("POST", "login", {"auth": "dex", "username": ALICE, "password": ALICE_PASSWORD,
                                                "namespace": NAMESPACE})
    assert code == 200, status
    await asyncio.sleep(HEADER_MAX_AGE)
    assert await kernel.value(COUNT) == "3"
    assert identities(sb)[-1] == ALICE

    # The escape hatch is our signed-in kfp.Client, not a bare one.
    assert await kernel.value("type(kfp_pipelines.kfp_client).__name__") == "'ServerConnectedClient'"
    assert await kernel.value(f"kfp_pipelines.kfp_client.list_pipelines(namespace={NAMESPACE!r}).total_size") == "3"

    # No credential ends up in the kernel's objects.
    text = (await kernel.run("print(vars(kfp_pipelines._backend.api_config))")).text
    assert "Bearer" not in text and "oauth2_proxy" not in text


@pytest.mark.parametrize("mode", ["in-cluster"])
async def test_kfp_pipelines_in_an_in_cluster_kernel_follows_token_rotation(sb, start_kernel, in_cluster):
    token_file = sb.controls.tokens.write_token(in_cluster["token_path"], NAMESPACE)
    sb.controls.seed(NAMESPACE, 1)
    kernel = await start_kernel()
    assert await kernel.value(COUNT) == "1"
    assert identities(sb)[-1] == SA
    sb.controls.tokens.rotate(token_file)  # the old token stops working at once
    assert await kernel.value(COUNT) == "1"
    assert identities(sb)[-1] == SA
    sb.controls.tokens.delete(token_file)
    missing = await kernel.run(f"print({COUNT})", ok=False)
    assert "[no_token_mounted]" in missing.error_text


async def test_a_kfp_without_kubeflow_client_gets_a_clear_message(sb, start_kernel):
    kernel = await start_kernel()
    # What a kernel with kfp < 2.17 meets: the module is not there.
    await kernel.run("import sys; sys.modules['kfp.kubeflow_client'] = None")
    failed = await kernel.run("kfp_pipelines.list_pipelines()", ok=False)
    assert "[kfp_pipelines_unavailable]" in failed.error_text and "kfp>=2.17" in failed.error_text
