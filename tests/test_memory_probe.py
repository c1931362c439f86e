"""The memory probe the hostile-input tests rely on measures each step's own peak."""

from __future__ import annotations

from tests.memory import peak_growth_mb


def test_a_step_after_a_bigger_one_still_reads_its_own_peak():
    earlier = bytearray(200 * 2**20)  # an earlier test's high-water mark
    del earlier
    with peak_growth_mb() as grown:
        step = bytearray(120 * 2**20)
        step[::4096] = b"x" * len(step[::4096])  # touch every page: resident, not just reserved
        del step
    assert 100 < grown() < 160, grown()
