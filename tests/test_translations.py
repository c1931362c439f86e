"""Every string the panel or ``%kfp`` shows is translated in every shipped language, keeps its
placeholders, and compiles to what JupyterLab (Jed JSON) and gettext (.mo) read."""

from __future__ import annotations

import copy
import gettext
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

i18n = pytest.importorskip("i18n")  # scripts/i18n.py


@pytest.fixture(scope="module")
def source_strings():
    """One extraction for the module (the TypeScript extractor takes seconds)."""
    return i18n.extract()


@pytest.fixture(autouse=True)
def cached_extract(source_strings, monkeypatch):
    monkeypatch.setattr(i18n, "extract", lambda: copy.deepcopy(source_strings))


def test_every_source_string_is_translated_in_every_language():
    found = i18n.problems()
    assert found == [], "\n".join(found[:40]) + "\n(python scripts/i18n.py update, then translate)"


def test_a_new_untranslated_string_is_reported(monkeypatch):
    real = i18n.extract

    def with_a_new_string():
        catalog = real()
        catalog.add("A string nobody translated yet", locations=[("src/panel.tsx", 1)])
        return catalog

    monkeypatch.setattr(i18n, "extract", with_a_new_string)
    found = i18n.problems()
    assert len([line for line in found if "A string nobody translated yet" in line]) == 2
    assert any(line.startswith("ko_KR:") for line in found)
    assert any(line.startswith("zh_CN:") for line in found)


def test_a_lost_placeholder_is_reported(tmp_path, monkeypatch):
    from babel.messages.pofile import read_po, write_po

    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE, locale)
    po = locale / "ko_KR" / "LC_MESSAGES" / "jupyter_kfp_connect.po"
    catalog = read_po(po.open("rb"), locale="ko_KR")
    catalog["Namespace: {namespace}"].string = "네임스페이스"
    write_po(po.open("wb"), catalog)
    monkeypatch.setattr(i18n, "LOCALE", locale)
    found = i18n.problems()
    assert found and all("placeholders" in line and "Namespace" in line for line in found)


def test_the_build_writes_jed_json_and_mo(tmp_path):
    from hatch_build import compile_catalogs

    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE, locale, ignore=shutil.ignore_patterns("*.mo", "*.json"))
    written = compile_catalogs(locale)
    assert sorted(p.name for p in written) == ["jupyter_kfp_connect.json"] * 2 + [
        "jupyter_kfp_connect.mo"] * 2
    ko = json.loads((locale / "ko_KR/LC_MESSAGES/jupyter_kfp_connect.json").read_text("utf-8"))
    # What JupyterLab's Gettext.loadJSON needs: language and plural forms in the header.
    assert ko[""]["language"] == "ko-KR" and ko[""]["plural_forms"].startswith("nplurals=1")
    assert ko["Sign in to Kubeflow Pipelines"] == ["Kubeflow Pipelines에 로그인"]
    assert ko["%1 parameter"] == ["매개변수 %1개", ""]  # one form, padded as JupyterLab wants
    assert ko["settings\x04Newest first"] == ["최신순"]
    zh = gettext.translation("jupyter_kfp_connect", localedir=str(locale), languages=["zh_CN"])
    assert zh.gettext("No runs.") == "没有运行。"
