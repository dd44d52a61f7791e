"""Start real service processes for tests: a Celery worker on the test database, an SMTP sink,
a private PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """URL of the database this test runs on (the test database, not the configured one)."""
    s = connection.settings_dict
    if "sqlite" in s["ENGINE"]:
        return f"sqlite:///{s['NAME']}"
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{host}/{s['NAME']}"


@contextmanager
def worker_process(
    *, concurrency: int = 1, extra_env: dict[str, str] | None = None, queue: str | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real `celery worker` process on the test database, consuming its own queue, in its
    own process group (so a test may SIGKILL it with its pool children). Yields (queue, process).
    """
    queue = queue or f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **(extra_env or {}),
    }
    log = tempfile.NamedTemporaryFile(prefix=f"{queue}-", suffix=".log", delete=False)  # noqa: SIM115
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue]
    command += ["--concurrency", str(concurrency), "--without-mingle", "--without-gossip"]
    command += ["--loglevel", "WARNING", "-n", f"{queue}-{uuid.uuid4().hex[:4]}@%h"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield queue, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@contextmanager
def celery_worker(
    *, concurrency: int = 1, extra_env: dict[str, str] | None = None, queue: str | None = None
) -> Iterator[str]:
    """A real worker (see worker_process); yields the queue name to send tasks to with
    `task.apply_async(args, queue=queue)`."""
    with worker_process(concurrency=concurrency, extra_env=extra_env, queue=queue) as (name, _):
        yield name


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1) -> bool:  # type: ignore[no-untyped-def]
    """Poll until predicate() is truthy (a real worker's effect takes real time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


class PostgresServer:
    """A private PostgreSQL cluster (initdb into a temp dir, its own loopback port, trust auth)
    that a test may stop and start: never the machine's shared one, which other test processes
    use meanwhile. As root, the server runs as the ``postgres`` OS user (it refuses root)."""

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self) -> None:
        if not (self.BIN / "initdb").exists():
            pytest.skip(f"needs PostgreSQL server binaries (initdb in {self.BIN})")
        self.port = _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="consult-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.running = False
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str, timeout: float = 60) -> None:
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*as_owner, *command], check=True, timeout=timeout, capture_output=True, cwd="/"
        )

    def init(self) -> None:
        self._run(
            str(self.BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        settings_lines = [
            f"port = {self.port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.directory}'",
            # A throw-away server: durability costs time and buys nothing here.
            "fsync = off",
            "full_page_writes = off",
            "max_connections = 40",
            "shared_buffers = 16MB",
        ]
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(settings_lines) + "\n")

    def start(self) -> None:
        self._run(
            str(self.BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start"
        )
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        self.running = False


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A started private PostgreSQL; stopped and deleted afterwards, whatever happened."""
    server = PostgresServer()
    try:
        server.init()
        server.start()
        yield server
    finally:
        if server.running:
            with suppress(subprocess.SubprocessError):
                server.stop("immediate")
        shutil.rmtree(server.directory, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
