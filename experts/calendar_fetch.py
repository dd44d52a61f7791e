"""Fetching an address an expert typed (an iCal feed, a CalDAV server) without letting it reach
the service's own network: http(s) only, no private, loopback or link-local hosts (checked on
every redirect hop and again on the connected socket), bounded in size and time.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import certifi
import requests
import urllib3
from caldav.lib import error as caldav_error
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError, LocationParseError, MaxRetryError, TimeoutError
from urllib3.util import parse_url

__all__ = [
    "MAX_BYTES",
    "MAX_REDIRECTS",
    "FetchError",
    "Fetched",
    "allow_private_hosts",
    "check_url",
    "fetch",
    "guard_session",
    "translate",
]

MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
CONNECT_SECONDS = 5.0
READ_SECONDS = 15.0
TOTAL_SECONDS = 30.0
USER_AGENT = "consult-calendar-sync/1 (+busy time of an expert's own calendar)"

# What the expert reads on the page, by error code (the code goes to logs and the API).
MESSAGES = {
    "bad_url": _("Die Adresse ist keine gültige http(s)-Adresse."),
    "private_host": _(
        "Die Adresse zeigt auf ein internes Netz (privat, loopback oder link-local); "
        "solche Adressen sind hier nicht erlaubt."
    ),
    "unknown_host": _("Der Servername ist unbekannt."),
    "timeout": _("Der Server hat nicht rechtzeitig geantwortet."),
    "connection": _("Keine Verbindung zum Server."),
    "tls": _("Die sichere Verbindung (TLS) zum Server ist fehlgeschlagen."),
    "too_many_redirects": _("Der Server leitet zu oft weiter."),
    "too_large": _("Der Kalender ist größer als 5 MB."),
    "unauthorized": _("Der Server hat die Anmeldung abgelehnt (Benutzername oder Passwort)."),
    "not_found": _("Unter dieser Adresse gibt es keinen Kalender (404)."),
    "http_error": _("Der Server hat mit einem Fehler geantwortet."),
    "not_a_calendar": _("Die Adresse liefert keinen lesbaren iCalendar."),
    "caldav": _("Der CalDAV-Server hat die Anfrage nicht beantwortet wie erwartet."),
    "credentials": _("Das gespeicherte Passwort ist nicht mehr lesbar; bitte neu eingeben."),
}


class FetchError(Exception):
    """A fetch that did not give a calendar: ``code`` names why (a key of MESSAGES)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail

    @property
    def message(self) -> str:
        return str(MESSAGES.get(self.code, MESSAGES["http_error"]))


class _RefusedAddress(ValueError):
    """Raised inside a connection, so urllib3 does not wrap it as a connection error."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A feed: ``not_modified`` when the server answered 304 to our validators."""

    not_modified: bool
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    url: str = ""


def allow_private_hosts() -> bool:
    value = getattr(settings, "CALENDAR_ALLOW_PRIVATE_HOSTS", None)
    return bool(settings.DEBUG if value is None else value)


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone index
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def _check_host(host: str, port: int) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("unknown_host", host) from exc
    # Every address: a name with one public and one private address would otherwise reach the
    # private one whenever the resolver lists it first.
    for info in infos:
        if _blocked(str(info[4][0])):
            raise FetchError("private_host", f"{host} -> {info[4][0]}")


def check_url(url: str, *, allow_private: bool | None = None) -> str:
    """``url`` if it may be fetched: http(s), a host, no user:password, and (unless private
    hosts are allowed) only public addresses behind the name. Raises ``FetchError``."""
    try:
        parsed = parse_url(url.strip())
    except LocationParseError as exc:
        raise FetchError("bad_url", url) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError("bad_url", url)
    if parsed.auth:
        raise FetchError("bad_url", "user:password in the address")
    if not (allow_private_hosts() if allow_private is None else allow_private):
        host = parsed.host.strip("[]")
        _check_host(host, parsed.port or (443 if parsed.scheme == "https" else 80))
    return parsed.url


class _PeerCheck:
    """Checks the address actually connected to: the name may resolve differently the second
    time (DNS rebinding), after ``check_url`` saw only public addresses."""

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        peer = sock.getpeername()[0]
        if _blocked(peer):
            sock.close()
            raise _RefusedAddress(f"{peer} is not a public address")
        return sock


class _GuardedHTTPConnection(_PeerCheck, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_PeerCheck, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


def _pool(url: str, allow_private: bool, read_seconds: float) -> HTTPConnectionPool:
    parsed = parse_url(url)
    timeout = urllib3.Timeout(connect=CONNECT_SECONDS, read=read_seconds)
    if parsed.scheme == "https":
        cls = HTTPSConnectionPool if allow_private else _GuardedHTTPSPool
        return cls(
            parsed.host, parsed.port, timeout=timeout, retries=False, ca_certs=certifi.where()
        )
    cls = HTTPConnectionPool if allow_private else _GuardedHTTPPool
    return cls(parsed.host, parsed.port, timeout=timeout, retries=False)


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    allow_private: bool | None = None,
    max_bytes: int = MAX_BYTES,
    read_seconds: float = READ_SECONDS,
    total_seconds: float = TOTAL_SECONDS,
) -> Fetched:
    """GET an iCal feed, conditionally when ``etag``/``last_modified`` are given.

    Redirects are followed here, at most MAX_REDIRECTS, each hop checked like the first.
    Raises ``FetchError`` for everything that is not a calendar body or a 304.
    """
    allow = allow_private_hosts() if allow_private is None else allow_private
    deadline = time.monotonic() + total_seconds
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        current = check_url(current, allow_private=allow)
        pool = _pool(current, allow, read_seconds)
        try:
            response = _get(pool, current, headers)
            try:
                if response.status in (301, 302, 303, 307, 308):
                    location = response.headers.get("Location", "")
                    if not location:
                        raise FetchError("http_error", f"{response.status} without Location")
                    current = urljoin(current, location)
                    continue
                return _result(response, current, max_bytes=max_bytes, deadline=deadline)
            finally:
                # Closed first: a body left unread (too large, a redirect's) must not keep the
                # socket open behind the pool's back.
                response.close()
                response.release_conn()
        finally:
            pool.close()
    raise FetchError("too_many_redirects", url)


def _get(pool: HTTPConnectionPool, url: str, headers: dict[str, str]) -> Any:
    parsed = parse_url(url)
    try:
        return pool.urlopen(
            "GET",
            parsed.request_uri,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
    except _RefusedAddress as exc:
        raise FetchError("private_host", str(exc)) from exc
    except TimeoutError as exc:
        raise FetchError("timeout", str(exc)) from exc
    except urllib3.exceptions.SSLError as exc:
        raise FetchError("tls", str(exc)) from exc
    except urllib3.exceptions.NameResolutionError as exc:
        raise FetchError("unknown_host", str(exc)) from exc
    except (HTTPError, OSError) as exc:
        raise FetchError("connection", str(exc)) from exc


def _result(response: Any, url: str, *, max_bytes: int, deadline: float) -> Fetched:
    status = response.status
    if status == 304:
        return Fetched(not_modified=True, url=url)
    if status in (401, 403):
        raise FetchError("unauthorized", str(status))
    if status in (404, 410):
        raise FetchError("not_found", str(status))
    if status != 200:
        raise FetchError("http_error", str(status))
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too_large", declared)
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.stream(64 * 1024, decode_content=True):
            size += len(chunk)
            # Counted decoded: a small gzip body may unpack to gigabytes.
            if size > max_bytes:
                raise FetchError("too_large", f"more than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchError("timeout", "body took too long")
            chunks.append(chunk)
    except TimeoutError as exc:
        raise FetchError("timeout", str(exc)) from exc
    except (HTTPError, OSError) as exc:
        raise FetchError("connection", str(exc)) from exc
    return Fetched(
        not_modified=False,
        body=b"".join(chunks),
        etag=response.headers.get("ETag", ""),
        last_modified=response.headers.get("Last-Modified", ""),
        url=url,
    )


class _GuardedAdapter(HTTPAdapter):
    """A requests adapter that checks every request's host (redirect hops included) and whose
    connections refuse non-public peers (for the caldav client)."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        check_url(request.url or "", allow_private=False)
        return super().send(request, *args, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def guard_session(session: requests.Session, *, allow_private: bool | None = None) -> None:
    """Make a requests session (the caldav client's) safe for an address a user typed: no
    proxies or .netrc from the environment, at most MAX_REDIRECTS, and unless private hosts are
    allowed every connection (redirects included) to a public address only."""
    session.trust_env = False
    session.max_redirects = MAX_REDIRECTS
    allow = allow_private_hosts() if allow_private is None else allow_private
    if not allow and not isinstance(session.get_adapter("https://x"), _GuardedAdapter):
        session.mount("https://", _GuardedAdapter())
        session.mount("http://", _GuardedAdapter())


def translate(exc: BaseException) -> FetchError:
    """A requests/caldav failure as a FetchError (already one: itself)."""
    if isinstance(exc, FetchError):
        return exc
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, _RefusedAddress):
            return FetchError("private_host", str(cause))
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, caldav_error.AuthorizationError):
        return FetchError("unauthorized", str(exc))
    if isinstance(exc, caldav_error.NotFoundError):
        return FetchError("not_found", str(exc))
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return FetchError("too_many_redirects", str(exc))
    if isinstance(exc, requests.exceptions.Timeout | TimeoutError):
        return FetchError("timeout", str(exc))
    if isinstance(exc, requests.exceptions.SSLError):
        return FetchError("tls", str(exc))
    if isinstance(exc, requests.exceptions.ConnectionError | MaxRetryError | OSError):
        return FetchError("connection", str(exc))
    return FetchError("caldav", f"{type(exc).__name__}: {exc}")
