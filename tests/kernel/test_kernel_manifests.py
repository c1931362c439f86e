"""``%kfp export`` and ``%kfp apply`` in a real kernel, against the sandbox's Kubernetes store and
its emulated Kubernetes API; ``%kfp upload --display-name``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.kernel.conftest import NAMESPACE, PASSWORD, USER

PIPELINE_CELL = (
    "from kfp import dsl\n"
    "@dsl.component(base_image='python:3.12')\n"
    "def hello(who: str) -> str:\n    return who\n"
    "@dsl.pipeline(name='hello-pipeline')\n"
    "def hello_pipeline(who: str = 'world'):\n    hello(who=who)\n")


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("dex", pipeline_store="kubernetes")


@pytest.fixture
def kube_token(sb, tmp_path) -> Path:
    from jupyter_kfp_connect.sandbox.tokens import KUBERNETES_AUDIENCE

    return sb.controls.tokens.write_token(tmp_path / "k8s" / "token", NAMESPACE, audience=KUBERNETES_AUDIENCE)


@pytest.fixture
def kfp_config(sb, kube_token):
    return {"host": sb.kfp_host, "ui_host": sb.url + "/pipeline/", "kubernetes_api": sb.url,
            "kubernetes_token_path": str(kube_token)}


async def test_export_and_apply_from_a_kernel(sb, start_kernel, call, tmp_path):
    code, status = await call("POST", "login", {"auth": "dex", "username": USER, "password": PASSWORD})
    assert code == 200, status
    kernel = await start_kernel()
    await kernel.run(PIPELINE_CELL)

    # A function, compiled in the kernel, exported by the server with kfp's writer.
    out = tmp_path / "hello.k8s.yaml"
    exported = await kernel.run(f"%kfp export hello_pipeline --display-name 'Hello World' -o {out}")
    assert "PipelineVersion" in exported.text
    pipeline, version = yaml.safe_load_all(out.read_text())
    assert pipeline["metadata"] == {"name": "hello-pipeline", "namespace": NAMESPACE}
    assert pipeline["spec"]["displayName"] == "Hello World"
    assert version["spec"]["pipelineName"] == "hello-pipeline"

    # Upload with a display name, then export the stored version by its name.
    uploaded = await kernel.run("%kfp upload hello_pipeline --name hello-k8s --display-name 'Hello K8s'")
    assert "Hello K8s" in uploaded.text
    printed = await kernel.run("%kfp export hello-k8s -o -")
    assert "displayName: Hello K8s" in printed.text and "name: hello-k8s" in printed.text

    # Apply the exported file: created; applied again: unchanged.
    applied = await kernel.run(f"%kfp apply {out}")
    assert "created" in applied.text
    assert sb.store.k8s_object("PipelineVersion", NAMESPACE, "hello-pipeline") is not None
    again = await kernel.run(f"%kfp apply {out}")
    assert "unchanged" in again.text and "created" not in again.text

    # Denied where the identity may not write: the diagnosis, nothing created.
    denied = await kernel.run("%kfp apply hello_pipeline --namespace alice", ok=False)
    assert "[kubernetes_forbidden]" in denied.error_text
    assert sb.store.k8s_objects("Pipeline", "alice") == []

    # An invalid name in the Kubernetes store: refused before upload, with the proposal.
    refused = await kernel.run("%kfp upload hello_pipeline --name 'Hello There'", ok=False)
    assert "[invalid_kubernetes_name]" in refused.error_text and "hello-there" in refused.error_text
