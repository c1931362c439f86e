"""The transport under every KFP API call: httpx's requests and responses over aiohttp's pool.

Why not httpx's own transport: its HTTP/1.1 engine (httpcore over h11, pure Python) costs
about 1.4 ms of CPU per call on a small machine, aiohttp's C parser about 0.5 ms, and the
panel pays it for every page it shows (``benchmarks/bench_list_overhead.py``). The rest of
the package keeps speaking httpx; ``httpx-aiohttp`` does the translation. Two of its
defaults are wrong for us, and this module sets them right:

- aiohttp sessions keep a cookie jar. A gateway's ``Set-Cookie`` would be stored and sent
  again after a sign-out; here credentials travel only as the headers ``Connection`` sets.
- httpx-aiohttp reports every failure to connect as ``ConnectTimeout``. The diagnosis
  (``problems.transport_reason``, the http/https probe) must tell a refused port, an unknown
  host and a bad certificate from a timeout, so failures are classified by their cause.

The Dex walk and the detection probe keep httpx's own transport: they are rare, and they
rely on httpx's redirect and cookie handling, which this path never uses.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

#: aiohttp failures that are not timeouts, as the httpx exception the diagnosis expects
_NOT_TIMEOUTS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS (certificate)
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientOSError, httpx.ReadError),
)


class KFPTransport(AiohttpTransport):
    """A pooled aiohttp session without a cookie jar; failures reported by their cause."""

    def __init__(self, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, client=self._new_session)

    def _new_session(self) -> aiohttp.ClientSession:
        """Made on the first request, inside the server's event loop (aiohttp binds to it);
        pool size and keep-alive are httpx's defaults, as on the httpx transport before."""
        connector = aiohttp.TCPConnector(ssl=self.ssl_context, limit=self.limits.max_connections or 0,
                                         keepalive_timeout=self.limits.keepalive_expiry)
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.TransportError as err:
            raise reclassify(err, request) from err.__cause__
        except asyncio.TimeoutError as err:  # aiohttp's own timeout, outside httpx-aiohttp's mapping
            raise httpx.ReadTimeout(str(err) or "timed out", request=request) from err


def reclassify(err: httpx.TransportError, request: httpx.Request | None = None) -> httpx.TransportError:
    """The httpx exception that says what happened: a timeout only when aiohttp timed out."""
    cause: Any = err.__cause__
    if cause is None or isinstance(cause, aiohttp.ServerTimeoutError):
        return err  # httpx-aiohttp maps aiohttp's connect and read timeouts correctly
    for aiohttp_type, httpx_type in _NOT_TIMEOUTS:
        if isinstance(cause, aiohttp_type):
            return httpx_type(str(cause), request=request)
    return err
