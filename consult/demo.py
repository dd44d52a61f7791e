"""Demo data of the municipal side: real municipalities, their staff logins, plans, requests."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify

from consult.choices import Phase, ProcedureType, Stage
from consult.cities import city
from consult.models import (
    ConsultationRequest,
    Municipality,
    ParticipationPlan,
    RequestTopic,
    StaffMembership,
    Topic,
)
from core.roles import COORDINATOR, MUNICIPAL_STAFF

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo logins, DEBUG only

# About 40 real municipalities from every federal state (population and coordinates from the CSV).
MUNICIPALITIES = [
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Leipzig",
    "Dresden",
    "Chemnitz",
    "Görlitz",
    "Freiburg im Breisgau",
    "Stuttgart",
    "Tübingen",
    "Potsdam",
    "Cottbus/Chóśebuz",
    "Eberswalde",
    "Bremen",
    "Bremerhaven",
    "Frankfurt am Main",
    "Darmstadt",
    "Kassel",
    "Marburg",
    "Rostock",
    "Schwerin",
    "Greifswald",
    "Hannover",
    "Oldenburg",
    "Göttingen",
    "Münster",
    "Bonn",
    "Solingen",
    "Wuppertal",
    "Mainz",
    "Trier",
    "Saarbrücken",
    "Neunkirchen",
    "Kiel",
    "Lübeck",
    "Erfurt",
    "Jena",
    "Magdeburg",
    "Halle (Saale)",
    "Bamberg",
    "Regensburg",
]
OPEN_TO_EXCHANGE = {
    "Leipzig",
    "Potsdam",
    "Bonn",
    "Jena",
    "Solingen",
    "Eberswalde",
    "Trier",
    "Freiburg im Breisgau",
    "Greifswald",
    "Halle (Saale)",
    "Marburg",
    "Köln",
}

PLANS: list[dict[str, Any]] = [
    {
        "city": "Leipzig",
        "procedure_type": ProcedureType.YOUTH_BUDGET,
        "stage": Stage.INTRODUCING,
        "budget_eur": 50_000,
        "channels": ["online", "onsite"],
        "target_groups": ["youth", "pupils"],
        "topics": ["youth-school", "public-relations"],
        "title": "Jugendbudget Leipzig",
        "description": "Jugendliche von 12 bis 21 Jahren entscheiden über 50.000 Euro "
        "für Projekte im Stadtteil.",
    },
    {
        "city": "Potsdam",
        "procedure_type": ProcedureType.CITIZENS_BUDGET,
        "stage": Stage.RUNNING,
        "budget_eur": 1_000_000,
        "channels": ["hybrid"],
        "target_groups": ["all"],
        "topics": ["voting-methods", "online-platform", "accountability-evaluation"],
        "title": "Bürgerhaushalt Potsdam",
        "description": "Jährlicher Bürgerhaushalt mit Bürgerbefragung und Rechenschaftsbericht.",
    },
    {
        "city": "Eberswalde",
        "procedure_type": ProcedureType.CITIZENS_BUDGET,
        "stage": Stage.RUNNING,
        "budget_eur": 100_000,
        "channels": ["onsite", "online"],
        "target_groups": ["all"],
        "topics": ["voting-methods", "public-relations"],
        "title": "Bürgerbudget Eberswalde",
        "description": "Bürgerbudget mit Abstimmung auf dem Marktplatz und online.",
    },
    {
        "city": "Bonn",
        "procedure_type": ProcedureType.CONSULTATION_BUDGET,
        "stage": Stage.DEVELOPING,
        "budget_eur": None,
        "channels": ["online"],
        "target_groups": ["all", "migrants"],
        "topics": ["online-platform", "outreach-inclusion", "feasibility-administration"],
        "title": "Bonn packt's an",
        "description": "Vorschlagsorientierter Bürgerhaushalt, der aufsuchender und "
        "inklusiver werden soll.",
    },
    {
        "city": "Jena",
        "procedure_type": ProcedureType.NEIGHBOURHOOD_FUND,
        "stage": Stage.IDEA,
        "budget_eur": 30_000,
        "channels": ["onsite"],
        "target_groups": ["families", "seniors"],
        "topics": ["neighbourhood-funds", "funding", "budget-law"],
        "title": "Kiezfonds Jena-Lobeda",
        "description": "Ein Stadtteilfonds, über den eine Bürgerjury entscheidet.",
    },
    {
        "city": "Görlitz",
        "procedure_type": ProcedureType.SCHOOL_BUDGET,
        "stage": Stage.IDEA,
        "budget_eur": 20_000,
        "channels": ["onsite"],
        "target_groups": ["pupils"],
        "topics": ["youth-school", "procedure-design"],
        "title": "Schulbudget Görlitz",
        "description": "Schüler*innen aller weiterführenden Schulen planen ihr eigenes Budget.",
    },
]


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
    for phase, weeks in [
        (Phase.INFORMATION, 4),
        (Phase.PROPOSALS, 6),
        (Phase.FEASIBILITY, 8),
        (Phase.VOTE, 3),
        (Phase.IMPLEMENTATION, 26),
        (Phase.ACCOUNTABILITY, 4),
    ]:
        end = day + dt.timedelta(weeks=weeks)
        phases.append({"phase": str(phase), "start": day.isoformat(), "end": end.isoformat()})
        day = end
    return phases


def seed(*, options: dict[str, Any], out: Any) -> None:
    _user(
        "coordinator",
        email="koordination@buergerhaushalt-netzwerk.de",
        group=COORDINATOR,
        is_staff=True,
        first_name="Kim",
        last_name="Koordination",
    )
    today = timezone.localdate()
    for name in MUNICIPALITIES:
        entry = city(name)
        display = name.split("/")[0]
        slug = slugify(display.replace("ß", "ss"))
        municipality, _ = Municipality.objects.update_or_create(
            slug=slug,
            defaults={
                "name": display,
                "state": entry.state,
                "district": entry.district,
                "population": entry.population,
                "latitude": entry.latitude,
                "longitude": entry.longitude,
                "kind": "stadt",
                "open_to_exchange": name in OPEN_TO_EXCHANGE,
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
        StaffMembership.objects.update_or_create(user=user, defaults={"municipality": municipality})
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    for index, spec in enumerate(PLANS):
        municipality = Municipality.objects.get(name=spec["city"])
        plan, created = ParticipationPlan.objects.get_or_create(
            municipality=municipality,
            title=spec["title"],
            defaults={
                key: spec[key]
                for key in (
                    "procedure_type",
                    "stage",
                    "budget_eur",
                    "channels",
                    "target_groups",
                    "description",
                )
            }
            | {"phases": _phases(today + dt.timedelta(weeks=4 * index))},
        )
        if not created:
            continue
        plan.topics.set([topics[slug] for slug in spec["topics"]])
        request = ConsultationRequest.objects.create(
            plan=plan,
            format=["online", "onsite", "either"][index % 3],
            language="de",
            earliest=today + dt.timedelta(days=7),
            latest=today + dt.timedelta(days=49),
            duration_minutes=60 if index % 2 else 90,
            notes="Wir brauchen Unterstützung beim Start des Verfahrens.",
        )
        RequestTopic.objects.bulk_create(
            RequestTopic(request=request, topic=topics[slug], weight=3 - i)
            for i, slug in enumerate(spec["topics"][:3])
        )
    out.write(
        f"  Kommunen: {Municipality.objects.count()}, Vorhaben: "
        f"{ParticipationPlan.objects.count()}, Anfragen: "
        f"{ConsultationRequest.objects.count()}"
    )
