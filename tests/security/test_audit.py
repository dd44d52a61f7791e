"""Static and dependency audit (`make audit` runs the same tools): bandit over the apps with every
finding reviewed in audit_accepted.py, and pip-audit of requirements.txt against PyPI's advisory
data with accepted ids in pip_audit_ignore.txt.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.audit_accepted import BANDIT_ACCEPTED

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
APPS = ["config", "consult", "experts", "bookings", "library", "notifications"]
IGNORE_FILE = Path(__file__).with_name("pip_audit_ignore.txt")


def _line(filename: str, number: int) -> str:
    return (ROOT / filename).read_text().splitlines()[number - 1].strip()


def test_bandit_finds_nothing_unreviewed():
    result = subprocess.run(
        [str(BIN / "bandit"), "-r", *APPS, "-q", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    assert not report["errors"], report["errors"]
    unreviewed = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}\n    "
        + _line(r["filename"], r["line_number"])
        for r in report["results"]
        if (r["filename"], r["test_id"], _line(r["filename"], r["line_number"]))
        not in BANDIT_ACCEPTED
    ]
    assert not unreviewed, "fix, or review into audit_accepted.py:\n" + "\n".join(unreviewed)


def _ignored_ids() -> list[str]:
    ids = []
    for line in IGNORE_FILE.read_text().splitlines():
        vuln_id, _, reason = line.partition("#")
        if vuln_id.strip():
            assert reason.strip(), f"{vuln_id.strip()} is ignored without a reason"
            ids.append(vuln_id.strip())
    return ids


def test_pinned_requirements_have_no_known_vulnerabilities():
    command = [str(BIN / "pip-audit"), "-r", "requirements.txt", "--no-deps", "--disable-pip"]
    command += ["--format", "json", "--progress-spinner", "off"]
    for vuln_id in _ignored_ids():
        command += ["--ignore-vuln", vuln_id]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    if not result.stdout.strip().startswith("{"):
        pytest.skip(f"pip-audit could not reach PyPI's advisory data: {result.stderr[-300:]}")
    dependencies = json.loads(result.stdout)["dependencies"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        pytest.skip(
            f"none of the {len(dependencies)} pinned versions is known to PyPI here (this "
            "machine installs from a local wheelhouse), so pip-audit could audit nothing"
        )
    vulnerable = {d["name"]: [v["id"] for v in d["vulns"]] for d in audited if d["vulns"]}
    assert not vulnerable, f"upgrade, or add to pip_audit_ignore.txt with a reason: {vulnerable}"
