"""Links in e-mails point at the port the embedded run serves (`PORT=9000 make run`), in the
web process and in the worker alike, unless SITE_URL says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from honcho.environ import expand_processes, parse_procfile

ROOT = Path(__file__).resolve().parents[2]


def site_url(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "SITE_PORT", "PORT")}
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "9000"}, "http://127.0.0.1:9000"),
        ({"PORT": "9100", "SITE_PORT": "9000"}, "http://127.0.0.1:9000"),
        ({"PORT": "9000", "SITE_URL": "https://beratung.example/"}, "https://beratung.example"),
    ],
)
def test_site_url_follows_the_served_port_unless_set(env, expected):
    assert site_url(**env) == expected


def test_make_run_hands_its_port_to_every_process_of_the_procfile():
    """honcho gives the worker PORT+100 and beat PORT+200; SITE_PORT stays the web port, so
    e-mails rendered by the worker link to the web process too."""
    makefile = (ROOT / "Makefile").read_text()
    assert "PORT=$(PORT) SITE_PORT=$(PORT) $(BIN)/honcho start -f Procfile" in makefile
    procfile = parse_procfile((ROOT / "Procfile").read_text())
    processes = expand_processes(procfile.processes, env={"PORT": "9000", "SITE_PORT": "9000"})
    by_name = {p.name.split(".")[0]: p.env for p in processes}
    assert by_name["web"]["PORT"] == "9000"
    assert by_name["worker"]["PORT"] != "9000"
    for name in ("web", "worker", "beat"):
        assert site_url(**{k: by_name[name][k] for k in ("PORT", "SITE_PORT")}) == (
            "http://127.0.0.1:9000"
        )
