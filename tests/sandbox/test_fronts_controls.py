"""Test controls, in Python and over HTTP: latency, injected failures, the request log, reset."""

import time

import httpx
import pytest

from jupyter_kfp_connect.sandbox import Sandbox
from jupyter_kfp_connect.sandbox.fronts import make_front
from tests.sandbox.conftest import control_headers

NS = "kubeflow-user-example-com"
LIST = "/apis/v2beta1/pipelines"


@pytest.fixture(scope="module")
def standalone():
    with Sandbox(mode="standalone") as sb:
        yield sb


@pytest.fixture
def sandbox(standalone):
    standalone.controls.reset()
    return standalone


def test_standalone_is_open_and_single_user(sandbox, http):
    assert sandbox.multi_user is False and sandbox.kfp_host == sandbox.url
    assert http.get(LIST).status_code == 200
    assert http.get("/apis/v2beta1/healthz").json()["multi_user"] is False


def test_latency_delays_api_requests_but_not_controls(sandbox, http):
    sandbox.controls.latency(0.3)
    started = time.perf_counter()
    assert http.get(LIST).status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    assert http.post("/_sandbox/latency", json={"seconds": 0}).json() == {"seconds": 0.0}
    assert time.perf_counter() - started < 0.3
    started = time.perf_counter()
    http.get(LIST)
    assert time.perf_counter() - started < 0.3


def test_fail_next_500_503_and_drop(sandbox, http):
    sandbox.controls.fail_next(2, "500")
    first, second, third = (http.get(LIST) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (500, 500, 200)
    assert first.json()["code"] == 13

    http.post("/_sandbox/fail_next", json={"n": 1, "kind": "503"})
    gateway = http.get(LIST)
    assert gateway.status_code == 503 and gateway.text.startswith("upstream connect error")

    sandbox.controls.fail_next(1, "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(LIST)
    assert http.get(LIST).status_code == 200
    statuses = [e["status"] for e in sandbox.controls.request_log()]
    assert statuses == [500, 500, 200, 503, "dropped", 200]

    with pytest.raises(ValueError):
        sandbox.controls.fail_next(1, "teapot")
    bad = http.post("/_sandbox/fail_next", json={"n": 1, "kind": "teapot"})
    assert bad.status_code == 400 and "kind" in bad.json()["error"]


def test_request_log_keeps_no_query_strings_cookies_or_tokens():
    with Sandbox(mode="dex") as sb, httpx.Client(base_url=sb.url, headers=control_headers(sb)) as http:
        token = sb.controls.tokens.issue(NS)
        http.get(LIST, params={"namespace": NS, "secret": "s3cret"},
                 headers={"Authorization": f"Bearer {token}", "Cookie": "oauth2_proxy_kubeflow=c00kie"})
        log = sb.controls.request_log()
        assert log == [{"method": "GET", "path": LIST, "status": 200,
                        "identity": f"system:serviceaccount:{NS}:default-editor", "time": log[0]["time"]}]
        served = http.get("/_sandbox/log").json()["requests"]
        assert served == log
        assert not any(s in str(served) for s in ("s3cret", "c00kie", token, sb.control_token))
        assert http.delete("/_sandbox/log").status_code == 200 and sb.controls.request_log() == []


def test_http_controls_seed_expire_tokens_rbac_and_reset():
    with Sandbox(mode="dex") as sb, httpx.Client(base_url=sb.url, headers=control_headers(sb)) as http:
        info = http.get("/_sandbox/info").json()
        assert info["mode"] == "dex" and info["kfp_host"] == sb.kfp_host
        assert {"login": "user@example.com", "password": "12341234", "email": "user@example.com",
                "connector": "local", "namespaces": [NS]} in info["users"]

        ids = http.post("/_sandbox/seed", json={"namespace": NS, "count": 3, "versions": 2}).json()["ids"]
        assert len(ids) == 3
        token = http.post("/_sandbox/tokens", json={"action": "issue", "namespace": NS}).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        listed = http.get(f"/pipeline{LIST}", params={"namespace": NS}, headers=bearer).json()
        assert listed["total_size"] == 3

        path = sb.state_dir / "token"
        assert http.post("/_sandbox/tokens", json={"action": "write", "path": "token", "namespace": NS}).status_code == 200
        assert path.exists()
        assert http.post("/_sandbox/tokens", json={"action": "rotate", "path": str(path)}).status_code == 200
        assert http.post("/_sandbox/tokens", json={"action": "delete", "path": "token"}).status_code == 200
        assert not path.exists()

        assert http.post("/_sandbox/rbac", json={"action": "grant", "user": f"system:serviceaccount:{NS}:default-editor",
                                                 "namespace": "alice", "role": "view"}).status_code == 200
        assert http.get(f"/pipeline{LIST}", params={"namespace": "alice"}, headers=bearer).status_code == 200

        assert http.post("/_sandbox/expire_sessions").json() == {"expired": 0}
        # Controls refuse form posts (a web page could send those cross-origin).
        assert http.post("/_sandbox/reset", data={"x": "1"}).status_code == 415
        assert http.post("/_sandbox/reset", json={}).status_code == 200
        assert http.get(f"/pipeline{LIST}", params={"namespace": NS}, headers=bearer).status_code == 401
        assert sb.store.counts()["pipelines"] == 0
        assert sb.rbac.role(f"system:serviceaccount:{NS}:default-editor", "alice") is None


def test_http_controls_need_the_token_and_the_sandboxs_own_host(tmp_path):
    """A web page (DNS rebinding sends its own Host) or a local process without the token gets
    nothing; files are written and deleted only inside the state folder."""
    outside = tmp_path / "victim"
    outside.write_text("keep me")
    with Sandbox(mode="dex") as sb, httpx.Client(base_url=sb.url) as bare:
        assert bare.get("/_sandbox/info").status_code == 403
        assert bare.post("/_sandbox/reset", json={}).status_code == 403
        wrong = {**control_headers(sb), "X-Sandbox-Token": "guess"}
        assert bare.post("/_sandbox/seed", json={"namespace": "", "count": 1}, headers=wrong).status_code == 403
        rebound = {**control_headers(sb), "Host": f"attacker.example:{sb.port}"}
        assert bare.get("/_sandbox/info", headers=rebound).status_code == 403
        assert sb.store.counts()["pipelines"] == 0
        ok = control_headers(sb)
        assert bare.get("/_sandbox/info", headers=ok).status_code == 200
        assert bare.get("/_sandbox/info", headers={**ok, "Host": f"localhost:{sb.port}"}).status_code == 200
        for path in (str(outside), "../" * 8 + str(outside).lstrip("/"), f"{sb.state_dir}/../x"):
            for action in ("write", "rotate", "delete"):
                answer = bare.post("/_sandbox/tokens", headers=ok,
                                   json={"action": action, "path": path, "namespace": NS})
                assert answer.status_code == 403, (action, path, answer.text)
        assert outside.read_text() == "keep me"
        state = sb.state_dir
    assert not state.exists()  # the folder the sandbox made goes with it


def test_make_front_refuses_unknown_modes_and_options():
    with pytest.raises(ValueError):
        make_front("kerberos", None)
    with pytest.raises(ValueError):
        make_front("standalone", None, approval=True)
    with pytest.raises(ValueError):
        make_front("dex", None, connectors="local,github")
    with pytest.raises(TypeError):
        make_front("in-cluster", None, approval=True)


def _cli_env() -> dict:
    import os

    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}


def _start_cli(*args: str):
    """The sandbox CLI in a subprocess; returns it with what it printed up to "Press Ctrl+C"."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "jupyter_kfp_connect.sandbox.cli", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_cli_env())
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Press Ctrl+C"):
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            raise AssertionError("the sandbox exited early")
        lines.append(line.rstrip())
    return proc, lines


def _stop_cli(proc) -> None:
    import signal

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def _origin(lines: list[str]) -> str:
    return next(line.split()[-1] for line in lines if "API origin" in line)


def test_cli_prints_urls_and_credentials_and_stops_on_sigterm():
    import os
    import subprocess
    import sys

    proc, lines = _start_cli("--mode", "in-cluster", "--seed", "2")
    try:
        text = "\n".join(lines)
        url = _origin(lines)
        token_file = next(line.split()[3] for line in lines if "ServiceAccount token" in line)
        assert "export KF_PIPELINES_SA_TOKEN_PATH=" in text
        with open(token_file) as handle:
            bearer = {"Authorization": f"Bearer {handle.read()}"}
        listed = httpx.get(f"{url}{LIST}", params={"namespace": NS}, headers=bearer).json()
        assert listed["total_size"] == 2
        denied = httpx.get(f"{url}{LIST}", headers={"kubeflow-userid": "user@example.com"})
        assert denied.text == "RBAC: access denied"
        control_token = next(line.split()[-1] for line in lines if "X-Sandbox-Token" in line)
        assert httpx.get(f"{url}/_sandbox/info").status_code == 403
        assert httpx.get(f"{url}/_sandbox/info", headers={"X-Sandbox-Token": control_token}).status_code == 200
    finally:
        _stop_cli(proc)
    assert not os.path.exists(token_file)

    wrong = subprocess.run([sys.executable, "-m", "jupyter_kfp_connect.sandbox.cli", "--mode", "standalone",
                            "--approval"], capture_output=True, text=True, env=_cli_env(), timeout=30)
    assert wrong.returncode != 0 and "--approval does not apply to --mode standalone" in wrong.stderr


def test_cli_keeps_a_db_file_and_seeds_it_once(tmp_path):
    """The demo restarts the sandbox on the same file: uploads survive, seeds do not pile up."""
    db = str(tmp_path / "demo.db")
    proc, lines = _start_cli("--mode", "standalone", "--db", db, "--seed", "3")
    try:
        url = _origin(lines)
        uploaded = httpx.post(f"{url}/apis/v2beta1/pipelines", json={"name": "mine", "display_name": "mine"})
        assert uploaded.status_code == 200, uploaded.text
    finally:
        _stop_cli(proc)

    proc, lines = _start_cli("--mode", "standalone", "--db", db, "--seed", "3")
    try:
        names = [p["display_name"] for p in httpx.get(f"{_origin(lines)}{LIST}").json()["pipelines"]]
    finally:
        _stop_cli(proc)
    assert sorted(names) == ["mine", "shared-00001", "shared-00002", "shared-00003"]
