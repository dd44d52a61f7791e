"""Demo data of the municipal side: real municipalities, their staff logins, plans, requests.

The data lives in `consult/demo_data/*.yaml`; this module only loads it (idempotent).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify

from consult import membership_demo
from consult.cities import city
from consult.models import (
    ConsultationRequest,
    Municipality,
    ParticipationPlan,
    RequestTopic,
    StaffMembership,
    Topic,
)
from core import demo_data
from core.roles import COORDINATOR, MUNICIPAL_STAFF

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo logins, DEBUG only
COORDINATOR_LOGIN: dict[str, Any] = demo_data.load("consult", "coordinator")
MUNICIPALITIES: list[dict[str, Any]] = demo_data.load("consult", "municipalities")["municipalities"]
PLANS: dict[str, Any] = demo_data.load("consult", "plans")
PLAN_FIELDS = ("procedure_type", "stage", "budget_eur", "channels", "target_groups")


@cache
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)  # once: PBKDF2 for each of 40 users takes seconds


def _user(username: str, *, email: str, group: str, **extra: Any) -> Any:
    User = get_user_model()
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": email, "password": _demo_password_hash(), **extra}
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def _phases(start: dt.date) -> list[dict[str, str]]:
    phases, day = [], start
    for phase, weeks in PLANS["phase_weeks"].items():
        end = day + dt.timedelta(weeks=weeks)
        phases.append({"phase": phase, "start": day.isoformat(), "end": end.isoformat()})
        day = end
    return phases


def _municipality(entry: dict[str, Any]) -> None:
    known = city(entry["city"])
    display = entry["city"].split("/")[0]
    slug = slugify(display.replace("ß", "ss"))
    municipality, _ = Municipality.objects.update_or_create(
        slug=slug,
        defaults={
            "name": display,
            "state": known.state,
            "district": known.district,
            "population": known.population,
            "latitude": known.latitude,
            "longitude": known.longitude,
            "ags": known.ags,
            "kind": "stadt",
            "open_to_exchange": entry.get("open_to_exchange", False),
            "member_since": dt.date(2015 + len(slug) % 10, 1 + len(slug) % 12, 1),
            "contact_email": f"buergerhaushalt@{slug}.example",
        },
    )
    user = _user(
        f"staff-{slug}",
        email=f"staff@{slug}.example",
        group=MUNICIPAL_STAFF,
        first_name="Team",
        last_name=display,
    )
    # The demo staff login is its municipality's admin (it may invite colleagues).
    StaffMembership.objects.update_or_create(
        user=user, defaults={"municipality": municipality, "role": StaffMembership.Role.ADMIN}
    )


def _plan(spec: dict[str, Any], *, index: int, today: dt.date, topics: dict[str, Topic]) -> None:
    plan, created = ParticipationPlan.objects.get_or_create(
        municipality=Municipality.objects.get(name=spec["city"]),
        title=spec["title"],
        defaults={key: spec[key] for key in PLAN_FIELDS}
        | {
            "description": spec["description"],
            "phases": _phases(today + dt.timedelta(weeks=4 * index)),
        },
    )
    if not created:
        return
    plan.topics.set([topics[slug] for slug in spec["topics"]])
    shared = PLANS["request"]
    request = ConsultationRequest.objects.create(
        plan=plan,
        format=spec["request"]["format"],
        language=shared["language"],
        earliest=today + dt.timedelta(days=shared["earliest_in_days"]),
        latest=today + dt.timedelta(days=shared["latest_in_days"]),
        duration_minutes=spec["request"]["duration_minutes"],
        notes=shared["notes"],
    )
    # The first three topics, weighted 3, 2, 1 in the order the plan names them.
    RequestTopic.objects.bulk_create(
        RequestTopic(request=request, topic=topics[slug], weight=3 - i)
        for i, slug in enumerate(spec["topics"][:3])
    )


def seed(*, options: dict[str, Any], out: Any) -> None:
    login = dict(COORDINATOR_LOGIN)
    _user(login.pop("username"), email=login.pop("email"), group=COORDINATOR, **login)
    for entry in MUNICIPALITIES:
        _municipality(entry)
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    today = timezone.localdate()
    for index, spec in enumerate(PLANS["plans"]):
        _plan(spec, index=index, today=today, topics=topics)
    membership_demo.seed(password_hash=_demo_password_hash(), out=out)
    out.write(
        f"  Kommunen: {Municipality.objects.count()}, Vorhaben: "
        f"{ParticipationPlan.objects.count()}, Anfragen: "
        f"{ConsultationRequest.objects.count()}"
    )
