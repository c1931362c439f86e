"""The kernel's one line to its server and the ``kfp_client`` built on it.

Both :mod:`.extension` (which loads the magics and pushes ``kfp_client``) and :mod:`.magics`
use these, so they live here, below both. Cheap to import: no ``kfp``, no network call.
"""

from __future__ import annotations

from typing import Any

from ..errors import KFPConnectError
from .client import ServerLink, connect_kfp_client, no_server_problem, server_address

#: The name users type.
CLIENT_NAME = "kfp_client"

_link: ServerLink | None = None


def shared_link() -> ServerLink:
    """The kernel's one line to its server; raises ``no_server`` when it has none."""
    global _link
    if _link is None:
        address = server_address()
        if address is None:
            raise KFPConnectError.from_problem(no_server_problem())
        _link = ServerLink(address)
    return _link


def build_client() -> Any:
    """A fresh ``kfp.Client`` bound to the server (imports ``kfp``)."""
    return connect_kfp_client(shared_link())


def build_pipelines_client() -> Any:
    """A fresh ``kfp.kubeflow_client.PipelinesClient`` bound to the server (imports ``kfp``)."""
    from .pipelines_client import connect_pipelines_client

    return connect_pipelines_client(shared_link())
