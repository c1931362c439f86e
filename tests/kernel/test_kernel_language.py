"""``%kfp`` speaks the kernel's language: a real kernel started with a Korean (or Chinese)
locale prints the shipped translations; the same command in an English locale does not."""

from __future__ import annotations

import pytest

from jupyter_kfp_connect.i18n import LANGUAGE_ENV, LOCALE_DIR

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", LANGUAGE_ENV)


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("dex")


@pytest.fixture
def kfp_config(sb):
    return {"host": sb.kfp_host}


@pytest.fixture(autouse=True)
def compiled_catalogs():
    """The kernel imports the package this test imports: from a wheel the .mo files are there;
    in a source checkout the build's own function compiles them in place."""
    if not list(LOCALE_DIR.glob("*/LC_MESSAGES/*.mo")):
        from hatch_build import compile_catalogs

        compile_catalogs(LOCALE_DIR)


def _locale(monkeypatch, **values: str) -> None:
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


async def test_kfp_in_a_korean_kernel(sb, start_kernel, monkeypatch):
    _locale(monkeypatch, LANG="ko_KR.UTF-8")
    kernel = await start_kernel()
    status = await kernel.run("%kfp status")
    # The field names and the signed-out hint of %kfp status, in Korean.
    assert "상태" in status.text and "네임스페이스" in status.text, status.text
    assert "namespace" not in status.text
    helped = await kernel.run("%kfp --help")
    assert "파이프라인 목록" in helped.text  # "list pipelines (private by default)"
    # Signed out: the diagnosis keeps the server's words (English) under a Korean "Fix:" label.
    refused = await kernel.run("%kfp pipelines", ok=False)
    assert "해결 방법:" in refused.error_text and "not_signed_in" in refused.error_text


async def test_kfp_language_override_and_english_default(sb, start_kernel, monkeypatch):
    _locale(monkeypatch, LANG="C.UTF-8", **{LANGUAGE_ENV: "zh_CN"})
    chinese = await (await start_kernel()).run("%kfp status")
    assert "状态" in chinese.text and "命名空间" in chinese.text, chinese.text

    _locale(monkeypatch, LANG="C.UTF-8")
    english = await (await start_kernel()).run("%kfp status")
    assert "state" in english.text and "namespace" in english.text
    assert "상태" not in english.text and "状态" not in english.text
