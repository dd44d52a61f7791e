"""The fetcher of addresses experts type (experts/calendar_fetch.py) against a real local HTTP
server: validators, redirects, limits, and no way into private, loopback or link-local hosts."""

from __future__ import annotations

import gzip

import pytest
import requests

from experts import calendar_fetch
from experts.calendar_fetch import FetchError, check_url, fetch, guard_session, translate
from tests.experts.calendar_server import Answer, FeedServer, feed_server

__all__ = ["feed_server"]

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """127.0.0.1 (where the test server runs) counts as a public host; every other address
    keeps the real rule. So a redirect from the "public" test server into 127.0.0.2, ::1 or
    169.254.169.254 meets the same check as one from the internet."""
    real = calendar_fetch._blocked
    monkeypatch.setattr(
        calendar_fetch, "_blocked", lambda address: address != "127.0.0.1" and real(address)
    )


def test_feed_is_fetched_with_its_validators(feed_server: FeedServer) -> None:
    feed_server.routes["/cal.ics"] = Answer(
        body=ICS, headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Mar 2027 10:00:00 GMT"}
    )
    got = fetch(feed_server.url("/cal.ics"), allow_private=True)
    assert (got.not_modified, got.body, got.etag) == (False, ICS, '"v1"')
    assert got.last_modified == "Mon, 01 Mar 2027 10:00:00 GMT"


def test_unchanged_feed_is_a_304_asked_with_etag_and_if_modified_since(
    feed_server: FeedServer,
) -> None:
    def conditional(headers: dict[str, str]) -> Answer:
        if headers.get("If-None-Match") == '"v1"':
            return Answer(304, headers={"ETag": '"v1"'})
        return Answer(body=ICS, headers={"ETag": '"v1"'})

    feed_server.routes["/cal.ics"] = conditional
    got = fetch(
        feed_server.url("/cal.ics"),
        etag='"v1"',
        last_modified="Mon, 01 Mar 2027 10:00:00 GMT",
        allow_private=True,
    )
    assert got.not_modified and got.body == b""
    sent = feed_server.seen[-1][1]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 01 Mar 2027 10:00:00 GMT"


def test_three_redirects_are_followed_and_a_fourth_is_refused(feed_server: FeedServer) -> None:
    for n in range(1, 5):
        feed_server.routes[f"/r{n}"] = Answer(302, headers={"Location": f"/r{n + 1}"})
    feed_server.routes["/r4"] = Answer(body=ICS)
    assert fetch(feed_server.url("/r1"), allow_private=True).body == ICS
    feed_server.routes["/r4"] = Answer(302, headers={"Location": "/r5"})
    feed_server.routes["/r5"] = Answer(body=ICS)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/r1"), allow_private=True)
    assert caught.value.code == "too_many_redirects"


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/cal.ics",
        "http://127.0.0.1:8000/cal.ics",
        "http://127.9.9.9/cal.ics",
        "http://[::1]/cal.ics",
        "http://[::ffff:127.0.0.1]/cal.ics",
        "http://[::ffff:10.0.0.1]/cal.ics",
        "http://[fe80::1]/cal.ics",
        "http://[fd00::1]/cal.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.10/remote.php/dav/",
        "http://172.16.5.4/cal.ics",
        "http://100.64.0.1/cal.ics",
        "http://0.0.0.0/cal.ics",
        "http://localhost/cal.ics",
    ],
)
def test_private_loopback_and_link_local_hosts_are_refused_when_not_allowed(url: str) -> None:
    with pytest.raises(FetchError) as caught:
        check_url(url, allow_private=False)
    assert caught.value.code == "private_host"


def test_fetch_follows_the_setting_and_refuses_loopback(
    feed_server: FeedServer, settings: pytest.FixtureRequest
) -> None:
    feed_server.routes["/cal.ics"] = Answer(body=ICS)
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = False  # type: ignore[attr-defined]
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/cal.ics"))
    assert caught.value.code == "private_host"
    assert feed_server.seen == []  # refused before connecting
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = True  # type: ignore[attr-defined]
    assert fetch(feed_server.url("/cal.ics")).body == ICS


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/cal.ics",
        "http://[::1]:{port}/cal.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/cal.ics",
    ],
)
@pytest.mark.usefixtures("loopback_is_public")
def test_redirect_into_a_private_host_is_refused(feed_server: FeedServer, target: str) -> None:
    feed_server.routes["/cal.ics"] = Answer(
        302, headers={"Location": target.format(port=feed_server.port)}
    )
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/cal.ics"), allow_private=False)
    assert caught.value.code == "private_host"
    assert [path for path, _ in feed_server.seen] == ["/cal.ics"]


def test_a_name_that_resolves_elsewhere_on_connect_is_refused_at_the_socket(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the first answer was public, the connection lands on 127.0.0.1.
    monkeypatch.setattr(calendar_fetch, "_check_host", lambda host, port: None)
    feed_server.routes["/cal.ics"] = Answer(body=ICS)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/cal.ics"), allow_private=False)
    assert caught.value.code == "private_host"
    assert feed_server.seen == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.org/cal.ics", "gopher://x/", "http://", "webcal"],
)
def test_only_http_and_https_addresses(url: str) -> None:
    with pytest.raises(FetchError) as caught:
        check_url(url, allow_private=True)
    assert caught.value.code == "bad_url"


def test_user_and_password_in_the_address_are_refused() -> None:
    with pytest.raises(FetchError) as caught:
        check_url("https://me:secret@example.org/cal.ics", allow_private=True)
    assert caught.value.code == "bad_url"


def test_too_large_feed_is_refused_by_its_length_and_by_what_it_unpacks_to(
    feed_server: FeedServer,
) -> None:
    feed_server.routes["/big.ics"] = Answer(body=b"x" * 3000)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/big.ics"), allow_private=True, max_bytes=2000)
    assert caught.value.code == "too_large"
    bomb = gzip.compress(b"x" * 200_000)
    assert len(bomb) < 2000
    feed_server.routes["/bomb.ics"] = Answer(body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/bomb.ics"), allow_private=True, max_bytes=2000)
    assert caught.value.code == "too_large"


def test_slow_server_is_a_timeout(feed_server: FeedServer) -> None:
    feed_server.routes["/slow.ics"] = Answer(body=ICS, delay_seconds=1.5)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/slow.ics"), allow_private=True, read_seconds=0.2)
    assert caught.value.code == "timeout"


@pytest.mark.parametrize(
    ("status", "code"), [(401, "unauthorized"), (404, "not_found"), (500, "http_error")]
)
def test_http_errors_have_a_code(feed_server: FeedServer, status: int, code: str) -> None:
    feed_server.routes["/cal.ics"] = Answer(status)
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/cal.ics"), allow_private=True)
    assert caught.value.code == code
    assert caught.value.message  # a sentence for the expert


def test_guarded_requests_session_refuses_loopback(feed_server: FeedServer) -> None:
    feed_server.routes["/dav/"] = Answer(body=b"ok")
    session = requests.Session()
    guard_session(session, allow_private=False)
    with pytest.raises(Exception) as caught:
        session.get(feed_server.url("/dav/"), timeout=5)
    assert translate(caught.value).code == "private_host"
    assert feed_server.seen == []
    assert session.trust_env is False


@pytest.mark.usefixtures("loopback_is_public")
def test_guarded_requests_session_refuses_a_redirect_into_a_private_host(
    feed_server: FeedServer,
) -> None:
    feed_server.routes["/dav/"] = Answer(
        301, headers={"Location": f"http://127.0.0.2:{feed_server.port}/dav/"}
    )
    session = requests.Session()
    guard_session(session, allow_private=False)
    with pytest.raises(Exception) as caught:
        session.get(feed_server.url("/dav/"), timeout=5)
    assert translate(caught.value).code == "private_host"
