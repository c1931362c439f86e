"""Translations: extract the strings, update the catalogs, compile them, check them.

    python scripts/i18n.py update    # after adding or changing a string: refresh the .pot
                                     # and merge it into every .po (new entries come in empty)
    python scripts/i18n.py compile   # .po -> .mo + Jed .json (the wheel build does this too)
    python scripts/i18n.py check     # every string of the source translated in every language

The front end's strings (``trans.__``, ``trans._n``, ``trans._p`` in ``src/``) and the settings
schema's are found by jupyterlab-translate's extractors, the ones JupyterLab's language packs
use; the Python ones (``trans.__`` / ``trans._n`` of ``jupyter_kfp_connect.i18n``) by Babel.
Catalogs: ``jupyter_kfp_connect/locale/<lang>/LC_MESSAGES/jupyter_kfp_connect.po``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hatch_build import DOMAIN, LOCALE, compile_catalogs  # noqa: E402

#: The languages shipped besides English.
LANGUAGES = ("ko_KR", "zh_CN")
POT = LOCALE / f"{DOMAIN}.pot"
#: Placeholders a translation must keep: JupyterLab's %1, %2 and Python's {name}.
PLACEHOLDER = re.compile(r"%\d+|\{[a-z_]*\}")


def _key(context: str | None, msgid: str) -> tuple[str | None, str]:
    return (context or None, msgid)


def extract():
    """Every string of the source as a Babel catalog (no file written)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from jupyterlab_translate.utils import extract_schema_strings, extract_tsx_strings

    catalog = Catalog(project=DOMAIN, domain=DOMAIN, charset="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        # The schema extractor walks every package.json below its folder: give it ours only.
        shutil.copy(ROOT / "package.json", folder)
        shutil.copytree(ROOT / "schema", Path(folder) / "schema")
        schema_entries = extract_schema_strings(folder)
    for entry in extract_tsx_strings(ROOT / "src") + schema_entries:
        msgid = entry["msgid"]
        if entry.get("msgid_plural"):
            msgid = (msgid, entry["msgid_plural"])
        locations = [(f"src/{path}" if not path.startswith("/") else path.lstrip("/"),
                      int(line) if str(line).isdigit() else None)
                     for path, line in entry.get("occurrences") or []]
        catalog.add(msgid, locations=locations, context=entry.get("msgctxt"))
    package = ROOT / "jupyter_kfp_connect"
    for filename, lineno, message, comments, context in extract_from_dir(
            package, method_map=[("**.py", "python")],
            keywords={"__": None, "_n": (1, 2)}, comment_tags=(), strip_comment_tags=True):
        path = f"jupyter_kfp_connect/{filename}"
        if "/sandbox/" in path:
            continue
        catalog.add(message, locations=[(path, lineno)], context=context,
                    flags=("python-brace-format",))
    return catalog


def update() -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = extract()
    LOCALE.mkdir(parents=True, exist_ok=True)
    with POT.open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False, sort_output=True)
    for language in LANGUAGES:
        po = LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            po.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, domain=DOMAIN, project=DOMAIN, charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with po.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True)
        print(f"{po.relative_to(ROOT)}: {len(catalog)} strings")


def problems() -> list[str]:
    """What keeps the catalogs from covering the source: missing, empty or fuzzy
    translations, lost placeholders, a stale .pot."""
    from babel.messages.pofile import read_po

    found: list[str] = []
    source = extract()
    wanted = {_key(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in source if m.id}
    for language in LANGUAGES:
        po = LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.exists():
            found.append(f"{language}: no catalog {po.relative_to(ROOT)}")
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        have = {_key(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}
        for key, message in wanted.items():
            translated = have.get(key)
            label = f"{language}: {key[1]!r}" + (f" (context {key[0]})" if key[0] else "")
            strings = [] if translated is None else (
                list(translated.string) if isinstance(translated.string, (list, tuple))
                else [translated.string])
            if translated is None:
                found.append(f"{label}: not in the catalog (run python scripts/i18n.py update)")
            elif translated.fuzzy or not strings or not all(strings):
                found.append(f"{label}: not translated")
            else:
                ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
                expected = set(PLACEHOLDER.findall(" ".join(ids)))
                for text in strings:
                    if set(PLACEHOLDER.findall(text)) != expected:
                        found.append(f"{label}: placeholders {sorted(expected)} changed in {text!r}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "compile", "check"])
    args = parser.parse_args(argv)
    if args.command == "update":
        update()
    elif args.command == "compile":
        for path in compile_catalogs():
            print(path.relative_to(ROOT))
    else:
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} translation problem(s)")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
