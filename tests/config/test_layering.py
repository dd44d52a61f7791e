"""Dependencies point one way, downward (DESIGN.md section 2): no app imports one above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What each app may import among ours (itself always); anything of ours not listed is above it.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "notifications": {"core"},
    "consult": {"core", "notifications"},
    "experts": {"core", "notifications", "consult"},
    "bookings": {"core", "notifications", "consult", "experts", "events"},
    "events": {"core", "notifications", "consult", "experts"},
    "library": {"core", "notifications", "consult", "experts"},
    "exchange": {"core", "notifications", "consult", "experts", "library"},
}
OURS = set(ALLOWED) | {"config", "coordination", "accounts"}


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


def _modules(app: str) -> list[Path]:
    return [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_app_imports_only_apps_below_it(app: str) -> None:
    if not (ROOT / app).is_dir():
        pytest.skip(f"{app}/ does not exist yet")
    wrong = {
        f"{path.relative_to(ROOT)} imports {other}"
        for path in _modules(app)
        for other in _imported_apps(path) - ALLOWED[app] - {app}
    }
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_no_model_is_looked_up_by_name_across_apps(app: str) -> None:
    if not (ROOT / app).is_dir():
        pytest.skip(f"{app}/ does not exist yet")
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules(app)
        if "apps.get_model(" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders


def test_no_python_module_is_over_600_lines() -> None:
    apps = [*ALLOWED, "config", "coordination", "accounts"]
    long = {
        str(path.relative_to(ROOT)): n
        for app in apps
        if (ROOT / app).is_dir()
        for path in _modules(app)
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert not long, long
