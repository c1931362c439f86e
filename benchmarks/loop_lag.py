"""A Jupyter server extension for benchmarks only: how late the server's event loop runs.

A task on the server's loop asks to wake every ``TICK_S`` and records how much later than
asked it woke (the loop lag: the longest stretch of work between two turns of the loop), and
how much CPU the loop's thread spent meanwhile (the same lag in CPU time: what the server's
own work costs, whatever else the machine's cores are busy with).
``GET /bench/loop-lag`` answers the lags seen since the last ``DELETE /bench/loop-lag``, so a
benchmark can read the server's own view of a load, apart from what its clients measure
(their round trips include the clients' own loops and the machine's scheduling).
Loaded by the benchmarks' server configuration (``jpserver_extensions``), never by the package.
"""

from __future__ import annotations

import asyncio
import json
import time

from jupyter_server.base.handlers import APIHandler
from tornado import web

TICK_S = 0.005
_lags: list[float] = []
_cpu_lags: list[float] = []


async def _ticker() -> None:
    while True:
        asked, cpu = time.perf_counter(), time.thread_time()
        await asyncio.sleep(TICK_S)
        _lags.append(max(0.0, (time.perf_counter() - asked - TICK_S) * 1000))
        _cpu_lags.append((time.thread_time() - cpu) * 1000)
        if len(_lags) > 200_000:
            del _lags[:100_000], _cpu_lags[:100_000]


class LoopLagHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        self.finish(json.dumps({"tick_ms": TICK_S * 1000, "lags_ms": _lags, "cpu_lags_ms": _cpu_lags}))

    @web.authenticated
    def delete(self) -> None:
        _lags.clear()
        _cpu_lags.clear()
        self.finish("{}")


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "loop_lag"}]


def _load_jupyter_server_extension(serverapp) -> None:
    serverapp.web_app.add_handlers(".*$", [(serverapp.base_url + "bench/loop-lag", LoopLagHandler)])
    serverapp.io_loop.add_callback(lambda: asyncio.ensure_future(_ticker()))
