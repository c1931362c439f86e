"""Pipelines compiled with the real KFP compiler, and small HTTP helpers for the sandbox tests."""

# No "from __future__ import annotations": kfp reads component annotations as real types.

from pathlib import Path

import httpx
import pytest

API = "/apis/v2beta1"


def _build_pipelines():
    from kfp import dsl

    @dsl.component(base_image="python:3.12")
    def add(a: int, b: int = 2) -> int:
        return a + b

    @dsl.component(base_image="python:3.12")
    def say(message: str) -> str:
        return message

    @dsl.pipeline(name="tiny-add", description="Adds numbers twice.")
    def tiny_add(x: int = 1, label: str = "on"):
        first = add(a=x)
        second = add(a=first.output)
        say(message=label).after(second)

    @dsl.pipeline(name="needs-input")
    def needs_input(message: str):
        say(message=message)

    return tiny_add, needs_input


@pytest.fixture(scope="session")
def compiled(tmp_path_factory) -> dict[str, Path]:
    """{"tiny": path, "needs_input": path}: packages compiled by kfp.compiler for this run."""
    from kfp import compiler

    folder = tmp_path_factory.mktemp("pipelines")
    tiny_add, needs_input = _build_pipelines()
    paths = {"tiny": folder / "tiny.yaml", "needs_input": folder / "needs_input.yaml"}
    compiler.Compiler().compile(tiny_add, str(paths["tiny"]))
    compiler.Compiler().compile(needs_input, str(paths["needs_input"]))
    return paths


@pytest.fixture
def http(sandbox):
    """A client of the sandbox that may use its HTTP controls (it carries the control token)."""
    with httpx.Client(base_url=sandbox.url, timeout=10, headers=control_headers(sandbox)) as client:
        yield client


@pytest.fixture
def upload(http):
    """``upload(path_or_bytes, filename=None, **query)`` -> the raw upload response."""

    def post(package, filename=None, prefix: str = API,
             **params) -> httpx.Response:
        data = package if isinstance(package, bytes) else package.read_bytes()
        name = filename or (package.name if isinstance(package, Path) else "pipeline.yaml")
        return http.post(f"{prefix}/pipelines/upload", params=params, files={"uploadfile": (name, data)})

    return post


def control_headers(sandbox) -> dict[str, str]:
    """What an out-of-process caller sends to use ``/_sandbox/`` controls."""
    from jupyter_kfp_connect.sandbox.controls import TOKEN_HEADER

    return {TOKEN_HEADER: sandbox.control_token}
