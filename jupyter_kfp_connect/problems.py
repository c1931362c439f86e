"""Turn a failure into a :class:`~jupyter_kfp_connect.errors.Problem` a person can act on.

Every builder here returns a Problem with a stable ``code``, a sentence saying what went
wrong, the fix, and, where a cluster admin must act, the YAML to apply (PodDefault,
RoleBinding, Istio AuthorizationPolicy; shaped as Kubeflow's own docs show them).
Nothing here sees a secret: builders get URLs, statuses and short body excerpts only.

A leaf: it imports nothing of the package but :mod:`.errors`, so every layer may use it
(the connection check that orchestrates the layers lives in :mod:`.check`).
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit, urlunsplit

import httpx
import yaml

from .errors import Problem

TOKEN_AUDIENCE = "pipelines.kubeflow.org"
DEFAULT_SERVICE_ACCOUNT = "default-editor"
KFP_NAMESPACE = "kubeflow"


def _dump(*docs: dict) -> str:
    return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)


# --- YAML the fixes ask an admin to apply ------------------------------------------------

def poddefault_yaml(namespace: str, token_path: str) -> str:
    """The PodDefault that mounts the projected pipelines token (Kubeflow's documented one)."""
    mount_dir = token_path.rsplit("/", 1)[0] or "/var/run/secrets/kubeflow/pipelines"
    file_name = token_path.rsplit("/", 1)[-1] or "token"
    return _dump({
        "apiVersion": "kubeflow.org/v1alpha1",
        "kind": "PodDefault",
        "metadata": {"name": "access-ml-pipeline", "namespace": namespace or "<YOUR_PROFILE_NAMESPACE>"},
        "spec": {
            "desc": "Allow access to Kubeflow Pipelines",
            "selector": {"matchLabels": {"access-ml-pipeline": "true"}},
            "env": [{"name": "KF_PIPELINES_SA_TOKEN_PATH", "value": token_path}],
            "volumes": [{
                "name": "volume-kf-pipeline-token",
                "projected": {"sources": [{"serviceAccountToken": {
                    "path": file_name, "expirationSeconds": 7200, "audience": TOKEN_AUDIENCE,
                }}]},
            }],
            "volumeMounts": [{
                "mountPath": mount_dir, "name": "volume-kf-pipeline-token", "readOnly": True,
            }],
        },
    })


def rolebinding_yaml(namespace: str, *, service_account: str = "", sa_namespace: str = "",
                     user: str = "") -> str:
    """Grant ``kubeflow-edit`` in ``namespace`` to a ServiceAccount or to a (Dex) user."""
    if user:
        subject = {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}
        name = "user-" + "".join(c if c.isalnum() else "-" for c in user.lower()).strip("-") + "-clusterrole-edit"
        metadata = {"name": name[:63], "namespace": namespace,
                    "annotations": {"role": "edit", "user": user}}
    else:
        service_account = service_account or DEFAULT_SERVICE_ACCOUNT
        subject = {"kind": "ServiceAccount", "name": service_account, "namespace": sa_namespace or namespace}
        metadata = {"name": f"allow-{sa_namespace or namespace}-{service_account}-kubeflow-edit"[:63],
                    "namespace": namespace}
    return _dump({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-edit"},
        "subjects": [subject],
    })


def authorization_policy_yaml(*, sa_namespace: str = "", service_account: str = "", user: str = "") -> str:
    """Let a notebook's ServiceAccount (or a Dex user's header) through Istio to ml-pipeline."""
    if user and not sa_namespace:
        rule = {"when": [{"key": "request.headers[kubeflow-userid]", "values": [user]}]}
        name = "allow-ml-pipeline-user"
    else:
        service_account = service_account or DEFAULT_SERVICE_ACCOUNT
        ns = sa_namespace or "<YOUR_PROFILE_NAMESPACE>"
        rule = {"from": [{"source": {"principals": [f"cluster.local/ns/{ns}/sa/{service_account}"]}}]}
        name = f"bind-ml-pipeline-nb-{ns}"
    return _dump({
        "apiVersion": "security.istio.io/v1beta1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": name[:63], "namespace": KFP_NAMESPACE},
        "spec": {"selector": {"matchLabels": {"app": "ml-pipeline"}}, "rules": [rule]},
    })


# --- Problems -----------------------------------------------------------------------------

def not_configured() -> Problem:
    return Problem(
        "not_configured",
        "No Kubeflow Pipelines endpoint is configured.",
        fix="Enter the KFP URL (e.g. https://kubeflow.example.com/pipeline), or set "
            "c.KFPConnect.host / KF_PIPELINES_ENDPOINT for everyone on this server.",
        status=400,
    )


def not_signed_in(host: str, front: str = "") -> Problem:
    how = "Sign in with your Kubeflow (Dex) account" if front else "Sign in"
    return Problem(
        "not_signed_in",
        f"Not signed in to Kubeflow Pipelines at {host}." if host else "Not signed in to Kubeflow Pipelines.",
        fix=f"{how}, or paste a bearer token or a session cookie.",
        status=401,
        details={"front": front} if front else {},
    )


def session_expired(host: str) -> Problem:
    return Problem(
        "session_expired",
        f"Your Kubeflow session for {host} has expired (the Kubeflow gateway asks for a new sign-in).",
        fix="Sign in again. Tick \"keep me signed in\" to let this server renew the session itself.",
        status=401,
    )


def no_token_mounted(path: str, namespace: str, *, was_present: bool = False) -> Problem:
    if was_present:
        message = (f"The pipelines ServiceAccount token at {path} has disappeared; "
                   "the volume that projects it is gone or was changed.")
    else:
        message = f"This server runs in a Kubernetes cluster but no pipelines token is mounted at {path}."
    return Problem(
        "no_token_mounted",
        message,
        fix="Mount a projected ServiceAccount token with audience pipelines.kubeflow.org: apply this "
            "PodDefault in your profile namespace, select \"Allow access to Kubeflow Pipelines\" "
            "under Configurations when creating the notebook, and restart the notebook server.",
        yaml=poddefault_yaml(namespace, path),
        status=503,
        details={"token_path": path},
    )


def token_rejected(host: str, *, source: str = "token") -> Problem:
    return Problem(
        "token_rejected",
        f"Kubeflow Pipelines at {host} rejected the {source} (401): it is unknown, expired or "
        "not issued for the audience pipelines.kubeflow.org.",
        fix="Use a ServiceAccount token projected with audience pipelines.kubeflow.org (see the "
            "PodDefault in Kubeflow's docs) or sign in with your Kubeflow account instead.",
        status=401,
    )


def rbac_denied(namespace: str, message: str, *, user: str = "", service_account: str = "",
                sa_namespace: str = "") -> Problem:
    where = f"namespace {namespace}" if namespace else "the shared (kubeflow) namespace"
    target_ns = namespace or KFP_NAMESPACE
    if user:
        fix = (f"Ask the owner of {target_ns} to add {user} as a contributor (Kubeflow dashboard: "
               "Manage Contributors), or an admin to apply this RoleBinding.")
        manifest = rolebinding_yaml(target_ns, user=user)
    else:
        fix = (f"Ask an admin to grant the ServiceAccount {sa_namespace or '<namespace>'}/"
               f"{service_account or DEFAULT_SERVICE_ACCOUNT} kubeflow-edit in {target_ns} with this RoleBinding.")
        manifest = rolebinding_yaml(target_ns, service_account=service_account, sa_namespace=sa_namespace)
    return Problem(
        "rbac_denied",
        f"Kubeflow Pipelines denied access to {where}: {message}".rstrip(": "),
        fix=fix,
        yaml=manifest,
        status=403,
        details={"namespace": namespace, "kfp_message": message},
    )


def namespace_refused(namespace: str, denial: Problem) -> Problem:
    """A namespace typed by hand that KFP will not list for us: a sentence first, KFP's own
    words under ``details.kfp_message`` (the panel shows them folded)."""
    return Problem(
        "namespace_denied",
        f"You have no access to namespace {namespace}.",
        fix=denial.fix or "Check the spelling, or ask the namespace's owner to add you as a contributor.",
        yaml=denial.yaml,
        status=403,
        details={"namespace": namespace,
                 "kfp_message": denial.details.get("kfp_message") or denial.message},
    )


def istio_denied(*, sa_namespace: str = "", service_account: str = "", user: str = "") -> Problem:
    if sa_namespace or not user:
        fix = ("Istio's AuthorizationPolicy on ml-pipeline does not let this notebook's ServiceAccount "
               "through. Ask an admin to apply this AuthorizationPolicy in the kubeflow namespace "
               "(and use the mounted token, never a kubeflow-userid header, from inside the cluster).")
    else:
        fix = ("Istio's AuthorizationPolicy on ml-pipeline does not let your identity through. Ask "
               "an admin to apply this AuthorizationPolicy in the kubeflow namespace.")
    return Problem(
        "istio_denied",
        "The Istio sidecar refused the request before it reached Kubeflow Pipelines (403 \"RBAC: access denied\").",
        fix=fix,
        yaml=authorization_policy_yaml(sa_namespace=sa_namespace, service_account=service_account, user=user),
        status=403,
    )


def not_json(url: str, status: int, content_type: str) -> Problem:
    return Problem(
        "not_json",
        f"{url} answered {status} with {content_type or 'no content type'} instead of KFP's JSON API.",
        fix="Check that the URL points at the KFP API (usually https://<gateway>/pipeline), not at "
            "the dashboard or a login page.",
        status=502,
        details={"status": status, "content_type": content_type},
    )


def wrong_path(host: str, suggestion: str, seen: str = "healthz answered 404") -> Problem:
    return Problem(
        "wrong_path",
        f"There is no Kubeflow Pipelines API under {host} ({seen}).",
        fix=f"Use {suggestion} instead." if suggestion else
            "Use the KFP API's base URL: behind the Kubeflow gateway that ends in /pipeline.",
        status=502,
        details={"suggestion": suggestion},
    )


def http_vs_https(host: str, suggestion: str) -> Problem:
    scheme = urlsplit(suggestion).scheme
    return Problem(
        "http_vs_https",
        f"{host} does not speak {urlsplit(host).scheme}; the server answers on {scheme}.",
        fix=f"Use {suggestion} instead.",
        status=502,
        details={"suggestion": suggestion},
    )


def bad_url(text: str, reason: str) -> Problem:
    return Problem(
        "bad_url",
        f"{text!r} is not a usable KFP address: {reason}.",
        fix="Give the KFP endpoint as https://HOST/pipeline (your Kubeflow dashboard's address "
            "plus /pipeline), or http://127.0.0.1:PORT for a kubectl port-forward.",
        status=400,
    )


# What a request can raise before KFP answers: the network, TLS, or a URL httpx refuses.
TRANSPORT_ERRORS = (httpx.HTTPError, httpx.InvalidURL)


def transport_problem(host: str, exc: BaseException) -> Problem:
    """The Problem for a request that never got an answer."""
    if isinstance(exc, httpx.InvalidURL):
        return bad_url(host, str(exc))
    if is_tls_failure(exc):
        return tls_error(host, transport_reason(exc))
    return unreachable(host, transport_reason(exc))


def kfp_busy(host: str, limit: int, waited: float) -> Problem:
    """A KFP call that waited its whole timeout for one of the connection's ``limit`` slots."""
    return Problem(
        "kfp_busy",
        f"Too many requests to {host} at once: this one waited {waited:.0f} s behind {limit} others "
        "still in progress and was not sent.",
        fix="Try again in a moment. An administrator can raise c.KFPConnect.max_concurrent_requests "
            "(or c.KFPConnect.request_timeout) if KFP is slow but healthy.",
        status=503,
    )


def unreachable(host: str, reason: str) -> Problem:
    return Problem(
        "unreachable",
        f"Cannot reach {host}: {reason}.",
        fix="Check the URL, that the server (or your kubectl port-forward) is running, and any "
            "proxy or VPN between this Jupyter server and Kubeflow.",
        status=502,
    )


#: The part of tls_error's fix that offers turning verification off: dropped where the admin
#: forbids it (c.KFPConnect.allow_insecure_tls = False), see :func:`within_tls_policy`.
SKIP_VERIFICATION_HINT = (" Or, for a test cluster only, turn verification off (the sign-in form's "
                          "\"Don't verify the TLS certificate\", verify_ssl: false).")


def tls_error(host: str, reason: str) -> Problem:
    return Problem(
        "tls_error",
        f"The TLS certificate of {host} could not be verified: {reason}.",
        fix="Give the cluster's CA bundle (c.KFPConnect.ca_cert or the ca_cert field when signing "
            "in)." + SKIP_VERIFICATION_HINT,
        status=502,
    )


def within_tls_policy(problem: dict, insecure_allowed: bool) -> dict:
    """A Problem's JSON as this server may say it: no advice to turn TLS verification off
    where the admin forbids it (the sign-in would be refused with ``tls_required``)."""
    if insecure_allowed or SKIP_VERIFICATION_HINT not in str(problem.get("fix") or ""):
        return problem
    return {**problem, "fix": problem["fix"].replace(SKIP_VERIFICATION_HINT, "")}


def invalid_credentials(host: str) -> Problem:
    return Problem(
        "invalid_credentials",
        f"Kubeflow rejected the username or password for {host}.",
        fix="Check the email address, password and connector (local or ldap) and try again.",
        status=401,
    )


def kfp_error(status: int, message: str) -> Problem:
    """KFP's own error answer; the fix says where to look next, by who failed."""
    if status in (502, 503, 504):
        fix = ("The gateway could not get an answer from the KFP API server: check that it runs "
               "(kubectl -n kubeflow get pods -l app=ml-pipeline) and try again in a moment.")
    elif status >= 500:
        fix = ("The KFP API server failed on this request: its log says why "
               "(kubectl -n kubeflow logs deploy/ml-pipeline). Try again; if it repeats, report "
               "the log lines to your Kubeflow administrator.")
    else:
        fix = "KFP refused this request; correct what its message names and try again."
    return Problem(
        "kfp_error",
        f"Kubeflow Pipelines answered {status}: {message}" if message else f"Kubeflow Pipelines answered {status}.",
        fix=fix,
        status=status if 400 <= status < 500 else 502,
        details={"kfp_status": status},
    )


def answer_too_large(url: str, limit: int) -> Problem:
    return Problem(
        "kfp_error",
        f"{url} answered with more than {limit // (1024 * 1024)} MB; the answer was not read.",
        fix="Ask for a smaller page (page_size), or check that the URL points at KFP's API.",
        status=502, details={"limit_bytes": limit})


def unexpected_answer(call: str, where: str, wanted: str) -> Problem:
    return Problem(
        "kfp_error",
        f"Kubeflow Pipelines answered {call} in an unexpected shape ({where} should be {wanted}).",
        fix="Check that the URL points at Kubeflow Pipelines 2.x and that no proxy rewrites its answers.",
        status=502, details={"where": where})


# --- classification helpers ----------------------------------------------------------------

def other_scheme(host: str) -> str:
    parts = urlsplit(host)
    scheme = "http" if parts.scheme == "https" else "https"
    netloc = parts.netloc
    return urlunsplit((scheme, netloc, parts.path, "", ""))


def path_alternatives(host: str) -> list[str]:
    """Where the API may live when ``host`` 404s: /pipeline <-> /pipelines, or add /pipeline."""
    parts = urlsplit(host)
    path = parts.path.rstrip("/")
    base = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    if path.endswith("/pipelines"):
        candidates = [path[: -len("s")], path[: -len("/pipelines")]]
    elif path.endswith("/pipeline"):
        candidates = [path + "s", path[: -len("/pipeline")]]
    else:
        candidates = [path + "/pipeline"]
    return [base + c for c in candidates if base + c != host]


def is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen) or "certificate verify failed" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def transport_reason(exc: httpx.HTTPError) -> str:
    """A short reason for a failed request (httpx's own text is often 'All connection
    attempts failed'; the OS error underneath says more)."""
    if isinstance(exc, httpx.TimeoutException):
        return "the request timed out"
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text \
            or "Errno 111" in text:
        return "connection refused"
    if any(isinstance(e, socket.gaierror) for e in chain) or "Name or service not known" in text \
            or "nodename nor servname" in text or "Temporary failure in name" in text:
        return "the host name does not resolve"
    return str(exc) or type(exc).__name__
