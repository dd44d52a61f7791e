"""Demo data of membership: one organisation of each kind beyond the municipalities, each with
an admin login `staff-<slug>`, and a few applications waiting for a decision (idempotent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify

from consult.cities import city
from consult.membership_decisions import STATE_CAPITALS
from consult.models import MembershipApplication, Municipality, StaffMembership
from core import demo_data
from core.roles import MUNICIPAL_STAFF

ORGANISATIONS: list[dict[str, Any]] = demo_data.load("consult", "organisations")["organisations"]
APPLICATIONS: list[dict[str, Any]] = demo_data.load("consult", "applications")["applications"]
# Where a demo organisation abroad sits on the map (Vienna for the Austrian network).
ABROAD = {"AT": (48.2082, 16.3738)}


def _organisation(entry: dict[str, Any], *, password_hash: str) -> None:
    spec = dict(entry)
    slug = slugify(spec["name"].replace("ß", "ss"))
    country = spec.pop("country", "DE")
    if country == "DE":
        capital = city(STATE_CAPITALS[spec["state"]])
        latitude, longitude = capital.latitude, capital.longitude
    else:
        latitude, longitude = ABROAD[country]
    organisation, _ = Municipality.objects.update_or_create(
        slug=slug,
        defaults={
            **spec,
            "country": country,
            "latitude": latitude,
            "longitude": longitude,
            "member_since": dt.date(2020 + len(slug) % 5, 1 + len(slug) % 12, 1),
            "contact_email": f"kontakt@{slug}.example",
        },
    )
    User = get_user_model()
    user, _ = User.objects.get_or_create(
        username=f"staff-{slug}",
        defaults={
            "email": f"admin@{slug}.example",
            "password": password_hash,
            "first_name": "Team",
            "last_name": spec["name"][:150],
        },
    )
    user.groups.add(Group.objects.get(name=MUNICIPAL_STAFF))
    StaffMembership.objects.update_or_create(
        user=user, defaults={"municipality": organisation, "role": StaffMembership.Role.ADMIN}
    )


def seed(*, password_hash: str, out: Any) -> None:
    for entry in ORGANISATIONS:
        _organisation(entry, password_hash=password_hash)
    now = timezone.now()
    for entry in APPLICATIONS:
        demo_data.application(MembershipApplication, entry, now=now)
    out.write(
        f"  Organisationen anderer Art: {len(ORGANISATIONS)}, offene Mitgliedsanträge: "
        f"{MembershipApplication.objects.filter(status__in=['pending', 'info_requested']).count()}"
    )
