"""Projected ServiceAccount tokens for the in-cluster front: a registry that plays the
Kubernetes TokenReview API, plus helpers that write, rotate and delete a token *file* the way
the kubelet does, so tests exercise the real client path (re-read the file on every request).

A real projected token (``serviceAccountToken`` volume, ``audience: pipelines.kubeflow.org``)
is a signed JWT; KFP sends it to TokenReview with that audience. Here the registry is the
authority: a token is valid while it is registered, unexpired, and issued for the audience.
Rotating a file revokes the token it held, so an old copy stops working at once (stricter than a
cluster, where the old token lives until it expires; it makes "the client cached the token"
bugs visible).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: The audience KFP's API server asks TokenReview for (``TOKEN_REVIEW_AUDIENCE``).
PIPELINES_AUDIENCE = "pipelines.kubeflow.org"
#: What the default (non-projected) ServiceAccount token is issued for: KFP rejects it.
KUBERNETES_AUDIENCE = "https://kubernetes.default.svc.cluster.local"
DEFAULT_SA = "default-editor"


def subject(namespace: str, sa: str = DEFAULT_SA) -> str:
    """The user name TokenReview reports for a ServiceAccount."""
    return f"system:serviceaccount:{namespace}:{sa}"


@dataclass(frozen=True)
class TokenClaims:
    namespace: str
    sa: str
    audience: str
    expires_at: float

    @property
    def subject(self) -> str:
        return subject(self.namespace, self.sa)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenRegistry:
    """Issued tokens and their claims; thread-safe (tests write files from their own thread
    while the sandbox reviews tokens on its event loop)."""

    def __init__(self) -> None:
        self._tokens: dict[str, TokenClaims] = {}
        self._lock = threading.Lock()

    def issue(
        self,
        namespace: str,
        sa: str = DEFAULT_SA,
        audience: str = PIPELINES_AUDIENCE,
        lifetime: float = 7200,
    ) -> str:
        """A new JWT-shaped token (header.payload.signature) for ``namespace``/``sa``."""
        now = time.time()
        claims = TokenClaims(namespace, sa, audience, now + lifetime)
        header = {"alg": "RS256", "kid": "sandbox"}
        payload = {
            "aud": [audience],
            "exp": int(claims.expires_at),
            "iat": int(now),
            "iss": "https://kubernetes.default.svc.cluster.local",
            "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": sa}},
            "sub": claims.subject,
        }
        token = ".".join(
            (
                _b64(json.dumps(header).encode()),
                _b64(json.dumps(payload).encode()),
                _b64(secrets.token_bytes(32)),
            )
        )
        with self._lock:
            self._tokens[token] = claims
        return token

    def claims(self, token: str) -> TokenClaims | None:
        """Claims of a registered, unexpired token (any audience): Istio's JWT check."""
        with self._lock:
            claims = self._tokens.get(token)
        if claims is None or claims.expires_at < time.time():
            return None
        return claims

    def review(self, token: str, audience: str = PIPELINES_AUDIENCE) -> str | None:
        """TokenReview: the authenticated user name, or None (unknown, revoked, expired,
        or issued for another audience)."""
        claims = self.claims(token)
        if claims is None or claims.audience != audience:
            return None
        return claims.subject

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


def _atomic_write(path: Path, text: str) -> None:
    """Replace the file in one step, as the kubelet's atomic writer does: a reader never sees
    a half-written token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".token-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class TokenFiles:
    """Token files backed by one registry (``sandbox.controls.tokens``)."""

    def __init__(self, registry: TokenRegistry) -> None:
        self.registry = registry

    def issue(self, namespace: str, sa: str = DEFAULT_SA, audience: str = PIPELINES_AUDIENCE) -> str:
        """A token not written anywhere (for callers that paste a token)."""
        return self.registry.issue(namespace, sa, audience)

    def write_token(
        self,
        path: str | os.PathLike[str],
        namespace: str,
        sa: str = DEFAULT_SA,
        audience: str = PIPELINES_AUDIENCE,
    ) -> Path:
        """Mount a fresh token at ``path``; returns the path."""
        target = Path(path)
        _atomic_write(target, self.registry.issue(namespace, sa, audience))
        return target

    def rotate(self, path: str | os.PathLike[str]) -> None:
        """Replace the token in ``path`` with a new one for the same ServiceAccount and revoke
        the old one."""
        target = Path(path)
        old = target.read_text().strip()
        claims = self.registry.claims(old)
        if claims is None:
            raise ValueError(f"{target} does not hold a live sandbox token")
        _atomic_write(target, self.registry.issue(claims.namespace, claims.sa, claims.audience))
        self.registry.revoke(old)

    def delete(self, path: str | os.PathLike[str]) -> None:
        """Unmount: remove the file and revoke its token (a deleted ServiceAccount)."""
        target = Path(path)
        try:
            self.registry.revoke(target.read_text().strip())
        except FileNotFoundError:
            return
        target.unlink(missing_ok=True)
