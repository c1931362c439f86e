"""What a process holds open, read from ``/proc`` (Linux): shared by the tests and the load
benchmark, which both check that no connection to KFP outlives its use."""

from __future__ import annotations

import os
from pathlib import Path


def sockets_to(port: int, pid: int | str = "self") -> int:
    """How many of process ``pid``'s TCP sockets are connected to remote ``port``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed while we looked
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes and int(fields[2].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count
