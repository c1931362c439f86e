"""Test controls (latency, failures, expiry, tokens, request log). PLACEHOLDER owned by the sandbox-fronts helper."""

from __future__ import annotations

from typing import Any


class Controls:
    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    async def before_request(self, handler: Any) -> None:
        """Runs first for every request: log it, add latency, fail it if asked. May finish it."""
        return None

    def routes(self) -> list[tuple]:
        """HTTP versions of the controls under /_sandbox/ for out-of-process callers."""
        return []
