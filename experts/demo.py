"""Demo experts: 30 fictional advisers, and `--experts N` synthetic ones for benchmarks."""

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
from core.roles import EXPERT
from experts.models import AvailabilityRule, ExpertProfile, ExpertTopic

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo logins, DEBUG only
FIRST = [
    "Anna",
    "Jonas",
    "Leonie",
    "Mehmet",
    "Sophie",
    "Lukas",
    "Fatma",
    "Felix",
    "Marie",
    "Paul",
    "Aylin",
    "Tobias",
    "Clara",
    "Noah",
    "Hannah",
    "Emil",
    "Lena",
    "Jan",
    "Mia",
    "Ole",
    "Zeynep",
    "David",
    "Ida",
    "Karl",
    "Greta",
    "Milan",
    "Nora",
    "Theo",
    "Johanna",
    "Samuel",
]
LAST = [
    "Schneider",
    "Weber",
    "Krüger",
    "Yılmaz",
    "Hoffmann",
    "Neumann",
    "Schulz",
    "Wagner",
    "Becker",
    "Lehmann",
    "Kaya",
    "Braun",
    "Zimmermann",
    "Hartmann",
    "Richter",
    "Wolf",
    "Schröder",
    "Krause",
    "Meyer",
    "Lange",
    "Demir",
    "Fischer",
    "Koch",
    "Bauer",
    "Vogel",
    "Peters",
    "Jung",
    "Keller",
    "Schmitt",
    "Frank",
]
ORGS = [
    "Büro für Bürgerbeteiligung",
    "Institut für Partizipation",
    "freiberuflich",
    "Kommunalberatung Nord",
    "Agentur Mitreden",
    "Hochschule für Verwaltung",
    "Landeszentrale für politische Bildung",
    "Beteiligungswerkstatt",
]
# The first demo experts are chosen so that hand-checkable matches exist (Saxony, youth).
FIXED = [
    {
        "city": "Dresden",
        "states": ["Sachsen"],
        "topics": {"youth-school": 3, "public-relations": 3, "procedure-design": 2},
        "procedure_types": ["youth-budget"],
    },
    {
        "city": "Potsdam",
        "states": ["Brandenburg", "Berlin"],
        "topics": {"voting-methods": 3, "online-platform": 2, "accountability-evaluation": 3},
        "procedure_types": ["citizens-budget"],
    },
    {
        "city": "Köln",
        "states": ["Nordrhein-Westfalen"],
        "topics": {"online-platform": 3, "outreach-inclusion": 3},
        "procedure_types": ["consultation-budget"],
    },
]


def _profile_fields(rng: random.Random, n: int, topics: list[str]) -> dict[str, Any]:
    cities = german_cities()
    fixed = FIXED[n - 1] if n <= len(FIXED) else None
    home = next(c for c in cities if c.name == fixed["city"]) if fixed else rng.choice(cities)
    states = (
        fixed["states"]
        if fixed
        else sorted({home.state, *rng.sample(list(FederalState.values), rng.randint(0, 3))})
    )
    languages = ["de", *rng.sample(["en", "fr", "tr", "pl", "ar"], rng.randint(0, 2))]
    formats = rng.choice([["online"], ["online", "onsite"], ["online", "onsite"], ["onsite"]])
    topic_levels = (
        fixed["topics"]
        if fixed
        else {slug: rng.randint(1, 3) for slug in rng.sample(topics, rng.randint(2, 5))}
    )
    return {
        "display_name": f"{FIRST[n % len(FIRST)]} {LAST[(n * 7) % len(LAST)]}"
        + ("" if n <= len(FIRST) else f" ({n})"),
        "organisation": rng.choice(ORGS),
        "email": f"expert-{n}@beratung.example",
        "bio_de": "Berät Kommunen bei Planung, Einführung und Weiterentwicklung von "
        "Bürgerhaushalten.",
        "bio_en": "Advises municipalities on planning, introducing and improving participatory "
        "budgets.",
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
        "travel_radius_km": rng.choice([50, 100, 150, 250, 400]),
        "monthly_capacity": rng.randint(2, 8),
        "durations": rng.choice([[60], [60, 90], [45, 90], [90, 120]]),
        "auto_confirm": n % 4 == 0,
        "meeting_url": f"https://meet.jit.si/buergerhaushalt-expert-{n}",
        "max_per_day": rng.choice([None, 2, 3]),
        "max_per_week": rng.choice([None, 5, 8]),
        "_topics": topic_levels,
    }


def _rules(rng: random.Random) -> list[tuple[int, dt.time, dt.time]]:
    days = sorted(rng.sample(range(5), rng.randint(2, 4)))
    windows = [(9, 12), (13, 17), (10, 16), (14, 18)]
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
