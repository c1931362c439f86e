"""An identity provider that serves several people on one server: each kernel acts only for the
person who started it; a kernel no person started is refused, with a message.

Kernels here are started the way JupyterLab starts them, through the server's own
``api/sessions`` route as a given person, then driven with jupyter_client.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jupyter_server.auth import IdentityProvider, User

from tests.kernel.conftest import NAMESPACE, PASSWORD, USER, Kernel, identities, kfp_app

PERSON_HEADER = "X-Test-Person"
ALICE, ALICE_PASSWORD = "alice@example.com", "alicepass"
LOGINS = {"ann": (USER, PASSWORD), "ben": (ALICE, ALICE_PASSWORD)}
LIST = f"kfp_client.list_pipelines(namespace={NAMESPACE!r}).total_size"


class HeaderIdentityProvider(IdentityProvider):
    """Names the person from a header, as a provider behind an authenticating proxy would
    (one server, several people). The header is an explicit credential: no XSRF cookie."""

    def get_user(self, handler: Any) -> User | None:
        name = handler.request.headers.get(PERSON_HEADER, "")
        return User(username=name, name=name, display_name=name) if name else None

    def is_token_authenticated(self, handler: Any) -> bool:
        return True


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("dex")


@pytest.fixture
def kfp_config(sb):
    return {"host": sb.kfp_host}


@pytest.fixture
def jp_server_config(jp_server_config):
    serverapp = {**jp_server_config["ServerApp"],
                 "identity_provider_class": f"{__name__}.HeaderIdentityProvider"}
    return {**jp_server_config, "ServerApp": serverapp}


@pytest.fixture
def as_person(jp_fetch):
    async def call(person: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = await jp_fetch(*path.split("/"), method=method, headers={PERSON_HEADER: person},
                                  body=None if body is None else json.dumps(body), raise_error=False)
        return response.code, json.loads(response.body or b"null")

    return call


@pytest.fixture
def server_kernel(jp_serverapp, http_server, as_person, ipython_dir, monkeypatch):
    """``await server_kernel(person)``: a kernel ``person`` starts through ``api/sessions``."""
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    clients = []

    async def start(person: str) -> Kernel:
        code, session = await as_person(person, "POST", "api/sessions", {
            "path": f"{person}.ipynb", "type": "notebook", "name": "", "kernel": {"name": "python3"}})
        assert code == 201, session
        km = jp_serverapp.kernel_manager.get_kernel(session["kernel"]["id"])
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        clients.append(kc)
        kernel = Kernel(km, kc)
        await kernel.run("%load_ext jupyter_kfp_connect")
        return kernel

    yield start
    for kc in clients:
        kc.stop_channels()


async def sign_in(as_person, person: str) -> None:
    login, password = LOGINS[person]
    code, status = await as_person(person, "POST", "kfp-connect/login", {
        "auth": "dex", "username": login, "password": password, "namespace": NAMESPACE})
    assert code == 200 and status["state"] == "connected", status


async def test_each_kernel_acts_for_its_starter_not_for_whoever_signed_in_last(
        sb, as_person, server_kernel):
    sb.controls.seed(NAMESPACE, 2)
    await sign_in(as_person, "ann")
    ann = await server_kernel("ann")
    ben = await server_kernel("ben")
    assert await ann.value(LIST) == "2"
    assert identities(sb)[-1] == USER
    # Ben has not signed in: his kernel says so, and borrows nobody's session.
    failed = await ben.run(f"print({LIST})", ok=False)
    assert "[not_signed_in]" in failed.error_text
    # Ben signs in after Ann: Ann's kernel still acts for Ann, Ben's for Ben.
    await sign_in(as_person, "ben")
    for _ in range(2):
        assert await ann.value(LIST) == "2"
        assert identities(sb)[-1] == USER
        assert await ben.value(LIST) == "2"
        assert identities(sb)[-1] == ALICE


async def test_a_kernel_no_person_started_is_refused_with_a_message(sb, as_person, start_kernel):
    """A kernel launched outside any request inherits the server's own secret; with several
    people and no owner, nobody can be chosen for it."""
    await sign_in(as_person, "ann")
    kernel = await start_kernel()  # jupyter_client directly: the server's environment
    before = len(sb.controls.request_log())
    failed = await kernel.run(f"print({LIST})", ok=False)
    assert "[kernel_person_unknown]" in failed.error_text and "Fix:" in failed.error_text
    assert sb.controls.request_log()[before:] == []


async def test_secrets_are_per_person_and_stay_in_memory(jp_serverapp, sb, as_person, server_kernel):
    from jupyter_kfp_connect.kernel import SECRET_ENV

    ann = await server_kernel("ann")
    ben = await server_kernel("ben")
    launched = [k.km._launch_args["env"][SECRET_ENV] for k in (ann, ben)]
    secrets = kfp_app(jp_serverapp).kernel_secrets
    assert launched[0] != launched[1] and kfp_app(jp_serverapp).kernel_secret not in launched
    assert [secrets.lookup(s).key for s in launched] == ["ann", "ben"]
