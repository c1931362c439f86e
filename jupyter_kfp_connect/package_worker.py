"""Reading uploaded packages in worker processes: bounded in time and memory, the loop free.

A thread is not enough for ``packages.read_package``: libyaml scans in C while holding the GIL,
so a big package held the server's event loop for most of a second from its "background"
thread (tests/handlers/test_event_loop.py), and a thread can neither be stopped nor given a
memory cap. pebble's process pool kills a worker that overruns its time; the worker's address
space is capped, so a package that needs more memory fails there, not in the server.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from . import packages

#: Seconds one package may take to read; a worker still reading then is killed.
TIME_LIMIT_S = 30.0
#: Address space of a worker: room for a 32 MB package's YAML, far from the machine's size.
MEMORY_LIMIT_BYTES = 2 * 1024**3

_lock = threading.Lock()
_pool: Any = None


def _cap_memory(limit: int) -> None:
    """Runs first in each worker."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit remains
        pass


def _workers() -> Any:
    global _pool
    with _lock:
        if _pool is None or not _pool.active:
            from pebble import ProcessPool

            # forkserver: forking the multi-threaded server itself is unsafe; the fork server is
            # started once per process with the reader imported, so a new worker costs a fork.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([packages.__name__])
            _pool = ProcessPool(max_workers=2, max_tasks=50, initializer=_cap_memory,
                                initargs=(MEMORY_LIMIT_BYTES,), context=context)
        return _pool


def warm() -> None:
    """Start the fork server and the workers ahead of the first package (runs in a thread)."""
    import os

    try:
        _workers().schedule(os.getpid).result(timeout=120)  # a worker exists once this returns
    except Exception:  # noqa: BLE001 - the first read tries again and reports
        pass


async def read_package(data: bytes, filename: str, *,
                       with_summary: bool = False) -> packages.PipelinePackage:
    """``packages.read_package`` in a worker; its refusals raise ``packages.InvalidPackage``.
    ``with_summary``: the summary is made there too, under the same budgets, since walking a
    big spec is as much work for the loop as parsing it."""
    from pebble import ProcessExpired

    pool = await asyncio.to_thread(_workers)  # the first call starts the fork server: seconds
    future = pool.schedule(packages.read_package, args=(data, filename),
                           kwargs={"with_summary": with_summary}, timeout=TIME_LIMIT_S)
    try:
        return await asyncio.wrap_future(future)
    except FutureTimeout:
        raise packages.InvalidPackage(
            f"Reading the package took longer than {TIME_LIMIT_S:.0f} s; it is not a pipeline "
            "KFP's compiler writes.") from None
    except MemoryError:
        raise packages.InvalidPackage(
            f"Reading the package needs more than {MEMORY_LIMIT_BYTES // 1024**3} GB of memory; "
            "it is not a pipeline KFP's compiler writes.") from None
    except ProcessExpired as err:  # killed from outside, or crashed in C (libyaml)
        raise packages.InvalidPackage(
            f"The package could not be read (the reader stopped: {err}).") from None


def shutdown() -> None:
    """Stop the workers (the server is stopping)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.stop()
        pool.join(timeout=5)
