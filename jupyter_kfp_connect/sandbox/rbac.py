"""Who may do what in which namespace: Kubeflow profiles as an RBAC table.

Kubeflow gives a profile's owner the ``kubeflow-admin`` ClusterRole in the namespace and a
contributor ``kubeflow-edit`` (both allow every ``pipelines.kubeflow.org`` verb); ``kubeflow-view``
allows reading. The profile controller also binds the namespace's ``default-editor`` /
``default-viewer`` ServiceAccounts, which is why a notebook's own token works in its own
namespace and nowhere else. KFP asks a SubjectAccessReview for each call; denial is gRPC code 7
(403), a missing identity code 16 (401).

Demo profiles (Kubeflow's defaults plus two to show contributors and denials):

=====================  ==========================  ============================================
user                   owner of                    also
=====================  ==========================  ============================================
user@example.com       kubeflow-user-example-com   nothing on ``alice``: listing there is a 403
alice@example.com      alice                       contributor (edit) on kubeflow-user-example-com
ldapuser@example.com   ldapuser                    (signs in through the LDAP connector)
=====================  ==========================  ============================================
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .base import ApiError

PIPELINES_GROUP = "pipelines.kubeflow.org"
READ_VERBS = frozenset({"get", "list"})
#: Profile roles as the central dashboard names them ("owner"/"contributor") -> ClusterRole.
ROLE_NAMES = {"admin": "owner", "edit": "contributor", "view": "viewer"}
#: ServiceAccounts the profile controller binds in every profile namespace.
PROFILE_SERVICE_ACCOUNTS = {"default-editor": "edit", "default-viewer": "view"}
SA_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True)
class Binding:
    user: str
    namespace: str
    role: str  # admin | edit | view


DEMO_BINDINGS = (
    Binding("user@example.com", "kubeflow-user-example-com", "admin"),
    Binding("alice@example.com", "alice", "admin"),
    Binding("alice@example.com", "kubeflow-user-example-com", "edit"),
    Binding("ldapuser@example.com", "ldapuser", "admin"),
)


def role_allows(role: str | None, verb: str) -> bool:
    if role in ("admin", "edit"):
        return True
    return role == "view" and verb in READ_VERBS


def service_account(identity: str) -> tuple[str, str] | None:
    """``(namespace, name)`` for ``system:serviceaccount:ns:name``, else None."""
    if not identity.startswith(SA_PREFIX):
        return None
    namespace, _, name = identity[len(SA_PREFIX):].partition(":")
    return (namespace, name) if namespace and name else None


class Rbac:
    """The table; thread-safe because tests grant and revoke from their own thread."""

    def __init__(self, bindings: tuple[Binding, ...] | list[Binding] = DEMO_BINDINGS,
                 cluster_admins: tuple[str, ...] = ()) -> None:
        self._initial = (tuple(bindings), tuple(cluster_admins))
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        bindings, admins = self._initial
        with self._lock:
            self._roles: dict[tuple[str, str], str] = {(b.user, b.namespace): b.role for b in bindings}
            self._admins = set(admins)

    def grant(self, user: str, namespace: str, role: str = "edit") -> None:
        if role not in ROLE_NAMES:
            raise ValueError(f"role must be one of {sorted(ROLE_NAMES)}, not {role!r}")
        with self._lock:
            self._roles[(user, namespace)] = role

    def revoke(self, user: str, namespace: str) -> None:
        with self._lock:
            self._roles.pop((user, namespace), None)

    def role(self, identity: str, namespace: str) -> str | None:
        with self._lock:
            explicit = self._roles.get((identity, namespace))
            if identity in self._admins:
                return "admin"
        if explicit:
            return explicit
        sa = service_account(identity)
        if sa and sa[0] == namespace:
            return PROFILE_SERVICE_ACCOUNTS.get(sa[1])
        return None

    def is_cluster_admin(self, identity: str) -> bool:
        with self._lock:
            return identity in self._admins

    def bindings_for(self, user: str) -> list[Binding]:
        """The user's profile bindings, owners first (what the dashboard lists)."""
        with self._lock:
            found = [Binding(u, ns, r) for (u, ns), r in self._roles.items() if u == user]
        return sorted(found, key=lambda b: (b.role != "admin", b.namespace))

    def check(self, identity: str | None, namespace: str, verb: str, resource: str = "pipelines",
              name: str = "") -> None:
        """Raise ``ApiError`` 401 without an identity, 403 without the permission."""
        if identity is None:
            # IsAuthorized: both authenticators (header, TokenReview) fail with the same
            # IdentityHeaderMissingError, which Kubernetes' error aggregate prints once.
            missing = ("Unauthenticated: Request header error: there is no user identity header.: "
                       "Request header error: there is no user identity header.")
            external = "Failed to check authorization. User identity is empty in the request header"
            raise ApiError(401, f"Unauthenticated: {external}: {missing}", external=external)
        if role_allows(self.role(identity, namespace), verb):
            return
        # NewPermissionDeniedError(errors.New("Unauthorized access"), "User '%s' is not
        # authorized with reason: %s (request: %+v)"): the SubjectAccessReview's reason is
        # empty for a plain RBAC "no"; %+v of *ResourceAttributes is its generated String()
        # (k8s.io/api v0.35, with the selectors added in 1.31).
        external = (f"User '{identity}' is not authorized with reason:  (request: "
                    f"&ResourceAttributes{{Namespace:{namespace},Verb:{verb},Group:{PIPELINES_GROUP},"
                    f"Version:v1beta1,Resource:{resource},Subresource:,Name:{name},FieldSelector:nil,"
                    "LabelSelector:nil,})")
        raise ApiError(403, f"PermissionDenied: {external}: Unauthorized access", external=external)
