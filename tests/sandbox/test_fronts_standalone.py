"""Standalone KFP: the UI server (ml-pipeline-ui, what a port-forward reaches) proxies the API
under both /apis/v2beta1 and /pipeline/apis/v2beta1, with no identity."""

import pytest

from jupyter_kfp_connect.sandbox import Sandbox


@pytest.fixture(scope="module")
def standalone():
    with Sandbox(mode="standalone") as sb:
        yield sb


@pytest.fixture
def sandbox(standalone):
    standalone.controls.reset()
    return standalone


def test_the_ui_server_proxies_the_api_under_both_prefixes(sandbox, http):
    sandbox.controls.seed("", 2)
    for prefix in ("/apis/v2beta1", "/pipeline/apis/v2beta1"):
        health = http.get(f"{prefix}/healthz")
        assert health.status_code == 200 and health.json()["multi_user"] is False
        assert http.get(f"{prefix}/pipelines").json()["total_size"] == 2
    assert sandbox.kfp_host == sandbox.url
