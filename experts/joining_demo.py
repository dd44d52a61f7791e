"""Demo data of the expert pool's joining: a few applications waiting for a coordinator
(experts/demo_data/expert_applications.yaml), so the back office has work (idempotent)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core import demo_data
from experts.joining_models import ExpertApplication

APPLICATIONS: list[dict[str, Any]] = demo_data.load("experts", "expert_applications")[
    "applications"
]


def seed(*, out: Any) -> None:
    now = timezone.now()
    for entry in APPLICATIONS:
        demo_data.application(ExpertApplication, entry, now=now)
    waiting = ExpertApplication.objects.filter(status=ExpertApplication.Status.PENDING).count()
    out.write(f"  offene Bewerbungen für den Expert*innen-Pool: {waiting}")
