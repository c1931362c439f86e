"""How much memory a step of a test took at its peak, measured for that step alone.

``ru_maxrss`` is the process's high-water mark since it started: once an earlier test had
raised it, a later step could grow by hundreds of MB and read as zero. Linux resets the
high-water mark (``VmHWM``) when "5" is written to ``/proc/self/clear_refs``, so the peak is
this step's own. Where that is not allowed, the ``ru_maxrss`` reading remains (it can only
under-report, so such a machine checks less, never fails wrongly).
"""

from __future__ import annotations

import contextlib
import resource
from collections.abc import Callable, Iterator
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kb(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return _status_kb("VmHWM") is not None


@contextlib.contextmanager
def peak_growth_mb() -> Iterator[Callable[[], float]]:
    """``with peak_growth_mb() as grown: ...; grown()`` is the MB the peak rose above the
    resident size at the start of the block."""
    if _reset_peak():
        start = _status_kb("VmRSS") or 0
        yield lambda: ((_status_kb("VmHWM") or 0) - start) / 1024
    else:
        start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        yield lambda: (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start) / 1024
