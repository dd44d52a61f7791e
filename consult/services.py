"""Writes of the municipal side: one function per use case, each in one transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.text import slugify

from consult.models import Municipality


def _unique_slug(name: str) -> str:
    base = slugify(name.replace("ß", "ss")) or "kommune"
    slug, n = base, 2
    while Municipality.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_municipality(**fields: Any) -> Municipality:
    municipality = Municipality(**fields)
    municipality.slug = fields.get("slug") or _unique_slug(fields["name"])
    municipality.full_clean()
    municipality.save()
    return municipality


@transaction.atomic
def update_municipality(*, municipality: Municipality, **fields: Any) -> Municipality:
    for name, value in fields.items():
        setattr(municipality, name, value)
    municipality.full_clean()
    municipality.save()
    return municipality
