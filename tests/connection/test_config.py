"""Configuration precedence (request > traitlets > environment > in-cluster defaults), URL
normalisation, and the remembered namespaces file."""

from __future__ import annotations

import json

from jupyter_kfp_connect.connection.config import (
    DEFAULT_TOKEN_PATH, IN_CLUSTER_HOST, NamespaceMemory, normalise_host, resolve,
)


def test_traitlet_beats_environment_beats_default():
    env = {"KF_PIPELINES_ENDPOINT": "http://env:1/pipeline", "KF_PIPELINES_SA_TOKEN_PATH": "/env/token",
           "KUBERNETES_SERVICE_HOST": "10.0.0.1"}
    config = resolve({"host": "http://trait:2/pipeline"}, env)
    assert config.host == "http://trait:2/pipeline" and config.sources["host"] == "config"
    assert config.token_path == "/env/token" and config.sources["token_path"] == "env:KF_PIPELINES_SA_TOKEN_PATH"
    assert config.in_cluster is True
    config = resolve({}, env)
    assert config.host == "http://env:1/pipeline" and config.sources["host"] == "env:KF_PIPELINES_ENDPOINT"


def test_in_cluster_defaults_only_in_a_cluster():
    config = resolve({}, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"})
    assert config.host == IN_CLUSTER_HOST and config.sources["host"] == "default"
    assert config.token_path == DEFAULT_TOKEN_PATH
    outside = resolve({}, {})
    assert outside.host == "" and outside.sources["host"] == "unset" and outside.in_cluster is False


def test_request_beats_configuration_but_empty_values_do_not():
    config = resolve({"host": "http://trait:2", "verify_ssl": True}, {})
    chosen = config.with_request(host="http://asked:3", verify_ssl=False, ca_cert="")
    assert chosen.host == "http://asked:3" and chosen.sources["host"] == "request"
    assert chosen.verify is False and "ca_cert" not in chosen.sources
    assert config.with_request(host=None).host == "http://trait:2"
    assert resolve({"ca_cert": "/ca.pem"}, {}).verify == "/ca.pem"


def test_normalise_host():
    assert normalise_host("https://gw.example.com/pipeline/#/pipelines") == "https://gw.example.com/pipeline"
    assert normalise_host("gw.example.com/pipeline/") == "https://gw.example.com/pipeline"
    assert normalise_host("HTTP://localhost:8080") == "http://localhost:8080"
    assert normalise_host("  ") == ""


def test_namespace_memory(tmp_path):
    memory = NamespaceMemory(tmp_path / "sub" / "namespaces.json")
    assert memory.get("u", "http://h") == ""
    memory.set("u", "http://h", "team-a")
    memory.set("v", "http://h", "team-b")
    assert memory.get("u", "http://h") == "team-a" and memory.get("u", "http://other") == ""
    assert json.loads((tmp_path / "sub" / "namespaces.json").read_text()) == {
        "u|http://h": "team-a", "v|http://h": "team-b"}
    (tmp_path / "sub" / "namespaces.json").write_text("{broken")
    assert memory.get("u", "http://h") == ""  # a broken file is not fatal
