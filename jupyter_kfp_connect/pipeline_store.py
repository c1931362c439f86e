"""Where KFP keeps pipelines: its database, or Kubernetes objects (KFP 2.14+).

KFP's healthz says so (``pipeline_store``: ``"database"`` or ``"kubernetes"``, the
``--pipelinesStoreKubernetes`` flag); releases before 2.14 say nothing, and a gateway may hide
healthz. Where KFP does not tell, the server's setting ``c.KFPConnect.pipeline_store`` decides
(``auto`` = database, the only store those releases have). What KFP tells always wins over the
setting: it is the server that refuses the names.
"""

from __future__ import annotations

from typing import Any

STORES = ("database", "kubernetes")
SETTINGS = ("auto", *STORES)


def resolve(healthz: dict[str, Any] | None, setting: str = "auto") -> dict[str, str]:
    """``{pipeline_store, source}``; ``source`` is ``healthz``, ``setting`` or ``default``."""
    told = str((healthz or {}).get("pipeline_store") or "").lower()
    if told in STORES:
        return {"pipeline_store": told, "source": "healthz"}
    setting = (setting or "auto").lower()
    if setting in STORES:
        return {"pipeline_store": setting, "source": "setting"}
    return {"pipeline_store": "database", "source": "default"}


def of_connection(connection: Any, setting: str = "auto") -> dict[str, str]:
    """For a started connection: its healthz answer (read when it connected) and the setting."""
    return resolve(getattr(connection, "healthz", None), setting)
