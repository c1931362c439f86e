"""What ``%kfp`` says, in the kernel's language: gettext over the package's own catalogs.

The wheel ships ``locale/<lang>/LC_MESSAGES/jupyter_kfp_connect.mo`` (compiled from the ``.po``
files at build time, beside the ``.json`` JupyterLab's front end loads through the
``jupyterlab.locale`` entry point). The language is the kernel process's: ``KFP_CONNECT_LANGUAGE``
if set (e.g. ``ko_KR``), else gettext's usual ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``;
English when none names a shipped catalog. Read on first use, so importing costs nothing.

Strings are marked the way JupyterLab marks them (``trans.__``, ``trans._n``), so one
extractor (jupyterlab-translate) finds the Python and the TypeScript ones; placeholders are
``str.format`` fields (``{name}``).
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

#: The gettext domain: the front end's ``translator.load`` domain too.
DOMAIN = "jupyter_kfp_connect"
#: Where the compiled catalogs are (inside the package, so the wheel carries them).
LOCALE_DIR = Path(__file__).parent / "locale"
#: Overrides the process's locale for this package's messages only.
LANGUAGE_ENV = "KFP_CONNECT_LANGUAGE"


class Translations:
    """A lazily loaded gettext catalog with JupyterLab's method names."""

    def __init__(self) -> None:
        self._catalog: gettext.NullTranslations | None = None

    def use(self, language: str | None) -> None:
        """Switch language (``None``: back to the environment's)."""
        self._catalog = self._load(language)

    @staticmethod
    def _load(language: str | None) -> gettext.NullTranslations:
        chosen = language or os.environ.get(LANGUAGE_ENV) or None
        languages = [chosen] if chosen else None  # None: gettext reads the environment
        return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=languages,
                                   fallback=True)

    @property
    def catalog(self) -> gettext.NullTranslations:
        if self._catalog is None:
            self._catalog = self._load(None)
        return self._catalog

    def __(self, msgid: str, **fields: object) -> str:
        """Translate ``msgid`` and fill its ``{fields}``."""
        text = self.catalog.gettext(msgid)
        return text.format(**fields) if fields else text

    def _n(self, singular: str, plural: str, n: int, **fields: object) -> str:
        """Translate by count; ``{n}`` is filled with ``n``."""
        return self.catalog.ngettext(singular, plural, n).format(n=n, **fields)


#: The package's one bundle (``from ..i18n import trans``).
trans = Translations()
