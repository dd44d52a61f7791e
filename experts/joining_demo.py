"""Demo data of the expert pool's joining: a few applications waiting for a coordinator
(experts/demo_data/expert_applications.yaml), so the back office has work (idempotent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from core import demo_data
from experts.joining_models import ExpertApplication

APPLICATIONS: list[dict[str, Any]] = demo_data.load("experts", "expert_applications")[
    "applications"
]


def _application(entry: dict[str, Any], *, now: dt.datetime) -> None:
    spec = dict(entry)
    status = spec.pop("status")
    ExpertApplication.objects.get_or_create(
        email=spec["email"],
        defaults={
            **spec,
            "status": status,
            "consent_at": now,
            "confirmed_at": None if status == ExpertApplication.Status.EMAIL_UNVERIFIED else now,
            "created_at": now,
        },
    )


def seed(*, out: Any) -> None:
    now = timezone.now()
    for entry in APPLICATIONS:
        _application(entry, now=now)
    waiting = ExpertApplication.objects.filter(status=ExpertApplication.Status.PENDING).count()
    out.write(f"  offene Bewerbungen für den Expert*innen-Pool: {waiting}")
