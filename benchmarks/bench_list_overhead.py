"""What the list handler costs over calling KFP's REST API directly, for the same page.

A sandbox in this process answers every request after a realistic 20 ms; a real Jupyter
server with the extension runs in a subprocess (its own interpreter, as in production) and
signs in with the same bearer token this script uses for the direct calls. Both sides ask
for the same page (the panel's page size, newest first) of a namespace holding 1,000+
pipelines, alternately, so drift hits both alike.

Target: handler median / direct median <= 1.15. Also printed, as a separate phase (so it does
not warm the server for the measured pairs): the same comparison for ``jupyter_floor.py``, a
bare Jupyter handler forwarding KFP's bytes through the same transport, which is the least any
extension pays; the rest of the handler's overhead is ours. Then the time until the first page
of a 10,000-pipeline namespace is back through the handler (first request and median), and a
deep page (reached by tokens) to show the cost does not grow with the position.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from jupyter_kfp_connect.sandbox import Sandbox  # noqa: E402

NAMESPACE = "kubeflow-user-example-com"
LATENCY_S = 0.020
PAGE_SIZE = 50  # the panel's default (schema/plugin.json pageSize)
SORT = "created_at desc"
SAMPLES = 100
TARGET = 1.15
JUPYTER_TOKEN = "bench-token"
FLOOR = "/kfp-floor/pipelines"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_jupyter(kfp_host: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    config_dir = workdir / "config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"jpserver_extensions": {"jupyter_kfp_connect": True, "jupyter_floor": True}},
        "KFPConnect": {"host": kfp_host},
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KF_PIPELINES", "KUBERNETES_"))}
    env.update(JUPYTER_CONFIG_DIR=str(config_dir), JUPYTER_DATA_DIR=str(workdir / "data"),
               JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), BENCH_KFP_HOST=kfp_host,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "benchmarks"),
                                                        env.get("PYTHONPATH")])))
    root = workdir / "root"
    root.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1", "--no-browser",
         f"--IdentityProvider.token={JUPYTER_TOKEN}", f"--ServerApp.root_dir={root}",
         "--ServerApp.log_level=WARN", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/api/status", headers=_auth(), timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode()[-2000:])
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("jupyter server did not start")


def _auth() -> dict[str, str]:
    return {"Authorization": f"token {JUPYTER_TOKEN}"}


def timed(client: httpx.Client, url: str, params: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    response = client.get(url, params=params)
    elapsed = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    return elapsed, response.json()


def main() -> int:
    sandbox = Sandbox("in-cluster").start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-list-"))
    proc = None
    try:
        sandbox.controls.seed(NAMESPACE, 1200, prefix="bench")
        token = sandbox.controls.tokens.issue(NAMESPACE)
        proc, jupyter = start_jupyter(sandbox.kfp_host, workdir)
        direct = httpx.Client(base_url=sandbox.kfp_host, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        handler = httpx.Client(base_url=jupyter, headers=_auth(), timeout=30)  # keeps the user cookie
        login = handler.post("/kfp-connect/login", json={"auth": "token", "token": token, "namespace": NAMESPACE})
        login.raise_for_status()
        sandbox.controls.latency(LATENCY_S)

        direct_params = {"namespace": NAMESPACE, "page_size": PAGE_SIZE, "sort_by": SORT}
        handler_params = {"scope": "private", "page_size": PAGE_SIZE, "sort_by": SORT}
        kfp_list, ours = "/apis/v2beta1/pipelines", "/kfp-connect/pipelines"
        direct_ms, handler_ms = alternate(direct, kfp_list, direct_params, handler, ours, handler_params)
        raw, page = direct.get(kfp_list, params=direct_params).json(), handler.get(ours, params=handler_params).json()
        assert [p["id"] for p in page["pipelines"]] == [p["pipeline_id"] for p in raw["pipelines"]], \
            "the handler and KFP must return the same page"
        d_med, h_med = statistics.median(direct_ms), statistics.median(handler_ms)
        ratio = h_med / d_med
        print(f"namespace with {page['total_size']} pipelines, page_size {PAGE_SIZE}, sort '{SORT}', "
              f"KFP latency {LATENCY_S * 1000:.0f} ms, {SAMPLES} samples each")
        print(f"  direct KFP REST list   median {d_med:7.2f} ms   p90 {_p90(direct_ms):7.2f} ms")
        print(f"  kfp-connect/pipelines  median {h_med:7.2f} ms   p90 {_p90(handler_ms):7.2f} ms")
        print(f"  overhead ratio (median) {ratio:.3f}  (target <= {TARGET})  "
              f"{'OK' if ratio <= TARGET else 'OVER TARGET'}")

        handler.headers["X-KFP-Authorization"] = f"Bearer {token}"
        floor_direct, floor_ms = alternate(direct, kfp_list, direct_params, handler, FLOOR, direct_params)
        f_direct, f_med = statistics.median(floor_direct), statistics.median(floor_ms)
        print(f"  for scale, a second phase: a bare Jupyter handler forwarding the same page "
              f"(benchmarks/jupyter_floor.py)")
        print(f"  direct {f_direct:.2f} ms, bare handler {f_med:.2f} ms: ratio {f_med / f_direct:.3f}; "
              f"ours adds {h_med - d_med - (f_med - f_direct):+.2f} ms to Jupyter's own "
              f"{f_med - f_direct:.2f} ms")

        # --- 10,000 pipelines: time until the first page is back through the handler --------
        sandbox.controls.latency(0)
        sandbox.controls.seed(NAMESPACE, 10_000 - page["total_size"], prefix="more")
        sandbox.controls.latency(LATENCY_S)
        fresh = httpx.Client(base_url=jupyter, headers=_auth(), timeout=30)  # a new user: cold connection
        start = time.perf_counter()
        fresh.post("/kfp-connect/login", json={"auth": "token", "token": token, "namespace": NAMESPACE}).raise_for_status()
        login_ms = (time.perf_counter() - start) * 1000
        first_ms, first = timed(fresh, ours, handler_params)
        warm = [timed(fresh, ours, handler_params)[0] for _ in range(20)]
        tok = first["next_page_token"]
        for _ in range(39):  # page 41 of 200: reached by following tokens, as scrolling does
            tok = timed(fresh, ours, {"page_token": tok, "page_size": PAGE_SIZE})[1]["next_page_token"]
        deep = [timed(fresh, ours, {"page_token": tok, "page_size": PAGE_SIZE})[0] for _ in range(10)]
        print(f"namespace with {first['total_size']} pipelines (KFP latency {LATENCY_S * 1000:.0f} ms):")
        print(f"  sign-in (token, cold connection)      {login_ms:7.2f} ms")
        print(f"  first page through the handler        {first_ms:7.2f} ms   (sign-in + first page "
              f"{login_ms + first_ms:.2f} ms)")
        print(f"  first page, median of 20              {statistics.median(warm):7.2f} ms")
        print(f"  page 41 via tokens, median of 10      {statistics.median(deep):7.2f} ms")
        for client in (direct, handler, fresh):
            client.close()
        return 0 if ratio <= TARGET else 1
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        sandbox.close()
        shutil.rmtree(workdir, ignore_errors=True)


def alternate(first: httpx.Client, first_path: str, first_params: dict,
              second: httpx.Client, second_path: str, second_params: dict) -> tuple[list[float], list[float]]:
    """SAMPLES timings of each, taken in turns so that drift hits both alike."""
    for _ in range(5):  # warm both paths (pools, first-request work)
        timed(first, first_path, first_params)
        timed(second, second_path, second_params)
    a, b = [], []
    for _ in range(SAMPLES):
        a.append(timed(first, first_path, first_params)[0])
        b.append(timed(second, second_path, second_params)[0])
    return a, b


def _p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1]


if __name__ == "__main__":
    sys.exit(main())
