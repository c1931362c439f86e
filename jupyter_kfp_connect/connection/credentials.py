"""How a request proves who it is: nothing, a token file, a bearer token, or session cookies.

Every kind answers ``headers()`` fresh on each call: projected ServiceAccount tokens rotate
(every 2 hours by default), so the file is re-read each time and never cached. Secret
values live in these objects only (server memory); ``describe()`` says what kind of
credential is in use without ever showing it, and ``repr`` hides it too.
"""

from __future__ import annotations

import base64
import json
from http.cookies import SimpleCookie
from typing import Iterable

from .. import problems
from ..errors import KFPConnectError


class Secret:
    """A string that never prints: ``repr``/``str`` show stars so a stray log line stays clean."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


class Credentials:
    """No credentials: standalone KFP or a port-forward."""

    kind = "none"
    #: what a 401 means for this kind: the session expired, or the token was refused
    expires = False

    def headers(self) -> dict[str, str]:
        return {}

    def describe(self) -> dict[str, object]:
        return {"kind": self.kind}

    def secrets(self) -> list[str]:
        """The secret strings this credential holds (only for tests that prove none leaks)."""
        return []


class TokenFile(Credentials):
    """The projected pipelines token in a pod, re-read from disk on every request."""

    kind = "in-cluster"

    def __init__(self, path: str, namespace: str = "") -> None:
        self.path = path
        self.namespace = namespace
        self._seen = False

    def read(self) -> str:
        try:
            with open(self.path, encoding="utf-8") as fh:
                token = fh.read().strip()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
            token = ""
        if not token:
            raise KFPConnectError.from_problem(
                problems.no_token_mounted(self.path, self.namespace, was_present=self._seen)
            )
        self._seen = True
        return token

    def exists(self) -> bool:
        try:
            self.read()
        except KFPConnectError:
            return False
        return True

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.read()}"}

    def service_account(self) -> tuple[str, str]:
        """(namespace, name) from the token's ``sub`` claim; the claims are not secret, the
        signature is. Falls back to Kubeflow's notebook default."""
        try:
            sub = _jwt_claims(self.read()).get("sub", "")
        except KFPConnectError:
            sub = ""
        parts = str(sub).split(":")
        if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
            return parts[2], parts[3]
        return self.namespace, problems.DEFAULT_SERVICE_ACCOUNT

    def describe(self) -> dict[str, object]:
        return {"kind": self.kind, "token_path": self.path}

    def secrets(self) -> list[str]:
        try:
            return [self.read()]
        except KFPConnectError:
            return []


class BearerToken(Credentials):
    """A token the user pasted (e.g. ``kubectl create token``)."""

    kind = "token"

    def __init__(self, token: str) -> None:
        self._token = Secret(token.strip().removeprefix("Bearer ").strip())

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token.reveal()}"}

    def secrets(self) -> list[str]:
        return [self._token.reveal()]


class SessionCookies(Credentials):
    """Cookies from a Dex login (every cookie the flow set, whatever its name) or pasted."""

    kind = "cookie"
    expires = True

    def __init__(self, pairs: Iterable[tuple[str, str]], *, kind: str = "cookie") -> None:
        self._pairs = [(name, Secret(value)) for name, value in pairs]
        self.kind = kind

    @classmethod
    def parse(cls, text: str, default_name: str = "") -> "SessionCookies":
        """A pasted ``Cookie:`` header (``a=b; c=d``) or, with ``default_name``, a bare value."""
        text = text.strip().removeprefix("Cookie:").strip()
        if "=" not in text:
            if not text or not default_name:
                raise KFPConnectError(
                    "bad_request",
                    "Paste the cookie as name=value (e.g. oauth2_proxy_kubeflow=...).",
                    status=400,
                )
            return cls([(default_name, text)])
        jar = SimpleCookie()
        try:
            jar.load(text)
        except Exception as err:  # http.cookies raises CookieError, a bare Exception subclass
            raise KFPConnectError("bad_request", "The pasted cookie could not be parsed.", status=400) from err
        pairs = [(name, morsel.value) for name, morsel in jar.items()]
        if not pairs:
            raise KFPConnectError("bad_request", "The pasted cookie could not be parsed.", status=400)
        return cls(pairs)

    def names(self) -> list[str]:
        return [name for name, _ in self._pairs]

    def headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{name}={value.reveal()}" for name, value in self._pairs)}

    def describe(self) -> dict[str, object]:
        return {"kind": self.kind, "cookie_names": self.names()}

    def secrets(self) -> list[str]:
        return [value.reveal() for _, value in self._pairs if value]


def _jwt_claims(token: str) -> dict:
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}
