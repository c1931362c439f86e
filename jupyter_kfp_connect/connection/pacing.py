"""KFP answers are finished one per turn of the event loop, so Jupyter's own requests get in.

Why: the admitted calls of a burst (``max_concurrent_requests``, 8) are sent together and
their answers come back together; finishing them (decoding, checking, answering the panel)
in one turn of the loop made every other request that arrived meanwhile, ``/api/status``, a
kernel's message, a notebook save, wait for all of them (a turn of ~4-5 ms at p95 against a
sub-millisecond idle round trip, ``benchmarks/bench_load.py``). asyncio runs the callbacks that
were ready when a turn began and only then looks at the sockets again; handing answers on one
per turn puts a look at the sockets between every two of them. A lone call pays one turn.
Measured (``bench_load.py``, six alternating runs each): the status p95 under load went from
4.3x idle (median; 3.0-5.9) to 2.8x (1.9-4.9), the waves' own duration unchanged.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque

_pacers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pacer]" = weakref.WeakKeyDictionary()


class _Pacer:
    """Wakes its waiters in arrival order, one per loop turn."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._releasing = False

    async def turn(self) -> None:
        future: asyncio.Future[None] = self._loop.create_future()
        self._waiters.append(future)
        if not self._releasing:
            self._releasing = True
            self._loop.call_soon(self._release)
        await future

    def _release(self) -> None:
        # A waiter whose request was cancelled meanwhile gives its turn to the next one.
        while self._waiters:
            future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)
                break
        if self._waiters:
            self._loop.call_soon(self._release)  # runs in the next turn, after a look at the sockets
        else:
            self._releasing = False


async def my_turn() -> None:
    """Wait until this loop turn's share of answers is this caller's."""
    loop = asyncio.get_running_loop()
    pacer = _pacers.get(loop)
    if pacer is None:
        pacer = _pacers[loop] = _Pacer(loop)
    await pacer.turn()
