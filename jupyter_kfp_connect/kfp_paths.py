"""Path segments of KFP URLs built from what a caller sent: ids and names, never a new path.

Why refuse rather than escape: URL libraries normalise dot segments even when they are
percent-encoded (yarl turns ``pipelines/P/versions/%2e%2e`` into ``pipelines/P``), so an id
of ``..`` sent to KFP as a DELETE would delete the pipeline itself. KFP's ids are UUIDs
(``uuid.New()`` in the API server; the Kubernetes store uses the object's UID, also a UUID):
anything else is refused here, before a request is built. Names (``pipelines/names/{name}``)
are free text: every reserved character is escaped and a name of dots alone is refused.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from .errors import KFPConnectError

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def kfp_id(value: object, what: str = "pipeline") -> str:
    """``value`` as a URL segment if it is a KFP id (a UUID); a 400 otherwise."""
    text = str(value)
    if not _UUID.match(text):
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise KFPConnectError(
            "bad_request", f"{shown!r} is not a {what} id: KFP's ids are UUIDs "
            "(like 0b5e1a4c-1f2e-4d3c-9a8b-7c6d5e4f3a2b).",
            fix=f"Use the {what} id KFP gave (the panel and kfp.Client show it).", status=400)
    return text.lower()


def name_segment(name: str) -> str:
    """A name as one URL segment: every reserved character escaped, dots-only refused."""
    if not name or set(name) <= {"."}:
        raise KFPConnectError("bad_request", f"{name!r} cannot be a pipeline name.",
                              fix="Choose a name with at least one letter or digit.", status=400)
    return quote(name, safe="")
