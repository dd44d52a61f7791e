"""A real HTTP server on a loopback port for the calendar tests: each path answers with what a
test puts in ``routes``; the requests it got are kept in ``seen``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0  # the server waits before answering (a slow server)


Route = Answer | Callable[[dict[str, str]], Answer]


@dataclass
class FeedServer:
    host: str
    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = dict(self.headers.items())
            server.seen.append((self.path, headers))
            route = server.routes.get(self.path)
            answer = Answer(404) if route is None else route(headers) if callable(route) else route
            if answer.delay_seconds:
                time.sleep(answer.delay_seconds)  # the server is slow, not the test
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in answer.headers:
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if answer.status != 304:
                    self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (too large, too slow): that is the point

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer("127.0.0.1", 0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
