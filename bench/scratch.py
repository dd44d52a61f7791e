"""Shared scaffolding of the benchmark scripts (not a benchmark itself; run_all.py skips it).

- a scratch database: PostgreSQL next to the one in DATABASE_URL (dropped and re-created), or a
  scratch SQLite file when DATABASE_URL is not PostgreSQL;
- `manage.py migrate` into it in a subprocess;
- a free loopback port, and gunicorn started on it, returned once /healthz answers 200.
"""

from __future__ import annotations

import atexit
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def _admin_url(url: str) -> str:
    """The same server's `postgres` maintenance database."""
    return urlunparse(urlparse(url)._replace(path="/postgres"))


def create_database(url: str, name: str, *, connect_timeout: int | None = None) -> str:
    """Drop and re-create PostgreSQL database `name` on the server of `url`; its URL."""
    import psycopg

    extra = {} if connect_timeout is None else {"connect_timeout": connect_timeout}
    with psycopg.connect(_admin_url(url), autocommit=True, **extra) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def sqlite_scratch(path: Path) -> str:
    """URL of an SQLite file at `path`, the file and its -wal/-shm removed first and again
    when this process exits."""
    _remove_sqlite(path)
    atexit.register(_remove_sqlite, path)
    return f"sqlite:///{path}"


def scratch_database(name: str, *, sqlite_path: Path | None = None) -> tuple[str, str]:
    """(DATABASE_URL of a fresh scratch database, engine label).

    PostgreSQL database `<name>_<pid>` next to the one in DATABASE_URL, dropped when this
    process exits; without a PostgreSQL DATABASE_URL the SQLite file `sqlite_path` (default:
    var/<name>_<pid>.sqlite3). The pid keeps two benchmark runs on one machine from dropping
    each other's database mid-run.
    """
    unique = f"{name}_{os.getpid()}"
    url = os.environ.get("DATABASE_URL", "")
    if is_postgres(url):
        scratch = create_database(url, unique)
        atexit.register(drop_scratch, scratch)
        return scratch, "PostgreSQL"
    return sqlite_scratch(sqlite_path or ROOT / "var" / f"{unique}.sqlite3"), "SQLite"


def drop_scratch(url: str) -> None:
    """Drop the PostgreSQL database of `url` (nothing for SQLite)."""
    if not url.startswith("postgres"):
        return
    import psycopg

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str, extra_env: Mapping[str, str] | None = None) -> None:
    """`manage.py migrate` into `url` in a subprocess (this environment plus `extra_env`)."""
    env = {**os.environ, **(extra_env or {}), "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        return response.status == 200
    finally:
        conn.close()


def start_gunicorn(
    env: Mapping[str, str],
    port: int,
    *,
    workers: int = 2,
    threads: int | None = None,
    extra_args: Sequence[str] = (),
    log: Path | None = None,
    timeout: float = 60.0,
) -> subprocess.Popen:
    """gunicorn serving config.wsgi on 127.0.0.1:`port`, returned once /healthz answers 200.

    `env` is the whole environment of the server (callers merge os.environ themselves).
    `threads` selects the gthread worker class; stderr goes to `log` (default: a temp file).
    """
    if log is None:
        log = Path(tempfile.mkdtemp(prefix="bench-gunicorn-")) / "gunicorn.log"
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "config.wsgi",
        "--workers",
        str(workers),
        *(["--worker-class", "gthread", "--threads", str(threads)] if threads else []),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        *extra_args,
    ]
    with log.open("wb") as err:
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(env), stdout=subprocess.DEVNULL, stderr=err
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            if _healthy(port):
                return process
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(
        f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{log.read_text()[-3000:]}"
    )


def peak_rss_mb(root: int) -> float:
    """Sum of VmHWM (peak resident set) over process ``root`` and all its descendants
    (gunicorn's master and workers, a Celery worker and its pool), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Field 4 (after the parenthesised command, which may contain spaces) is the ppid.
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    total_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024
