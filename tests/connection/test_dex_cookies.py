"""The Dex sign-in keeps only the gateway's cookies: those a browser would send to the KFP
API URL by the cookie rules (domain, path, secure), whatever hosts the walk passed through."""

from __future__ import annotations

import httpx

from jupyter_kfp_connect.connection.dex import gateway_cookies

GATEWAY = "https://kubeflow.example.com/pipeline/apis/v2beta1/"


def _jar(*set_cookies: tuple[str, str]) -> httpx.Cookies:
    """Cookies stored the way the sign-in's client stores them: from real Set-Cookie answers."""
    cookies = httpx.Cookies()
    for url, header in set_cookies:
        cookies.extract_cookies(httpx.Response(200, headers={"Set-Cookie": header},
                                               request=httpx.Request("GET", url)))
    return cookies


def test_only_the_gateways_cookies_are_kept():
    jar = _jar(
        ("https://kubeflow.example.com/oauth2/callback", "oauth2_proxy_kubeflow=SESSION; Path=/; Secure; HttpOnly"),
        ("https://kubeflow.example.com/dex/auth", "dex_only=1; Path=/dex"),
        ("https://idp.example.org/login", "idp_session=SECRET; Path=/"),
        ("https://dex.example.com/auth", "dex_host=1; Path=/"),
        ("https://kubeflow.example.com/", "wide=1; Domain=example.com; Path=/"),
    )
    assert sorted(gateway_cookies(jar.jar, GATEWAY)) == [("oauth2_proxy_kubeflow", "SESSION"), ("wide", "1")]


def test_a_secure_cookie_never_goes_over_http():
    jar = _jar(("https://kubeflow.example.com/", "s=1; Path=/; Secure"),
               ("http://kubeflow.example.com/", "plain=2; Path=/"))
    assert gateway_cookies(jar.jar, "http://kubeflow.example.com/pipeline/apis/v2beta1/") == [("plain", "2")]


async def test_a_sandbox_sign_in_keeps_its_session_cookie(sandbox_factory):
    from jupyter_kfp_connect.connection.config import resolve
    from jupyter_kfp_connect.connection.session import Connection
    from tests.connection.kfp_fixtures import PASSWORD, USER

    sb = sandbox_factory("dex")
    conn = Connection("tester", resolve({"host": sb.kfp_host}, {}))
    try:
        await conn.login(auth="dex", username=USER, password=PASSWORD)
        names = [name for name, _ in conn.credentials._pairs]
        assert names == [sb.front.cookie_name], names
    finally:
        await conn.close()


async def test_a_cookie_scoped_to_dex_stays_out_of_the_session(sandbox_factory, monkeypatch):
    """A hop on the way (here a load balancer's affinity cookie on Dex's path, added by this
    test: Dex v2.44 sets none itself) leaves cookies in the walk's jar. The session, which
    the gateway and kernels receive, holds only the gateway's; without the filter it also held
    ``dex_affinity``."""
    from jupyter_kfp_connect.connection.config import resolve
    from jupyter_kfp_connect.connection.session import Connection
    from jupyter_kfp_connect.sandbox import dex_pages
    from tests.connection.kfp_fixtures import PASSWORD, USER

    original = dex_pages.DexAuthHandler.get

    def get_with_affinity(self):
        self.add_header("Set-Cookie", "dex_affinity=node-2; Path=/dex; HttpOnly")
        return original(self)

    monkeypatch.setattr(dex_pages.DexAuthHandler, "get", get_with_affinity)
    sb = sandbox_factory("dex")
    conn = Connection("tester", resolve({"host": sb.kfp_host}, {}))
    try:
        await conn.login(auth="dex", username=USER, password=PASSWORD)
        assert [name for name, _ in conn.credentials._pairs] == [sb.front.cookie_name]
        assert conn.state == "connected"
    finally:
        await conn.close()
