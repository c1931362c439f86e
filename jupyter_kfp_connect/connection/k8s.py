"""What the pod knows about itself: its namespace, and what its ServiceAccount may do.

The ``kubernetes`` client is imported lazily and only ever called in a worker thread
(``asyncio.to_thread``): it is synchronous, and importing it costs ~0.2 s that no
server start-up should pay. Without a reachable Kubernetes API the answer says so and
the connection carries on: permissions are then learnt when KFP answers.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

PIPELINES_GROUP = "pipelines.kubeflow.org"
PIPELINES_RESOURCE = "pipelines"
VERBS = ("list", "create", "delete")


def read_pod_namespace(path: str) -> str:
    """The pod's ServiceAccount namespace (what kfp.Client reads too), or '' when absent."""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        return ""


@dataclass
class AccessReport:
    """The verbs the pod's ServiceAccount may use on KFP pipelines in one namespace."""

    namespace: str
    available: bool
    allowed: dict[str, bool] = field(default_factory=dict)
    message: str = ""

    def to_json(self) -> dict[str, object]:
        return {"namespace": self.namespace, "available": self.available,
                "allowed": dict(self.allowed), "message": self.message}


def _review_sync(namespace: str, verbs: tuple[str, ...], timeout: float) -> AccessReport:
    try:
        from kubernetes import client, config  # lazy: heavy, and only useful in a cluster
        from kubernetes.config.config_exception import ConfigException
    except ImportError:
        return AccessReport(namespace, False, message="The kubernetes Python client is not installed; "
                            "permissions will be learnt when Kubeflow Pipelines answers.")
    try:
        config.load_incluster_config()
    except ConfigException as err:
        return AccessReport(namespace, False, message=f"The Kubernetes API is not available from this "
                            f"server ({err}); permissions will be learnt when Kubeflow Pipelines answers.")
    api = client.AuthorizationV1Api()
    allowed: dict[str, bool] = {}
    try:
        for verb in verbs:
            review = client.V1SelfSubjectAccessReview(
                spec=client.V1SelfSubjectAccessReviewSpec(
                    resource_attributes=client.V1ResourceAttributes(
                        group=PIPELINES_GROUP, resource=PIPELINES_RESOURCE, verb=verb, namespace=namespace,
                    )
                )
            )
            result = api.create_self_subject_access_review(review, _request_timeout=timeout)
            allowed[verb] = bool(result.status and result.status.allowed)
    except Exception as err:  # ApiException, urllib3 errors: all mean "could not ask"
        reason = getattr(err, "reason", None) or type(err).__name__
        return AccessReport(namespace, False, allowed, message=f"The Kubernetes API did not answer the "
                            f"access review ({reason}); permissions will be learnt when Kubeflow Pipelines answers.")
    may = [v for v in verbs if allowed.get(v)]
    may_not = [v for v in verbs if not allowed.get(v)]
    parts = []
    if may:
        parts.append("may " + ", ".join(may))
    if may_not:
        parts.append("may not " + ", ".join(may_not))
    return AccessReport(namespace, True, allowed,
                        message=f"In {namespace or 'the shared namespace'} this notebook " + "; ".join(parts)
                        + " pipelines.")


async def access_review(namespace: str, verbs: tuple[str, ...] = VERBS, timeout: float = 5.0) -> AccessReport:
    """SelfSubjectAccessReview for each verb on ``pipelines.kubeflow.org/pipelines``, off the loop."""
    return await asyncio.to_thread(_review_sync, namespace, verbs, timeout)
