"""The extension's log lines go to the Jupyter server's log.

Why: every module logs to ``logging.getLogger(__name__)`` under ``jupyter_kfp_connect``,
but Jupyter's own log is the ``ServerApp`` logger with its own handlers and no propagation,
so those lines reached the root logger and were lost (INFO) or printed bare (WARNING). What
is logged never holds a secret: user keys, hosts and problem messages only (and
``connection.session.protect_logs`` keeps httpx's URL and header traces out).
"""

from __future__ import annotations

import logging

PACKAGE = "jupyter_kfp_connect"


class _ToServerLog(logging.Handler):
    """Hands each record to the server's logger, which formats and writes it its own way."""

    def __init__(self) -> None:
        super().__init__()
        self.target: logging.Logger | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.target is not None:
            self.target.handle(record)


_HANDLER = _ToServerLog()


def route_logs(server_log: logging.Logger | logging.LoggerAdapter) -> None:
    """Send the package's records to ``server_log`` at its level (once per process: the
    latest server wins, as with any process-wide logging setting)."""
    target = server_log.logger if isinstance(server_log, logging.LoggerAdapter) else server_log
    package = logging.getLogger(PACKAGE)
    _HANDLER.target = target
    if _HANDLER not in package.handlers:
        package.addHandler(_HANDLER)
    package.setLevel(target.getEffectiveLevel())
    package.propagate = False
