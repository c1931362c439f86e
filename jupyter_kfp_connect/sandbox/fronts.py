"""Login fronts: what stands before KFP (nothing, oauth2-proxy + Dex, authservice, in-cluster tokens).

PLACEHOLDER owned by the sandbox-fronts helper; the protocol below is fixed.
"""

from __future__ import annotations

from typing import Any


class OpenFront:
    """Standalone KFP: no gateway, no identity, single-user."""

    multi_user = False
    mode = "standalone"

    def routes(self) -> list[tuple]:
        """Extra tornado routes this front serves (Dex pages, oauth2 endpoints, dashboard API)."""
        return []

    async def authenticate(self, handler: Any) -> str | None:
        """Identity for an API request, or None when anonymous. May finish the request itself
        (401 ``{}``, a 302 to Dex, a 403 sign-in page, Istio's ``RBAC: access denied``)."""
        return None


def make_front(mode: str, sandbox: Any, **options: Any) -> OpenFront:
    if mode == "standalone":
        return OpenFront()
    raise ValueError(f"unknown sandbox mode {mode!r}")
