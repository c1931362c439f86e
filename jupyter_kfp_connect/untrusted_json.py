"""JSON from outside (KFP, a gateway, the dashboard, Kubernetes, a request body) decoded with
one failure kind.

Why: ``json.loads`` raises ``ValueError`` for text that is not JSON but ``RecursionError`` for
JSON nested deeper than the interpreter's stack (``"[" * 100000``: a 200 KB body). Callers
caught ``ValueError`` only, so a deep body from a proxy or a broken server became a 500 with a
traceback. :func:`loads` turns both into ``ValueError``; memory stays bounded by the body's
size (the transport already caps that) and the decoder stops at the depth limit.
"""

from __future__ import annotations

import json
from typing import Any


class TooDeep(ValueError):
    """The JSON is nested deeper than Python's decoder can follow. ``msg`` as on
    ``json.JSONDecodeError``, which callers quote."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


def loads(raw: bytes | str) -> Any:
    """``json.loads(raw)``; a ``ValueError`` (:class:`TooDeep`) for nesting too deep to decode."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise TooDeep("the JSON is nested too deeply to decode") from None
