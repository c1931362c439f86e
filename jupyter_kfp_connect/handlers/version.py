"""``GET /kfp-connect/version``: the front end compares it with its own (the handshake)."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..version import __version__
from .base import KFPConnectHandler


class VersionHandler(KFPConnectHandler):
    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.reply({"version": __version__, "name": "jupyter_kfp_connect"})


ROUTES = [(r"version", VersionHandler)]
