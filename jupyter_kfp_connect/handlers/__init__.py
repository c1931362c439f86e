"""REST handlers; each module exports ``ROUTES`` as ``(relative pattern, handler)`` pairs.

Patterns are relative to ``{base_url}kfp-connect/``; :func:`all_routes` collects them
so adding an endpoint means adding one module and one line here.
"""

from __future__ import annotations

from importlib import import_module

#: Modules that contribute routes, in registration order.
ROUTE_MODULES = [
    "version",
    "connection",
    "pipelines",
    "kernel",  # last: it also serves every module above under kernel/api/
]


def all_routes() -> list[tuple[str, type]]:
    routes: list[tuple[str, type]] = []
    for name in ROUTE_MODULES:
        routes.extend(import_module(f"{__name__}.{name}").ROUTES)
    return routes
