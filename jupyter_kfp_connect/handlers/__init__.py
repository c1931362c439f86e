"""REST handlers; each module exports ``ROUTES`` as ``(relative pattern, handler)`` pairs.

Patterns are relative to ``{base_url}kfp-connect/``; :func:`all_routes` collects them
so adding an endpoint group means adding one module and naming it in :func:`route_modules`
(``kernel.py`` serves them all again under ``kernel/api/``: add nothing there).
"""

from __future__ import annotations

from types import ModuleType


def route_modules() -> list[ModuleType]:
    """Modules that contribute routes, in registration order (imported on first use)."""
    from . import connection, manifests, pipelines, runs, version

    return [version, connection, pipelines, runs, manifests]


def all_routes() -> list[tuple[str, type]]:
    """Every module's routes, then the kernel's own, then all of the former again under
    ``kernel/api/`` (what ``%kfp`` calls)."""
    from . import kernel

    routes: list[tuple[str, type]] = []
    for module in route_modules():
        routes.extend(module.ROUTES)
    return [*routes, *kernel.ROUTES, *kernel.kernel_api_routes(routes)]
