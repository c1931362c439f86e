"""Kernels under a real JupyterHub act as the person who started them, and never as another.

Ann's server runs JupyterHub's scope-checking authorizer (``JupyterHubAuthorizer``), Ben's the
default one: every check below holds for both. The tests run in order and share the hub.
"""

from __future__ import annotations

import sys
import time

import pytest

from jupyter_kfp_connect.kernel.client import HEADER_MAX_AGE
from tests.hub.conftest import ANN, BEN, KFP_LOGIN
from tests.hub.hub import Outcome

pytestmark = pytest.mark.timeout(300)


def listing(namespace: str) -> str:
    return f"print(kfp_client.list_pipelines(namespace={namespace!r}).total_size)"


def identities(sandbox) -> list[str]:
    """Who the sandbox saw on successful pipeline listings, in order."""
    return [e["identity"] for e in sandbox.controls.request_log()
            if e["status"] == 200 and e["path"].endswith("/apis/v2beta1/pipelines")]


def anonymous_since(sandbox, before: int) -> bool:
    """No request since entry ``before`` of the sandbox's log carried anyone's credentials."""
    return all(entry["identity"] is None for entry in sandbox.controls.request_log()[before:])


def sign_in(user, owner: str | None = None) -> dict:
    login, password, namespace = KFP_LOGIN[user.name]
    code, status = user.call("POST", "login", {"auth": "dex", "username": login, "password": password,
                                               "namespace": namespace}, owner=owner)
    assert code == 200 and status["state"] == "connected", status
    return status


def ok(outcome: Outcome) -> str:
    assert outcome.status == "ok", outcome.error_text or outcome.text
    return outcome.text


@pytest.fixture(scope="module")
def kernels(hub):
    """One kernel per person on their own server, with the extension loaded (as JupyterLab does)."""
    started = {}
    for name in (ANN, BEN):
        kernel = hub.users[name].start_kernel()
        ok(kernel.run("%load_ext jupyter_kfp_connect"))
        started[name] = kernel
    yield started
    for kernel in started.values():
        kernel.close()


def test_each_person_signs_in_to_kfp_from_their_own_server(hub, dex):
    dex.controls.seed(KFP_LOGIN[ANN][2], 2)
    dex.controls.seed(KFP_LOGIN[BEN][2], 3)
    for name in (ANN, BEN):
        user = hub.users[name]
        status = sign_in(user)
        assert status["username"] == KFP_LOGIN[name][0]
        # The other person's server is not theirs: the hub refuses them there.
        other = BEN if name == ANN else ANN
        code, _ = user.call("GET", "status", owner=other)
        assert code in (302, 403), code
    # Each server kept its own person's session.
    for name in (ANN, BEN):
        code, status = hub.users[name].call("GET", "status")
        assert code == 200 and status["username"] == KFP_LOGIN[name][0]


def test_each_kernel_acts_as_its_person_and_never_as_the_other(hub, dex, kernels):
    for _ in range(2):
        for name in (ANN, BEN):
            login, _, namespace = KFP_LOGIN[name]
            before = len(identities(dex))
            text = ok(kernels[name].run(listing(namespace)))
            assert text.strip() == {ANN: "2", BEN: "3"}[name]
            assert identities(dex)[before:] == [login]


def test_a_signed_out_persons_kernel_is_told_so_and_the_other_keeps_working(hub, dex, kernels):
    code, status = hub.users[BEN].call("POST", "logout")
    assert code == 200 and status["state"] == "signed_out"
    time.sleep(HEADER_MAX_AGE)  # headers a kernel fetched just before may be reused that long
    before = len(dex.controls.request_log())
    failed = kernels[BEN].run(listing(KFP_LOGIN[BEN][2]))
    assert failed.status == "error" and failed.error["ename"] == "KFPConnectError"
    assert "[not_signed_in]" in failed.error_text and "Fix:" in failed.error_text
    assert anonymous_since(dex, before)  # nothing went to KFP as anybody
    assert ok(kernels[ANN].run(listing(KFP_LOGIN[ANN][2]))).strip() == "2"
    assert identities(dex)[-1] == KFP_LOGIN[ANN][0]
    sign_in(hub.users[BEN])  # back for the next tests
    assert ok(kernels[BEN].run(listing(KFP_LOGIN[BEN][2]))).strip() == "3"
    assert identities(dex)[-1] == KFP_LOGIN[BEN][0]


def test_on_a_shared_server_each_kernel_acts_for_the_person_who_started_it(hub, dex, kernels):
    """JupyterHub's sharing puts a second person on Ann's server: that server's identity
    provider now serves two people, and a kernel Ben starts there acts for Ben (his own KFP
    session on that server, or none), never with Ann's session; also after a rename and restart."""
    hub.share(ANN, BEN)
    from tests.hub.hub import HubUser

    guest = HubUser(hub, BEN, token=hub.new_token(BEN))  # a token Ann's server has not seen yet
    kernel = guest.start_kernel(owner=ANN)
    try:
        ok(kernel.run("%load_ext jupyter_kfp_connect"))
        before = len(dex.controls.request_log())
        failed = kernel.run(listing(KFP_LOGIN[ANN][2]))
        assert "[not_signed_in]" in failed.error_text, failed.error_text or failed.text
        assert anonymous_since(dex, before)

        status = sign_in(guest, owner=ANN)  # Ben signs in to KFP on Ann's server, as himself
        assert status["username"] == KFP_LOGIN[BEN][0]
        assert ok(kernel.run(listing(KFP_LOGIN[BEN][2]))).strip() == "3"
        assert identities(dex)[-1] == KFP_LOGIN[BEN][0]
        # Ann's kernel on the same server still acts for Ann.
        assert ok(kernels[ANN].run(listing(KFP_LOGIN[ANN][2]))).strip() == "2"
        assert identities(dex)[-1] == KFP_LOGIN[ANN][0]

        # Renamed (the server updates the kernel's environment) and restarted: still Ben's.
        kernel = guest.rename_and_restart(kernel, owner=ANN)
        ok(kernel.run("%load_ext jupyter_kfp_connect"))
        assert ok(kernel.run(listing(KFP_LOGIN[BEN][2]))).strip() == "3"
        assert identities(dex)[-1] == KFP_LOGIN[BEN][0]
    finally:
        kernel.close()


def test_a_process_started_from_a_terminal_acts_for_the_servers_owner(hub, dex):
    """Papermill or a script in a terminal inherits the server's own secret: under JupyterHub
    it acts for the hub user who owns the server (``JUPYTERHUB_USER``)."""
    script = ("from jupyter_kfp_connect.kernel.session import build_client; "
              "print('total', build_client().list_pipelines(namespace={ns!r}).total_size)")
    for name in (ANN, BEN):
        login, _, namespace = KFP_LOGIN[name]
        before = len(identities(dex))
        output = hub.users[name].terminal(f'{sys.executable} -c "{script.format(ns=namespace)}"', marker="DONE-1")
        expected = {ANN: 2, BEN: 3}[name]
        assert f"total {expected}" in output, output
        assert identities(dex)[before:] == [login]


def test_a_kernel_secret_sent_through_the_proxy_is_not_a_kernel(hub, kernels):
    """The proxy connects to the server from loopback, but says it relayed the request
    (X-Forwarded-For): a leaked secret is no use from outside, with or without a hub login."""
    from jupyter_kfp_connect.kernel import SECRET_HEADER

    secret = ok(kernels[BEN].run(
        "from jupyter_kfp_connect.kernel.client import server_address; print(server_address().secret)")).strip()
    assert len(secret) >= 40
    ben = hub.users[BEN]
    code, body = ben.call("GET", "kernel/connection", headers={SECRET_HEADER: secret})
    assert code == 403 and body["error"]["code"] == "kernel_only", body
    import httpx

    anonymous = httpx.get(ben.server_url() + "kfp-connect/kernel/connection", headers={SECRET_HEADER: secret},
                          timeout=60)
    assert anonymous.status_code in (302, 403) and b"headers" not in anonymous.content


def test_no_server_error_in_any_log(hub):
    log = hub.log_text()
    assert "Traceback" not in log and " 500 " not in log, log[-5000:]
