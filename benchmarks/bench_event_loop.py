"""Does a slow KFP slow down Jupyter? /api/status latency idle vs. with 20 KFP calls in flight.

A sandbox in this process answers every KFP request after 2 s; a real Jupyter server with the
extension runs in a subprocess. We time Jupyter's own ``/api/status`` while idle, then while
20 ``kfp-connect/check`` requests (each several KFP round trips) are waiting on KFP. If any
KFP call blocked the server's event loop, ``/api/status`` would wait seconds.

Target: loaded median / idle median ~ 1.0 (judged: <= 2.0, i.e. milliseconds either way).
"""

from __future__ import annotations

import asyncio
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

KFP_LATENCY_S = 2.0
IN_FLIGHT = 20
SAMPLES = 40
TARGET = 2.0
TOKEN = "bench-event-loop"
AUTH = {"Authorization": f"token {TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_jupyter(kfp_host: str, workdir: Path, *, loop_lag: bool = False, floor: bool = False,
                  settings: dict | None = None) -> tuple[subprocess.Popen, str]:
    """A Jupyter server with the extension, configured for the sandbox, in its own process
    (``loop_lag``: with the benchmarks' loop-lag probe, ``benchmarks/loop_lag.py``, too;
    ``floor``: with ``benchmarks/jupyter_floor.py``'s bare forwarding handler)."""
    config_dir = workdir / "config"
    config_dir.mkdir()
    extensions = {"jupyter_kfp_connect": True, **({"loop_lag": True} if loop_lag else {}),
                  **({"jupyter_floor": True} if floor else {})}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"jpserver_extensions": extensions},
        "KFPConnect": {"host": kfp_host, **(settings or {})},
    }))
    (workdir / "root").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KF_PIPELINES", "KUBERNETES_"))}
    env.update(JUPYTER_CONFIG_DIR=str(config_dir), JUPYTER_DATA_DIR=str(workdir / "data"),
               JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), BENCH_KFP_HOST=kfp_host,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "benchmarks"), env.get("PYTHONPATH")])))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1", "--no-browser",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={workdir / 'root'}",
         "--ServerApp.log_level=WARN", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode()[-2000:])
        try:
            if httpx.get(f"{url}/api/status", headers=AUTH, timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the Jupyter server did not start in 120 s")


async def status_latencies(client: httpx.AsyncClient, samples: int) -> list[float]:
    """Sequential ``/api/status`` round trips, in milliseconds."""
    found = []
    for _ in range(samples):
        start = time.perf_counter()
        response = await client.get("/api/status")
        found.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        await asyncio.sleep(0.01)
    return found


async def measure(url: str, sandbox: Sandbox) -> int:
    limits = httpx.Limits(max_connections=IN_FLIGHT + 5)
    async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=120, limits=limits) as client:
        # one Jupyter user for every request: keep the login cookie the first answer sets
        (await client.get("/kfp-connect/status")).raise_for_status()
        await status_latencies(client, 5)  # warm up
        idle = await status_latencies(client, SAMPLES)

        sandbox.controls.latency(KFP_LATENCY_S)
        sandbox.controls.clear_log()
        started = time.perf_counter()
        checks = [asyncio.create_task(client.get("/kfp-connect/check")) for _ in range(IN_FLIGHT)]
        await asyncio.sleep(0.5)  # let all of them reach KFP
        waiting = sum(1 for r in sandbox.controls.request_log() if r["status"] is None)
        loaded = await status_latencies(client, SAMPLES)
        measured_within = time.perf_counter() - started
        answers = await asyncio.gather(*checks)
        took = time.perf_counter() - started
        sandbox.controls.latency(0)

    ok = sum(1 for a in answers if a.status_code == 200 and a.json().get("ok"))
    idle_ms, loaded_ms = statistics.median(idle), statistics.median(loaded)
    ratio = loaded_ms / idle_ms
    print(f"KFP latency:                      {KFP_LATENCY_S:.1f} s per request")
    print(f"KFP requests waiting when measured: {waiting} (from {IN_FLIGHT} kfp-connect/check calls)")
    print(f"/api/status idle median:          {idle_ms:.2f} ms  (p90 {sorted(idle)[int(SAMPLES * .9)]:.2f} ms)")
    print(f"/api/status loaded median:        {loaded_ms:.2f} ms  (p90 {sorted(loaded)[int(SAMPLES * .9)]:.2f} ms, "
          f"all {SAMPLES} within {measured_within:.2f} s of the start)")
    print(f"check calls: {ok}/{IN_FLIGHT} ok, all answered after {took:.1f} s")
    print(f"ratio loaded/idle:                {ratio:.2f}  (target ~1.0, judged <= {TARGET})")
    fine = ratio <= TARGET and ok == IN_FLIGHT and waiting >= IN_FLIGHT and measured_within < KFP_LATENCY_S
    return 0 if fine else 1


def main() -> int:
    sandbox = Sandbox("standalone").start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-event-loop-"))
    proc = None
    try:
        proc, url = start_jupyter(sandbox.kfp_host, workdir)
        return asyncio.run(measure(url, sandbox))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        sandbox.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
