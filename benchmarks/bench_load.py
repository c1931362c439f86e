"""Load: 500 concurrent list calls, then 50 concurrent uploads, against a sandbox at 20 ms.

Three processes besides this one: a sandbox (``jupyter-kfp-sandbox``) that answers every KFP
request after 20 ms, a real Jupyter server with the extension (and the benchmarks' loop-lag
probe, ``loop_lag.py``), and a load generator that sends the waves (aiohttp, C parser: an
httpx client spent more CPU making 500 requests than the server spent answering). This
process only times Jupyter's own ``/api/status`` while each wave is in flight, on a loop of
its own, so a probe never waits behind the load's client work, and reads the server's loop
lag, the CPU each process spent, and the server's file descriptors and resident memory from
``/proc`` before and after (once its pooled KFP connections have been closed).

Why the CPU figures: this machine has 2 cores for the server, the sandbox and the load
generator together (and whatever else runs). A status round trip cannot be faster than the
server's loop turns around; the server's loop lag says how much of a status p95 is the
server's own doing, and the CPU split and the load average say whether the cores were there.

Judged: every answer clean; status p95 under load <= 3x the idle p95, with the idle p95
floored at 5 ms. The raw ratio, against a sub-millisecond idle p95, is printed beside it:
about half of single list or upload waves meet it, the worst of the default two rounds'
four waves does not (3.1-4.2 in six runs here; see "What the ratio costs" below). Also
judged: the server's loop lag p95 in loop CPU <= 25 ms (LAG_P95_MS: the server's own work
between two turns of its loop, which is what the extension decides; the same lag in wall
time is printed beside it, and on a machine whose cores are shared with other work it is
that CPU lag stretched by the scheduler, which no code in the server can shorten); file
descriptors back to the baseline (+2), both counted once the server holds no connection to
KFP; memory within 25% (+30 MB) of the baseline taken after a warm-up wave, and not growing
from one round of both waves to the next (``ROUNDS``, 2).

What the server cannot spread out: when 500 requests arrive at the same instant, Tornado
reads and routes them (Jupyter's authentication included, some 40 us each) in a handful of
loop turns of 5-25 ms before any of them reaches the extension's admission queue; with a
gen-2 garbage collection (~70 ms) that is the "max" loop lag of the list wave, once a burst.
What the ratio costs: the sandbox answers the admitted calls (``max_concurrent_requests``, 8)
together; finishing them in one loop turn made a status request wait behind all of them.
``connection/pacing.py`` sends them and finishes their answers one per turn. Measured here on
a quiet machine, six alternating one-round runs each (idle status p95 ~0.85 ms): raw ratio
median 2.8 (1.9-4.9) with pacing, 4.3 (3.0-5.9) without; 500 lists take 1.8 s either way.
What is left is many short turns, not long ones: of ~4,100 loop iterations in a list wave
about 27 do more than 1 ms of work (the ones above), so a status request mostly waits behind
a few sub-millisecond callbacks, and for the two cores the sandbox, the load generator and
the probe share with the server. Fewer admitted calls mean shorter turns and slower bursts
(4 slots with pacing: raw 1.7-3.3, 500 lists in 3.3 s), which ``KFP_CONCURRENCY=N``
reproduces. For scale, the same list wave through a bare handler that only forwards KFP's
bytes (``jupyter_floor.py``, no admission limit) is printed too.
Traffic goes to 127.0.0.1 only.
"""

# No "from __future__ import annotations": kfp reads component annotations as real types.

import asyncio
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402
import httpx  # noqa: E402
from bench_event_loop import AUTH, start_jupyter  # noqa: E402

from tests.procfs import sockets_to  # noqa: E402

KFP_LATENCY_S = 0.020
LISTS = 500
UPLOADS = 50
IDLE_SAMPLES = 60
IDLE_FLOOR_MS = 5.0
#: The KFP pool keeps an idle connection 5 s (httpx's keep-alive expiry), but aiohttp closes idle
#: connections from a sweep that runs every 5 s (rounded up to the second), so one may live up
#: to ~11 s (aiohttp ``BaseConnector._cleanup``). The figures are taken once the server holds no
#: connection to KFP, waiting at most this long: a baseline taken earlier (7 s, before) counted
#: up to 8 pooled sockets in one run and none in another.
POOL_DRAIN_LIMIT_S = 15.0
#: Rounds of both waves: memory after the last must not have grown past the first by more than
#: ROUND_GROWTH_MB (a leak grows with every round; the allocator's high-water mark does not).
ROUNDS = int(os.environ.get("ROUNDS", "2"))
ROUND_GROWTH_MB = 5.0
#: The server's loop may spend this much CPU between two of its turns at p95 while loaded:
#: a few answers' worth of work (a list call costs the server ~5 ms of CPU here, all told).
LAG_P95_MS = 25.0


def compiled_package() -> bytes:
    """A package from the real KFP compiler (two tasks, typed parameters)."""
    from kfp import compiler, dsl

    @dsl.component(base_image="python:3.12")
    def add(a: float, b: float) -> float:
        return a + b

    @dsl.pipeline(name="load")
    def load(x: float = 1.0, y: float = 2.0):
        first = add(a=x, b=y)
        add(a=first.output, b=y)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "load.yaml"
        compiler.Compiler().compile(load, str(path))
        return path.read_bytes()


class _Answer:
    """What the benchmark keeps of an answer: status and whether the body is a clean result."""

    def __init__(self, status: int, body: object) -> None:
        self.status, self.body = status, body


async def fetch(session: aiohttp.ClientSession, method: str, path: str, **kwargs) -> _Answer:
    async with session.request(method, path, **kwargs) as response:
        body = await response.json(content_type=None) if response.status < 600 else None
        return _Answer(response.status, body)


def clean(answers: list, expected: int) -> int:
    return sum(1 for a in answers if isinstance(a, _Answer) and a.status == expected
               and isinstance(a.body, dict) and "error" not in a.body)


def failures(answers: list, expected: int) -> dict[str, int]:
    """What the unclean answers were: ``{"502 unreachable": 3, ...}``."""
    found: dict[str, int] = {}
    for a in answers:
        if isinstance(a, _Answer) and a.status == expected and isinstance(a.body, dict) and "error" not in a.body:
            continue
        if isinstance(a, _Answer):
            code = (a.body or {}).get("error", {}).get("code") if isinstance(a.body, dict) else None
            key = f"{a.status} {code}"
        else:
            key = type(a).__name__
        found[key] = found.get(key, 0) + 1
    return found


# --- the load generator (its own process) ------------------------------------------------------
def load_process(url: str, package: bytes, commands) -> None:
    """Runs in a child process: waits for ``(kind, count, prefix)`` on ``commands``, sends that
    wave, answers ``{clean, failures, seconds, cpu}``; ``None`` ends it."""
    asyncio.run(_load_loop(url, package, commands))


async def _load_loop(url: str, package: bytes, commands) -> None:
    async def list_call(load: aiohttp.ClientSession, _: int, prefix: str) -> _Answer:
        return await fetch(load, "GET", "/kfp-connect/pipelines", params={"scope": "shared", "page_size": "20"})

    async def floor_list(load: aiohttp.ClientSession, _: int, prefix: str) -> _Answer:
        return await fetch(load, "GET", "/kfp-floor/pipelines", params={"page_size": "20"})

    async def upload(load: aiohttp.ClientSession, i: int, prefix: str) -> _Answer:
        form = aiohttp.FormData()
        form.add_field("name", f"{prefix}-{i}")
        form.add_field("scope", "shared")
        form.add_field("file", package, filename="load.yaml", content_type="application/octet-stream")
        return await fetch(load, "POST", "/kfp-connect/pipelines", data=form)

    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, commands.recv)
        if command is None:
            break
        kind, count, prefix = command
        make, expected = {"lists": (list_call, 200), "uploads": (upload, 201), "floor": (floor_list, 200)}[kind]
        cpu, started = time.process_time(), time.perf_counter()
        # a session per wave, closed after it: the server's descriptors are then its own
        connector = aiohttp.TCPConnector(limit=LISTS + 20)
        async with aiohttp.ClientSession(url, headers=AUTH, connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=300)) as load:
            answers = await asyncio.gather(*(make(load, i, prefix) for i in range(count)), return_exceptions=True)
        commands.send({"clean": clean(answers, expected), "failures": failures(answers, expected),
                       "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu})
    commands.send("closed")


# --- this process: the probe ---------------------------------------------------------------------
def proc_figures(pid: int) -> tuple[int, float]:
    """(open file descriptors, resident memory in MB) of the server process."""
    fds = len(list(Path(f"/proc/{pid}/fd").iterdir()))
    rss_kb = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if line.startswith("VmRSS:"))
    return fds, rss_kb / 1024


def fd_kinds(pid: int) -> dict[str, int]:
    """The server's open descriptors by kind (socket, pipe, anon_inode:..., file)."""
    kinds: dict[str, int] = {}
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        kind = target.split(":", 1)[0] if ":" in target and not target.startswith("/") else "file"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


async def pool_drained(pid: int, kfp_port: int) -> float:
    """Wait until the server holds no connection to KFP; the seconds it took."""
    started = time.perf_counter()
    while sockets_to(kfp_port, pid) and time.perf_counter() - started < POOL_DRAIN_LIMIT_S:
        await asyncio.sleep(0.25)
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def status_while(session: aiohttp.ClientSession, busy: asyncio.Future | None, samples: int = 0) -> list[float]:
    """``/api/status`` round trips in ms: ``samples`` of them, or as many as fit while ``busy`` runs."""
    found: list[float] = []
    while (busy is not None and not busy.done()) or len(found) < samples:
        start = time.perf_counter()
        answer = await fetch(session, "GET", "/api/status")
        assert answer.status == 200
        found.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(0.005)
        if busy is None and len(found) >= samples:
            break
    return found


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)] if values else float("nan")


class Wave:
    """One wave's figures, as measured from outside and inside the server."""

    def __init__(self, name: str, count: int, result: dict, status: list[float], lags: list[float],
                 cpu_lags: list[float], cpu: dict[str, float], load_average: float) -> None:
        self.name, self.count, self.result, self.status, self.lags = name, count, result, status, lags
        self.cpu_lags = cpu_lags
        self.cpu, self.load_average = cpu, load_average

    def lines(self) -> list[str]:
        r, wall = self.result, self.result["seconds"]
        bad = f" ({', '.join(f'{n}x {k}' for k, n in r['failures'].items())})" if r["failures"] else ""
        return [
            f"{self.count} concurrent {self.name}: {r['clean']}/{self.count} clean{bad} in {wall:.2f} s",
            f"  /api/status          median {statistics.median(self.status):7.2f} ms  p95 {p95(self.status):7.2f} ms  "
            f"max {max(self.status):7.2f} ms  ({len(self.status)} samples)",
            f"  server loop lag      median {statistics.median(self.lags):7.2f} ms  p95 {p95(self.lags):7.2f} ms  "
            f"max {max(self.lags):7.2f} ms  ({len(self.lags)} ticks)",
            f"  ... in loop CPU      median {statistics.median(self.cpu_lags):7.2f} ms  p95 {p95(self.cpu_lags):7.2f} ms  "
            f"max {max(self.cpu_lags):7.2f} ms  (the server's own work between two turns)",
            f"  CPU s in the wave    server {self.cpu['server']:.2f}  sandbox {self.cpu['sandbox']:.2f}  "
            f"load generator {self.cpu['load']:.2f}  (of {2 * wall:.2f} core-s on 2 cores; load average "
            f"{self.load_average:.1f})",
        ]


async def wave(probe: aiohttp.ClientSession, commands, pids: dict[str, int], name: str, count: int,
               prefix: str) -> Wave:
    await fetch(probe, "DELETE", "/bench/loop-lag")
    before = {k: cpu_seconds(pid) for k, pid in pids.items() if k != "load"}
    loop = asyncio.get_running_loop()
    commands.send((name, count, prefix))
    busy = loop.run_in_executor(None, commands.recv)
    status = await status_while(probe, busy)
    result = await busy
    cpu = {k: cpu_seconds(pid) - before[k] for k, pid in pids.items() if k != "load"}
    cpu["load"] = result["cpu"]
    lags = (await fetch(probe, "GET", "/bench/loop-lag")).body
    return Wave(name, count, result, status, lags["lags_ms"], lags["cpu_lags_ms"], cpu, os.getloadavg()[0])


async def measure(url: str, pids: dict[str, int], kfp_url: str, commands) -> int:
    async with aiohttp.ClientSession(url, headers=AUTH) as probe:
        # warm-up: the code paths, the pools and the caches exist before the baseline
        await wave(probe, commands, pids, "lists", 50, "warm")
        await wave(probe, commands, pids, "uploads", 10, "warm")
        # Not judged, and before the baseline: the same list wave through the least any extension could do (a bare
        # handler forwarding KFP's bytes, benchmarks/jupyter_floor.py, with no admission limit).
        floor = await wave(probe, commands, pids, "floor", LISTS, "floor")
        kfp_port = int(kfp_url.rsplit(":", 1)[1].split("/", 1)[0])
        drained_before = await pool_drained(pids["server"], kfp_port)
        base_fds, base_rss = proc_figures(pids["server"])
        base_kinds = fd_kinds(pids["server"])
        await fetch(probe, "DELETE", "/bench/loop-lag")
        idle = await status_while(probe, None, IDLE_SAMPLES)
        idle_lags = (await fetch(probe, "GET", "/bench/loop-lag")).body["lags_ms"]
        idle_cpu_lags = (await fetch(probe, "GET", "/bench/loop-lag")).body["cpu_lags_ms"]

        waves: list[Wave] = []
        round_rss: list[float] = []
        for round_ in range(1, ROUNDS + 1):
            waves.append(await wave(probe, commands, pids, "lists", LISTS, f"load{round_}"))
            waves.append(await wave(probe, commands, pids, "uploads", UPLOADS, f"load{round_}"))
            if round_ < ROUNDS:
                await pool_drained(pids["server"], kfp_port)
                round_rss.append(proc_figures(pids["server"])[1])

    commands.send(None)  # the load generator closes its connections and ends
    await asyncio.get_running_loop().run_in_executor(None, commands.recv)
    drained_after = await pool_drained(pids["server"], kfp_port)  # the server's KFP pool expires
    after_fds, after_rss = proc_figures(pids["server"])
    after_kinds = fd_kinds(pids["server"])
    round_rss.append(after_rss)

    idle_p95 = p95(idle)
    judged_idle = max(idle_p95, IDLE_FLOOR_MS)
    held = httpx.get(f"{kfp_url}/apis/v2beta1/pipelines", params={"page_size": 1}).json()["total_size"]
    print(f"KFP latency {KFP_LATENCY_S * 1000:.0f} ms; the sandbox holds {held} shared pipelines; "
          f"{os.cpu_count()} cores")
    print(f"idle: /api/status    median {statistics.median(idle):7.2f} ms  p95 {idle_p95:7.2f} ms; "
          f"server loop lag p95 {p95(idle_lags):.2f} ms ({p95(idle_cpu_lags):.2f} ms of loop CPU)")
    for number, measured in enumerate(waves):
        print(f"round {number // 2 + 1}: " + "\n".join(measured.lines()))
    print("not judged, for comparison: " + "\n".join(floor.lines()).replace(
        "concurrent floor", "concurrent lists through a bare forwarding handler (benchmarks/jupyter_floor.py)"))
    worst = max(p95(w.status) for w in waves)
    worst_lag = max(p95(w.cpu_lags) for w in waves)
    worst_wall_lag = max(p95(w.lags) for w in waves)
    ratio = worst / judged_idle
    print(f"loaded p95 / idle p95:        {ratio:.2f}  (judged <= 3.0; idle p95 floored at {IDLE_FLOOR_MS:.0f} ms); "
          f"raw {worst / idle_p95:.2f} ({worst:.2f} ms / {idle_p95:.2f} ms, not judged)")
    print(f"server loop lag p95 (worst):  {worst_lag:.2f} ms of loop CPU  (judged <= {LAG_P95_MS:.0f} ms); "
          f"{worst_wall_lag:.2f} ms of wall time at load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"file descriptors:             {base_fds} before, {after_fds} after  ({base_kinds} -> {after_kinds}); "
          f"taken once the KFP pool was empty ({drained_before:.1f} s and {drained_after:.1f} s after the waves)")
    rounds = ", ".join(f"{rss:.1f} MB after round {n}" for n, rss in enumerate(round_rss, 1))
    growth = round_rss[-1] - round_rss[0]
    print(f"resident memory:              {base_rss:.1f} MB before, {rounds}  (judged: within 25% + 30 MB "
          f"of before, and {growth:+.1f} MB from the first round to the last <= {ROUND_GROWTH_MB:.0f} MB: "
          "the first round raises the allocator's high-water mark, a leak would go on growing)")
    clean_all = all(w.result["clean"] == w.count for w in waves)
    server_side = (clean_all and worst_lag <= LAG_P95_MS and after_fds <= base_fds + 2
                   and after_rss <= base_rss * 1.25 + 30 and growth <= ROUND_GROWTH_MB)
    if server_side and ratio > 3.0:
        stretch = worst_wall_lag / max(worst_lag, 0.1)
        budget = 3 * judged_idle
        if stretch >= 1.5:
            print(f"why the ratio is over 3:      the server's own work between two turns stayed within "
                  f"{worst_lag:.1f} ms of CPU, but each took {stretch:.1f}x as long in wall time: the 2 "
                  f"cores were shared (load average {os.getloadavg()[0]:.1f}). On such a machine a status "
                  "round trip, a few turns of the server's loop, cannot stay within 3x idle.")
        else:
            print(f"why the ratio is over 3:      the cores were free (wall/CPU {stretch:.1f}x), so it is the "
                  f"server's own turns: p95 {worst_lag:.1f} ms of loop CPU, against a budget of "
                  f"{budget:.1f} ms for the whole status round trip; a status request that lands behind "
                  "a turn handling many answers at once waits that turn out.")
    print("server side (clean answers, loop CPU lag, descriptors, memory):", "ok" if server_side else "NOT MET")
    fine = server_side and ratio <= 3.0
    print("result:", "ok" if fine else "NOT MET")
    return 0 if fine else 1


def start_sandbox() -> tuple[subprocess.Popen, str]:
    """The sandbox CLI (standalone KFP, 40 shared pipelines, 20 ms per request)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_kfp_connect.sandbox.cli", "--mode", "standalone", "--port", "0",
         "--seed", "40", "--latency", str(float(os.environ.get("LAT", KFP_LATENCY_S)))],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    url = ""
    for line in proc.stdout:
        if "API origin" in line:
            url = line.split()[-1]
        if line.startswith("Press Ctrl+C"):
            return proc, url
    raise RuntimeError("the sandbox did not start")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> int:
    package = compiled_package()
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    sandbox = jupyter = loader = None
    commands, theirs = multiprocessing.Pipe()
    try:
        sandbox, kfp_url = start_sandbox()
        settings = {"max_concurrent_requests": int(os.environ["KFP_CONCURRENCY"])} if os.environ.get("KFP_CONCURRENCY") else {}
        jupyter, url = start_jupyter(kfp_url, workdir, loop_lag=True, floor=True, settings=settings)
        loader = multiprocessing.get_context("spawn").Process(target=load_process, args=(url, package, theirs),
                                                              daemon=True)
        loader.start()
        pids = {"server": jupyter.pid, "sandbox": sandbox.pid, "load": loader.pid}
        return asyncio.run(measure(url, pids, kfp_url, commands))
    finally:
        if loader is not None:
            loader.join(10)
            if loader.is_alive():
                loader.kill()
        stop(jupyter)
        stop(sandbox)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
