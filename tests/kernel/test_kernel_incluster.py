"""A real kernel in a (sandboxed) Kubeflow notebook pod: it lists as the pod's ServiceAccount
through the server's token file, survives rotation, and explains a missing token."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kernel.conftest import NAMESPACE, identities

SERVICE_ACCOUNT = f"system:serviceaccount:{NAMESPACE}:default-editor"
LIST = f"kfp_client.list_pipelines(namespace={NAMESPACE!r}).total_size"


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("in-cluster")


@pytest.fixture
def token_file(sb, in_cluster) -> Path:
    return sb.controls.tokens.write_token(in_cluster["token_path"], NAMESPACE)


@pytest.fixture
def kfp_config(sb, in_cluster, token_file):
    return {"host": sb.kfp_host, **in_cluster}


async def test_kernel_uses_the_mounted_token_fresh(sb, start_kernel, token_file):
    sb.controls.seed(NAMESPACE, 3)
    kernel = await start_kernel()

    status = await kernel.run("%kfp status")
    assert "in-cluster" in status.text and "connected" in status.text and NAMESPACE in status.text
    assert await kernel.value("kfp_client.get_user_namespace()") == repr(NAMESPACE)
    assert await kernel.value(LIST) == "3"
    assert identities(sb)[-1] == SERVICE_ACCOUNT

    # The kubelet rotates the projected token: the old one stops working, the kernel doesn't.
    sb.controls.tokens.rotate(token_file)
    assert await kernel.value(LIST) == "3"
    assert identities(sb)[-1] == SERVICE_ACCOUNT

    # No token mounted: the diagnosis names the PodDefault that mounts it.
    sb.controls.tokens.delete(token_file)
    missing = await kernel.run(f"print({LIST})", ok=False)
    assert "[no_token_mounted]" in missing.error_text and "PodDefault" in missing.error_text

    # Mounted again: the same running kernel works again.
    sb.controls.tokens.write_token(token_file, NAMESPACE)
    assert await kernel.value(LIST) == "3"
