"""`manage.py check --deploy` with production settings, in a clean environment.

The environment is built from scratch (not inherited): the browser tests set
DJANGO_ALLOW_ASYNC_UNSAFE in the test process, which a deployment check rightly refuses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "-Zq8!vR2#pL9@xT4$wN6%yB1^cM3&hJ5*",
    "ALLOWED_HOSTS": "beratung.example",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def _check_deploy(fail_level: str) -> subprocess.CompletedProcess:
    kept = {"PATH", "HOME", "LANG", "DATABASE_URL", "VAR_DIR"}
    env = {k: v for k, v in os.environ.items() if k in kept}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", fail_level],
        env=env | PRODUCTION,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_deploy_check_has_no_errors_and_no_security_warnings():
    result = _check_deploy("ERROR")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "security." not in output, output
    assert "async." not in output, output


def test_deploy_check_is_clean_at_warning_level():
    result = _check_deploy("WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
