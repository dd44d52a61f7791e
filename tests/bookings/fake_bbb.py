"""A fake BigBlueButton server for the room tests (tests/bookings, tests/pages): a real HTTP
server on 127.0.0.1 that checks every call's checksum like the real one."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SECRET = "fake-bbb-secret"


class FakeBigBlueButton:
    """BigBlueButton's API on a free port of 127.0.0.1. Like the real server it checks every
    call's checksum (hash of call name + query + secret) and answers ``create`` in its XML and
    a browser's ``join`` with a page; ``answer`` makes it refuse (``"failed"``) or never answer
    in time (``"hang"``)."""

    def __init__(self, secret: str, algorithm: str = "sha256") -> None:
        self.secret = secret
        self.algorithm = algorithm
        self.answer = "success"
        self.calls: list[tuple[str, dict[str, str], bool]] = []
        self.meetings: dict[str, dict[str, str]] = {}
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                reply = fake.respond(self.path)
                if reply is None:
                    return
                content_type, body = reply
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/bigbluebutton/"

    def signed(self, call: str, query: str) -> tuple[dict[str, str], bool]:
        unsigned, _, signature = query.rpartition("&checksum=")
        expected = hashlib.new(self.algorithm, f"{call}{unsigned}{self.secret}".encode())
        return dict(parse_qsl(unsigned)), signature == expected.hexdigest()

    def respond(self, path: str) -> tuple[str, bytes] | None:
        parts = urlsplit(path)
        call = parts.path.removeprefix("/bigbluebutton/api/")
        params, valid = self.signed(call, parts.query)
        self.calls.append((call, params, valid))
        if self.answer == "hang":
            self._release.wait(10)
            return None
        if not valid:
            return self.failed("checksumError", "Checksums do not match")
        if self.answer == "failed":
            return self.failed("internalError", "The meeting could not be created")
        if call == "join":
            return self.joined(params)
        if call != "create":
            return self.failed("unsupportedRequest", "This fake knows only create and join")
        known = self.meetings.get(params["meetingID"])
        if known is not None and known != params:
            return self.failed("idNotUnique", "A meeting already exists with that meeting ID")
        self.meetings[params["meetingID"]] = params
        warning = (
            "<messageKey>duplicateWarning</messageKey><message>exists</message>" if known else ""
        )
        return "text/xml;charset=utf-8", (
            "<response><returncode>SUCCESS</returncode>"
            f"<meetingID>{params['meetingID']}</meetingID>"
            f"<attendeePW>{params['attendeePW']}</attendeePW>"
            f"<moderatorPW>{params['moderatorPW']}</moderatorPW>"
            "<createTime>1812345678901</createTime><hasBeenForciblyEnded>false"
            f"</hasBeenForciblyEnded>{warning}</response>"
        ).encode()

    def joined(self, params: dict[str, str]) -> tuple[str, bytes]:
        """Where the real server sends the browser on to its client: a page naming the role."""
        if params.get("meetingID") not in self.meetings:
            return self.failed("invalidMeetingIdentifier", "The meeting was not created")
        return "text/html;charset=utf-8", (
            '<!doctype html><html lang="en"><title>Fake BigBlueButton</title>'
            f"<p id='joined'>{params['role']}</p></html>"
        ).encode()

    @staticmethod
    def failed(key: str, message: str) -> tuple[str, bytes]:
        return "text/xml;charset=utf-8", (
            "<response><returncode>FAILED</returncode>"
            f"<messageKey>{key}</messageKey><message>{message}</message></response>"
        ).encode()

    def creates(self) -> list[tuple[dict[str, str], bool]]:
        return [(params, valid) for call, params, valid in self.calls if call == "create"]

    def joins(self) -> list[tuple[dict[str, str], bool]]:
        return [(params, valid) for call, params, valid in self.calls if call == "join"]

    def close(self) -> None:
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@contextmanager
def running_bbb(settings: Any, site_url: str) -> Iterator[FakeBigBlueButton]:
    """A fake server, and the service configured for it (MEETING_PROVIDER=bbb)."""
    fake = FakeBigBlueButton(SECRET)
    settings.MEETING_PROVIDER = "bbb"
    settings.BBB_URL = fake.url
    settings.BBB_SECRET = SECRET
    settings.BBB_CHECKSUM = "sha256"
    settings.BBB_TIMEOUT = 2.0
    settings.SITE_URL = site_url
    try:
        yield fake
    finally:
        fake.close()


def signed_join_params(location: str, bbb_url: str) -> dict[str, str]:
    """The parameters of a join URL, after checking that it is one and its checksum."""
    assert location.startswith(bbb_url + "api/join?"), location
    unsigned, _, signature = urlsplit(location).query.rpartition("&checksum=")
    assert signature == hashlib.sha256(f"join{unsigned}{SECRET}".encode()).hexdigest()
    return dict(parse_qsl(unsigned))
