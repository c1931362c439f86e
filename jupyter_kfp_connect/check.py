"""The connection check behind ``GET check``: a service.

It orchestrates the layers below it (configuration, the mounted token, detection, the
session, KFP's API and, in a cluster, Kubernetes' access review) and reports each step, so
it sits above the session; the Problems it reports come from the :mod:`.problems` leaf.
"""

from __future__ import annotations

from . import problems
from .connection.credentials import TokenFile
from .connection.k8s import access_review
from .connection.session import Connection
from .errors import KFPConnectError, Problem
from .kfp_api import KFPApi


async def run_checks(connection: Connection) -> dict:
    """Walk from configuration to a namespaced KFP call and stop at the first failure.

    Returns ``{ok, checks: [{id, ok, message, skipped}], problem}``; ``problem`` is the first
    failure's Problem (with its fix and YAML). Later checks are reported as skipped.
    """
    checks: list[dict] = []
    problem: Problem | None = None

    def add(check_id: str, ok: bool, message: str, skipped: bool = False) -> None:
        checks.append({"id": check_id, "ok": ok, "message": message, "skipped": skipped})

    def fail(check_id: str, found: Problem) -> None:
        nonlocal problem
        add(check_id, False, found.message)
        problem = problem or found

    config = connection.config
    if not config.host:
        fail("endpoint", problems.not_configured())
    else:
        add("endpoint", True, f"KFP endpoint {config.host} (from {config.sources.get('host', 'request')}).")

    # The token is checked when the connection uses it, exactly when ``status`` would say so:
    # explicit ``auth = in-cluster`` outside a pod too, and not for another explicit auth in one.
    uses_token = connection.auth_kind == "in-cluster"
    if problem is None and uses_token:
        try:
            if isinstance(connection.credentials, TokenFile):
                connection.headers()  # records the problem in the connection's state too
            else:
                TokenFile(config.token_path, connection.namespace or connection.pod_namespace()).read()
            add("token", True, f"Pipelines token mounted at {config.token_path}.")
        except KFPConnectError as err:
            fail("token", err.problem)

    if problem is None:
        result = await connection.probe()
        if result.problem is not None:
            fail("reach", result.problem)
        else:
            add("reach", True, result.note + ".")

    if problem is None:
        if connection.credentials is None:
            fail("signed_in", connection.problem if connection.problem and connection.problem.code in
                 ("session_expired", "invalid_credentials") else problems.not_signed_in(config.host, connection._front()))
        else:
            who = f" as {connection.username}" if connection.username else ""
            add("signed_in", True, f"Signed in{who} ({connection.credentials.kind}).")

    api = KFPApi(connection)
    if problem is None:
        try:
            healthz = await api.healthz()
            mode = "multi-user" if healthz.get("multi_user") else "single-user"
            add("api", True, f"KFP API answers: {mode}, pipeline store "
                f"{healthz.get('pipeline_store') or 'database'}.")
        except KFPConnectError as err:
            fail("api", err.problem)

    if problem is None:
        namespace = connection.namespace
        if not connection.multi_user:
            add("namespace", True, "Single-user KFP: no namespace needed.", skipped=True)
        elif not namespace:
            add("namespace", True, "No namespace chosen yet: only shared pipelines are listed.", skipped=True)
        else:
            try:
                denied = await api.access_problem(namespace)
            except KFPConnectError as err:
                denied = err.problem
            if denied is not None:
                fail("namespace", denied)
            else:
                add("namespace", True, f"May list pipelines in {namespace}.")

    if problem is None and config.in_cluster:
        report = await access_review(connection.namespace or connection.pod_namespace())
        connection.access = report
        add("permissions", True, report.message, skipped=not report.available)

    for check_id in ("endpoint", "token", "reach", "signed_in", "api", "namespace", "permissions"):
        if problem is not None and all(c["id"] != check_id for c in checks):
            if (check_id == "token" and not uses_token) or (check_id == "permissions" and not config.in_cluster):
                continue
            add(check_id, False, "Not checked: an earlier check failed.", skipped=True)
    return {"ok": problem is None, "checks": checks, "problem": problem.to_json() if problem else None}
