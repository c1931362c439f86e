"""RBAC table: identity -> namespace -> verbs. PLACEHOLDER owned by the sandbox-fronts helper."""

from __future__ import annotations


class Rbac:
    def check(self, identity: str | None, namespace: str, verb: str, resource: str = "pipelines") -> None:
        """Raise ``base.ApiError`` (403, or 401 when ``identity`` is None in multi-user) unless allowed."""
        return None
