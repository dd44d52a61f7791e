"""Real servers for the fault tests: an SMTP sink that can refuse or reject, a private
redis-server that can be stopped and started, and a Celery worker that can be SIGKILLed."""

from __future__ import annotations

import asyncio
import email
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import kombu.pools
import pytest

from tests.workers import _free_port, celery_worker, wait_for


def queue_fanout(prefix: str, count: int) -> list[int]:
    """An event change's outbox rows for ``count`` participants, committed; their ids."""
    from django.db import transaction

    from notifications.models import Notification
    from notifications.services import queue_many

    with transaction.atomic():
        return queue_many(
            Notification(
                recipient=f"teilnehmer{i}@gemeinde.example",
                kind="event_changed",
                dedup_key=f"{prefix}:{i}",
                subject="Geänderter Termin",
                body_text="Text",
            )
            for i in range(count)
        )


class FaultySmtpSink:
    """aiosmtpd on a free port: ``refuse`` answers DATA with 451, ``reject`` refuses those
    recipients with 550 at RCPT, ``delay`` slows each message (so a kill lands mid-batch),
    ``slow_reply`` keeps each message but answers DATA only that many seconds later (a server
    that committed it and replies late: a client that gave up first will send it again)."""

    def __init__(self, *, delay: float = 0.0) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        self.refuse = False
        self.reject: set[str] = set()
        self.delay = delay
        self.slow_reply = 0.0
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
                if address in sink.reject:
                    return "550 5.1.1 no such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                if sink.refuse:
                    return "451 4.3.0 try again later"
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                with sink._lock:
                    sink.messages.append(envelope.content)
                if sink.slow_reply:
                    # Kept before the wait: aiosmtpd cancels this handler when the client hangs up.
                    await asyncio.sleep(sink.slow_reply)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=_free_port())

    def __enter__(self) -> FaultySmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def message_ids(self) -> Counter[str]:
        """How often each Message-ID arrived: a value above 1 is a duplicate."""
        with self._lock:
            raw = list(self.messages)
        return Counter(str(email.message_from_bytes(data)["Message-ID"]) for data in raw)


class RedisServer:
    """A private redis-server (no persistence) on a free port, not the shared one."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("needs redis-server (apt-get install redis-server)")
        self.binary = binary
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def kill_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool processes at once: nothing gets to clean up."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextmanager
def producer_broker(url: str) -> Iterator[None]:
    """Point this process's task publishing at ``url`` (the private Redis), then back."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.broker_transport_options)

    def switch(broker: str, options: dict) -> None:
        app.conf.broker_url = broker
        app.conf.broker_transport_options = options
        # kombu caches connection and producer pools globally by URL: close and forget them
        # all, or the next publish to the old URL would reuse a closed pool.
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    switch(url, {"visibility_timeout": 3600})
    try:
        yield
    finally:
        switch(*saved)


def publish(task, *, queue: str, args: list | None = None) -> None:  # type: ignore[no-untyped-def]
    """Publish ``task`` to ``queue``, retrying while the broker connection comes back."""
    assert wait_for(lambda: _try_publish(task, queue, args or []), timeout=20)


def _try_publish(task, queue: str, args: list) -> bool:  # type: ignore[no-untyped-def]
    try:
        task.apply_async(args=args, queue=queue)
    except Exception:  # the broker is still coming back
        return False
    return True


@contextmanager
def worker_on_private_redis() -> Iterator[tuple[RedisServer, FaultySmtpSink, str]]:
    """A private redis-server as this process's broker, an SMTP sink, and a real worker on
    both: (redis, sink, queue to publish to). Stop and start ``redis`` to take the broker away."""
    with (
        redis_server() as redis,
        FaultySmtpSink() as sink,
        producer_broker(redis.url),
        celery_worker(extra_env={"CELERY_BROKER_URL": redis.url, "EMAIL_URL": sink.url}) as queue,
    ):
        yield redis, sink, queue
