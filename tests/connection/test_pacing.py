"""KFP answers are finished one per turn of the event loop (``connection.pacing``): a burst of
answers must leave a look at the sockets between every two of them."""

from __future__ import annotations

import asyncio

from jupyter_kfp_connect.connection import pacing


class _TurnCounter:
    """Counts the loop's turns: a callback that schedules itself again runs once per turn."""

    def __init__(self) -> None:
        self.turn = 0
        self._running = True
        asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        self.turn += 1
        if self._running:
            asyncio.get_running_loop().call_soon(self._tick)

    def stop(self) -> None:
        self._running = False


async def test_a_burst_is_handed_on_one_per_turn_in_arrival_order():
    counter = _TurnCounter()
    resumed: list[tuple[int, int]] = []

    async def answer(number: int) -> None:
        await pacing.my_turn()
        resumed.append((number, counter.turn))

    await asyncio.gather(*(answer(n) for n in range(8)))
    counter.stop()
    assert [number for number, _ in resumed] == list(range(8))
    turns = [turn for _, turn in resumed]
    assert len(set(turns)) == 8, f"several answers finished in one turn: {turns}"


async def test_a_cancelled_waiter_gives_its_turn_on():
    first = asyncio.ensure_future(pacing.my_turn())
    gone = asyncio.ensure_future(pacing.my_turn())
    last = asyncio.ensure_future(pacing.my_turn())
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.wait_for(asyncio.gather(first, last), 1)
    assert gone.cancelled()


async def test_a_lone_call_waits_a_single_turn():
    counter = _TurnCounter()
    await asyncio.sleep(0)
    before = counter.turn
    await pacing.my_turn()
    counter.stop()
    assert counter.turn - before <= 2
