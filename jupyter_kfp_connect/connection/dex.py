"""Sign in through Kubeflow's gateway the way a browser does, with httpx, and keep the cookies.

Kubeflow puts Dex behind one of two session proxies:

* oauth2-proxy (Kubeflow 1.9+): an API path answers 401 ``{}``, a page path a 403 sign-in page;
  ``/oauth2/start?rd=<path>`` starts the flow;
* oidc-authservice (Kubeflow <= 1.8): any path answers a 302 to Dex.

From Dex on the walk is the same: an optional connector chooser, the password form (a wrong
password re-renders it, with 401 since Dex 2.37 and 200 before), an optional approval page,
then the proxy's callback sets the session cookie and redirects back. Dex's approval page
(``web/templates/approval.html``) has forms without an ``action`` (they post back to the page's
own URL, whose query carries ``req`` and ``hmac``), the answer in a hidden ``approval`` field
and a submit button without a name; older pages named the button ``approval``. Redirects are followed by hand so that every step is seen and
judged; pages are read with the standard library's HTML parser. The password goes into exactly
one request body and nowhere else: not into a log line, not into an error.
"""

from __future__ import annotations

import http.cookiejar
import logging
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import httpx

from .. import problems
from ..errors import KFPConnectError

log = logging.getLogger(__name__)

MAX_STEPS = 30
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Paths that belong to the login machinery, not to the application behind it.
LOGIN_PATH_MARKERS = ("/dex/", "/oauth2/", "/authservice/", "/login/oidc")


# --- reading pages -------------------------------------------------------------------------
@dataclass
class Form:
    action: str
    method: str
    #: Inputs a browser submits as they are (hidden, text, ...): name -> value.
    fields: dict[str, str] = field(default_factory=dict)
    #: Submit buttons: (name, value).
    buttons: list[tuple[str, str]] = field(default_factory=list)
    password_field: str = ""
    text_fields: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.title = ""
        self._in_title = False
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(action=a.get("action", ""), method=(a.get("method") or "get").upper())
            self.forms.append(self._form)
        elif tag in ("input", "button") and self._form is not None and a.get("name"):
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            name, value = a["name"], a.get("value", "")
            if kind == "submit":
                self._form.buttons.append((name, value))
            elif kind == "password":
                self._form.password_field = name
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields[name] = value or "on"
            else:
                self._form.fields[name] = value
                if kind in ("text", "email"):
                    self._form.text_fields.append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data.strip()


@dataclass
class Page:
    forms: list[Form]
    links: list[str]
    title: str

    @property
    def login_form(self) -> Form | None:
        return next((f for f in self.forms if f.password_field), None)

    @property
    def approval_form(self) -> Form | None:
        """The form that grants access: ``approval=approve`` as a hidden field (Dex's page) or
        as a named submit button."""
        return next((f for f in self.forms
                     if f.fields.get("approval") == "approve" or ("approval", "approve") in f.buttons), None)

    @property
    def start_form(self) -> Form | None:
        """oauth2-proxy's sign-in button (a form aimed at ``.../oauth2/start``)."""
        return next((f for f in self.forms if urlsplit(f.action).path.endswith("/oauth2/start")), None)

    def connector_links(self) -> dict[str, str]:
        """Dex's chooser: ``/dex/auth/<connector>?...`` links, by connector id."""
        found: dict[str, str] = {}
        for href in self.links:
            parts = [p for p in urlsplit(href).path.split("/") if p]
            if len(parts) >= 2 and parts[-2] == "auth":
                found.setdefault(parts[-1], href)
        return found


def read_page(response: httpx.Response) -> Page | None:
    if "html" not in response.headers.get("content-type", "").lower():
        return None
    parser = _PageParser()
    parser.feed(response.text)
    parser.close()
    return Page(parser.forms, parser.links, parser.title)


# --- the walk ------------------------------------------------------------------------------
def _origin(url: str | httpx.URL) -> str:
    parts = urlsplit(str(url))
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _seen(response: httpx.Response, page: Page | None) -> str:
    """What a step looked like, for an error message: never a query string or a body."""
    url = response.url
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    title = f" titled {page.title!r}" if page and page.title else ""
    return f"HTTP {response.status_code} ({kind}{title}) at {url.scheme}://{url.netloc.decode()}{url.path}"


def _unexpected(host: str, what: str) -> KFPConnectError:
    return KFPConnectError(
        "login_flow_unexpected",
        f"Signing in at {host} did not go the way Kubeflow's Dex login goes: {what}.",
        fix="Check that the host is the Kubeflow gateway's pipelines URL (for example "
            "https://kubeflow.example.com/pipeline) and that it signs in with Dex. Otherwise sign "
            "in with a token or a session cookie copied from your browser.",
        status=502,
    )


def _dex_connector(url: str) -> str:
    """The connector a Dex URL names (``.../dex/auth/<id>[/login]``), else ""."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if "dex" not in parts or "auth" not in parts:
        return ""
    after = parts[parts.index("auth") + 1:]
    return after[0] if after else ""


def _unknown_connector(url: str, wanted: str, offered: list[str]) -> KFPConnectError:
    names = ", ".join(sorted(offered))
    return KFPConnectError(
        "unknown_connector",
        f"Dex at {_origin(url)} offers the connector(s) {names}, not {wanted!r}.",
        fix=f"Sign in with one of: {names}.",
        status=400,
        details={"connectors": sorted(offered)},
    )


class _Walker:
    def __init__(self, client: httpx.AsyncClient, host: str, connector: str) -> None:
        self.client = client
        self.host = host.rstrip("/") or host
        self.connector = connector

    async def send(self, method: str, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        try:
            response = await self.client.request(method, url, data=data, follow_redirects=False)
        except httpx.TransportError as err:
            where = _origin(url)
            if problems.is_tls_failure(err):
                raise KFPConnectError.from_problem(problems.tls_error(where, problems.transport_reason(err))) from None
            raise KFPConnectError.from_problem(problems.unreachable(where, problems.transport_reason(err))) from None
        log.debug("dex login: %s %s -> %s", method, response.url.path, response.status_code)
        return response

    async def submit(self, response: httpx.Response, form: Form, values: dict[str, str]) -> httpx.Response:
        target = urljoin(str(response.url), form.action) if form.action else str(response.url)
        if form.method == "GET":
            sep = "&" if urlsplit(target).query else "?"
            return await self.send("GET", f"{target}{sep}{urlencode(values)}")
        return await self.send("POST", target, data=values)

    async def run(self, username: str, password: str) -> None:
        response = await self.send("GET", self.host)
        started = posted_login = posted_approval = False
        for _ in range(MAX_STEPS):
            status = response.status_code
            if status in REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise _unexpected(self.host, f"a redirect without a Location header ({_seen(response, None)})")
                target = urljoin(str(response.url), location)
                started = started or any(m in urlsplit(target).path for m in LOGIN_PATH_MARKERS)
                chosen = _dex_connector(target)
                if chosen and chosen != self.connector:
                    raise _unknown_connector(target, self.connector, [chosen])
                response = await self.send("GET", target)
                continue

            page = read_page(response)
            login_form = page.login_form if page else None
            approval_form = page.approval_form if page else None
            at_login_machinery = any(m in response.url.path for m in LOGIN_PATH_MARKERS)

            if posted_login and not login_form and not approval_form and not at_login_machinery:
                if status in (401, 403) or status >= 500:
                    raise _unexpected(self.host, "the gateway still refuses the request after a "
                                                 f"successful password check ({_seen(response, page)})")
                return  # back at the application with the session cookie in client.cookies

            if login_form is not None:
                if posted_login:
                    raise KFPConnectError.from_problem(problems.invalid_credentials(self.host))
                values = dict(login_form.fields)
                user_field = "login" if "login" in login_form.fields else (login_form.text_fields or ["login"])[0]
                values[user_field] = username
                values[login_form.password_field] = password
                posted_login = started = True
                response = await self.submit(response, login_form, values)
                continue

            if approval_form is not None and posted_login and not posted_approval:
                posted_approval = True
                response = await self.submit(response, approval_form, {**approval_form.fields, "approval": "approve"})
                continue

            if page is not None and page.start_form is not None and not started:
                started = True
                response = await self.submit(response, page.start_form, dict(page.start_form.fields))
                continue

            connectors = page.connector_links() if page and status == 200 and not posted_login else {}
            if connectors:
                if self.connector not in connectors:
                    raise _unknown_connector(str(response.url), self.connector, list(connectors))
                started = True
                response = await self.send("GET", urljoin(str(response.url), connectors[self.connector]))
                continue

            if status in (401, 403) and not started:
                # oauth2-proxy: an API route's 401 {} (or a sign-in page without its form).
                started = True
                path = response.url.path or "/"
                start = urlunsplit((response.url.scheme, response.url.netloc.decode(), "/oauth2/start",
                                    urlencode({"rd": path}), ""))
                response = await self.send("GET", start)
                continue

            if not started:
                raise KFPConnectError(
                    "login_flow_unexpected",
                    f"{self.host} did not ask for a sign-in ({_seen(response, page)}).",
                    fix="If this Kubeflow Pipelines has no login in front of it, connect without "
                        "one; otherwise check the URL.",
                    status=502,
                    details={"reason": "no_login_required", "status": status},
                )
            raise _unexpected(self.host, f"the walk stopped at {_seen(response, page)}")
        raise _unexpected(self.host, f"more than {MAX_STEPS} steps (a redirect loop?)")


async def dex_login(client: httpx.AsyncClient, host: str, username: str, password: str,
                    connector: str = "local") -> None:
    """Sign in at ``host`` (the KFP endpoint, e.g. ``https://gw/pipeline``) through Dex.

    Leaves every cookie the flow set (``oauth2_proxy_kubeflow`` or ``authservice_session``, and
    whatever else) in ``client.cookies``. Raises :class:`KFPConnectError` with code
    ``invalid_credentials``, ``unreachable``, ``tls_error``, ``unknown_connector`` or
    ``login_flow_unexpected``.
    """
    await _Walker(client, host, connector).run(username, password)


def gateway_cookies(jar: http.cookiejar.CookieJar, url: str) -> list[tuple[str, str]]:
    """The cookies a browser would send to ``url`` (the KFP API behind the gateway): the
    walk passes through Dex and perhaps an upstream identity provider on other hosts, and
    their cookies must never travel to the gateway or into a kernel. Domain, path, secure
    and expiry rules are the standard library's (``CookieJar.add_cookie_header``)."""
    request = urllib.request.Request(url)
    jar.add_cookie_header(request)
    header = request.get_header("Cookie") or ""
    pairs = []
    for part in header.split("; ") if header else []:
        name, _, value = part.partition("=")
        pairs.append((name, value))
    return pairs
