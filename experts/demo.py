"""Demo experts: 30 fictional advisers, and `--experts N` synthetic ones for benchmarks.

The names and the pools drawn from live in `experts/demo_data/experts.yaml`.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from tqdm import tqdm

from consult.choices import FederalState, ProcedureType, SizeClass
from consult.cities import german_cities
from consult.models import Municipality, Topic
from core import demo_data
from core.roles import EXPERT
from experts import joining_demo
from experts.models import AvailabilityRule, ExpertProfile, ExpertTopic

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo logins, DEBUG only
DATA: dict[str, Any] = demo_data.load("experts", "experts")
FIRST: list[str] = DATA["first_names"]
LAST: list[str] = DATA["last_names"]
# The first demo experts are chosen so that hand-checkable matches exist (Saxony, youth).
FIXED: list[dict[str, Any]] = DATA["fixed"]
CHOICES: dict[str, list[Any]] = DATA["choices"]


def _profile_fields(rng: random.Random, n: int, topics: list[str]) -> dict[str, Any]:
    cities = german_cities()
    fixed = FIXED[n - 1] if n <= len(FIXED) else None
    home = next(c for c in cities if c.name == fixed["city"]) if fixed else rng.choice(cities)
    states = (
        fixed["states"]
        if fixed
        else sorted({home.state, *rng.sample(list(FederalState.values), rng.randint(0, 3))})
    )
    languages = ["de", *rng.sample(CHOICES["languages"], rng.randint(0, 2))]
    formats = list(rng.choice(CHOICES["formats"]))  # a copy: each profile owns its list
    topic_levels = (
        fixed["topics"]
        if fixed
        else {slug: rng.randint(1, 3) for slug in rng.sample(topics, rng.randint(2, 5))}
    )
    return {
        "display_name": f"{FIRST[n % len(FIRST)]} {LAST[(n * 7) % len(LAST)]}"
        + ("" if n <= len(FIRST) else f" ({n})"),
        "organisation": rng.choice(DATA["organisations"]),
        "email": f"expert-{n}@beratung.example",
        "bio_de": DATA["bio_de"],
        "bio_en": DATA["bio_en"],
        "procedure_types": fixed["procedure_types"]
        if fixed
        else rng.sample(list(ProcedureType.values), rng.randint(1, 3)),
        "size_classes": rng.sample(list(SizeClass.values), rng.randint(1, 4)),
        "states": states,
        "languages": languages,
        "formats": formats,
        "home_latitude": home.latitude,
        "home_longitude": home.longitude,
        "home_city": home.name,
        "travel_radius_km": rng.choice(CHOICES["travel_radius_km"]),
        "monthly_capacity": rng.randint(*CHOICES["monthly_capacity"]),
        "durations": list(rng.choice(CHOICES["durations"])),
        "auto_confirm": n % 4 == 0,
        "meeting_url": f"https://meet.jit.si/buergerhaushalt-expert-{n}",
        "max_per_day": rng.choice(CHOICES["max_per_day"]),
        "max_per_week": rng.choice(CHOICES["max_per_week"]),
        "_topics": topic_levels,
    }


def _rules(rng: random.Random) -> list[tuple[int, dt.time, dt.time]]:
    days = sorted(rng.sample(range(5), rng.randint(2, 4)))
    windows = CHOICES["windows"]
    return [(day, dt.time(a), dt.time(b)) for day in days for a, b in rng.sample(windows, 1)]


@transaction.atomic
def _create(numbers: range, *, rng: random.Random, progress: bool) -> None:
    """Bulk-create experts `expert-<n>`: users, profiles, topics, rules in a few INSERTs."""
    User = get_user_model()
    group = Group.objects.get(name=EXPERT)
    topic_ids = dict(Topic.objects.values_list("slug", "id"))
    password = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 per user would take minutes
    existing = set(
        User.objects.filter(username__startswith="expert-").values_list("username", flat=True)
    )
    todo = [n for n in numbers if f"expert-{n}" not in existing]
    bar = tqdm(total=len(todo), unit="expert", disable=not (progress and sys.stderr.isatty()))
    for start in range(0, len(todo), 1000):
        chunk = todo[start : start + 1000]
        users = User.objects.bulk_create(
            User(username=f"expert-{n}", email=f"expert-{n}@beratung.example", password=password)
            for n in chunk
        )
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=user.pk, group_id=group.pk) for user in users
        )
        specs = [_profile_fields(rng, n, list(topic_ids)) for n in chunk]
        profiles = ExpertProfile.objects.bulk_create(
            ExpertProfile(user=user, **{k: v for k, v in spec.items() if k != "_topics"})
            for user, spec in zip(users, specs, strict=True)
        )
        ExpertTopic.objects.bulk_create(
            ExpertTopic(expert=profile, topic_id=topic_ids[slug], level=level)
            for profile, spec in zip(profiles, specs, strict=True)
            for slug, level in spec["_topics"].items()
        )
        AvailabilityRule.objects.bulk_create(
            AvailabilityRule(expert=profile, weekday=day, start_time=a, end_time=b)
            for profile in profiles
            for day, a, b in _rules(rng)
        )
        bar.update(len(chunk))
    bar.close()


def _conflicts() -> None:
    """The fixed experts must not advise their home town (a visible conflict of interest)."""
    for n, spec in enumerate(FIXED, start=1):
        expert = ExpertProfile.objects.filter(user__username=f"expert-{n}").first()
        home = Municipality.objects.filter(name=spec["city"]).first()
        if expert is not None and home is not None:
            expert.conflicts.add(home)


def seed(*, options: dict[str, Any], out: Any) -> None:
    rng = random.Random(options.get("seed", 2026))
    _create(range(1, 31), rng=rng, progress=False)
    _conflicts()
    extra = options.get("experts") or 0
    if extra:
        first = ExpertProfile.objects.filter(user__username__startswith="expert-").count() + 1
        _create(range(first, first + extra), rng=rng, progress=True)
    out.write(f"  Expert*innen: {ExpertProfile.objects.count()}")
    joining_demo.seed(out=out)
