"""Demo library (idempotent): about 70 fictional resources with a real-looking structure.

The entries live in `library/demo_data/<section>.yaml` (procedures, examples from Germany and
abroad, models/studies/brochures, public-relations examples, expert recommendations, funding
programmes); each file has `defaults` for all its entries and the `resources` themselves.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from consult.models import Municipality, Topic
from core import demo_data
from experts.models import ExpertProfile
from library.models import Resource

# In this order (it fixes the ids the entries get).
SECTIONS = ("procedures", "examples", "publications", "pr_examples", "recommendations", "funding")


def _body(title: str, summary: str) -> str:
    return (
        f"{summary}\n\nAusgangslage: Die Kommune wollte mehr Menschen an Haushaltsentscheidungen "
        "beteiligen und hat dafür Rat, Verwaltung und Zivilgesellschaft früh zusammengebracht.\n\n"
        f"Vorgehen: {title} wurde in Phasen geplant – Information, Vorschläge, Prüfung, "
        "Entscheidung und Rechenschaft. Für jede Phase gab es eine verantwortliche Stelle.\n\n"
        "Erfahrungen: Früh mit der Öffentlichkeitsarbeit beginnen, die Machbarkeitsprüfung "
        "realistisch planen und Ergebnisse sichtbar machen."
    )


class _Seeder:
    """Turns one YAML entry into Resource fields: names of demo rows become the rows."""

    def __init__(self) -> None:
        self.topics = {t.slug: t for t in Topic.objects.all()}
        self.municipalities = {m.name: m for m in Municipality.objects.all()}
        self.experts = {e.user.username: e for e in ExpertProfile.objects.select_related("user")}
        self.today = timezone.localdate()

    def fields(self, spec: dict[str, Any]) -> dict[str, Any]:
        spec.setdefault("body", _body(spec["title_de"], spec["summary_de"]))
        if "size_class_of" in spec:
            municipality = self.municipalities.get(spec.pop("size_class_of"))
            spec["size_classes"] = [municipality.size_class] if municipality else []
        if "submitted_for" in spec:
            municipality = self.municipalities.get(spec["submitted_for"])
            spec["submitted_for"] = municipality
            spec["states"] = [municipality.state] if municipality else []
        if "author_expert" in spec:
            expert = self.experts.get(spec["author_expert"])
            spec["author_expert"] = expert
            spec["submitted_by"] = expert.user if expert else None
            spec["source"] = expert.display_name if expert else "Netzwerk Bürgerhaushalt"
        if "deadline_in_days" in spec:
            # Deadlines move with the demo date so some are always within 14 days.
            spec["deadline"] = self.today + dt.timedelta(days=spec.pop("deadline_in_days"))
            spec["year"] = self.today.year
        for amount in ("amount_min_eur", "amount_max_eur"):
            if amount in spec:
                spec[amount] = Decimal(spec[amount])
        return spec

    def put(self, spec: dict[str, Any]) -> bool:
        topics = spec.pop("topics")
        defaults = {
            "language": "de",
            "licence": "CC BY 4.0",
            "status": Resource.Status.PUBLISHED,
            **self.fields(spec),
        }
        if defaults["status"] == Resource.Status.PUBLISHED:
            defaults.setdefault("published_at", timezone.now())
        resource, created = Resource.objects.update_or_create(
            kind=spec["kind"], title_de=spec["title_de"], defaults=defaults
        )
        resource.topics.set([self.topics[slug] for slug in topics])
        return created


@transaction.atomic
def seed(*, options: dict[str, Any], out: Any) -> None:
    seeder = _Seeder()
    created = 0
    for section in SECTIONS:
        data = demo_data.load("library", section)
        for entry in data["resources"]:
            created += seeder.put({**data["defaults"], **entry})
    out.write(f"  Bibliothek: {Resource.objects.count()} Einträge ({created} neu)")
