"""Probes for the orchestrator: /healthz (process up) and /readyz (database and broker)."""

from __future__ import annotations

from celery import current_app
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(_request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def _broker() -> str | None:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises transport-specific errors
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


@never_cache
def readyz(_request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "broker": _broker()}
    failing = {name: error for name, error in checks.items() if error}
    body = {
        "status": "ok" if not failing else "unavailable",
        "checks": {name: (error or "ok") for name, error in checks.items()},
    }
    if failing:
        body["failing"] = sorted(failing)
    return JsonResponse(body, status=503 if failing else 200)
