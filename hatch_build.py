"""Build hook: compile the translations the wheel ships (``.po`` -> ``.mo`` and Jed ``.json``).

Only the ``.po`` files are kept in git; the build writes, beside each one,
``jupyter_kfp_connect.mo`` (Python's gettext: what ``%kfp`` says) and
``jupyter_kfp_connect.json`` (what JupyterLab's front end loads for the domain
``jupyter_kfp_connect`` through the ``jupyterlab.locale`` entry point), and adds them to the
build as artifacts (they are git-ignored). ``scripts/i18n.py compile`` runs the same function.
"""

from __future__ import annotations

import json
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ROOT = Path(__file__).parent
LOCALE = ROOT / "jupyter_kfp_connect" / "locale"
DOMAIN = "jupyter_kfp_connect"


def jed_json(catalog, language: str) -> dict:
    """A Babel catalog as the Jed JSON JupyterLab's ``Gettext.loadJSON`` reads (the layout
    jupyterlab-translate writes: msgctxt joined by U+0004, untranslated entries left out,
    one-form plurals padded with "" since JupyterLab wants a list of two)."""
    data: dict = {"": {"domain": DOMAIN, "version": str(catalog.version or ""),
                       "language": language.replace("_", "-"),
                       "plural_forms": catalog.plural_forms}}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        key = f"{message.context}\x04{ids[0]}" if message.context else ids[0]
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        strings = [s for s in strings if s]
        if not strings:
            continue
        if len(ids) > 1 and len(strings) == 1:
            strings.append("")
        data[key] = strings
    return data


def compile_catalogs(locale_dir: Path = LOCALE) -> list[Path]:
    """Write ``.mo`` and ``.json`` beside every ``<lang>/LC_MESSAGES/jupyter_kfp_connect.po``."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        js = po.with_suffix(".json")
        js.write_text(json.dumps(jed_json(catalog, po.parent.parent.name), ensure_ascii=False, indent=1, sort_keys=True)
                      + "\n", encoding="utf-8")
        written += [mo, js]
    return written


class CustomBuildHook(BuildHookInterface):
    """Compiles the catalogs before every wheel/sdist/editable build."""

    def initialize(self, version: str, build_data: dict) -> None:
        for path in compile_catalogs():
            build_data.setdefault("artifacts", []).append(path.relative_to(ROOT).as_posix())
