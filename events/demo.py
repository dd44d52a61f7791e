"""Demo seminars, workshops and webinars (idempotent, keyed by German title): five upcoming
events, one a workshop series of three sessions, one nearly full with a waiting list."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from consult.models import Municipality
from events.models import Event, EventSession, Registration

BERLIN = ZoneInfo("Europe/Berlin")

# (kind, title de, title en, description, place, address, online link, capacity,
#  [(days from today, start hour, hours)], organiser usernames)
EVENTS: list[tuple[Any, ...]] = [
    (
        "seminar",
        "Bürgerhaushalt einführen: vom Ratsbeschluss zur ersten Abstimmung",
        "Introducing a participatory budget: from council decision to the first vote",
        "Praxisseminar für Kommunen, die einen Bürgerhaushalt planen: Verfahrensdesign, "
        "Ratsbeschluss, Zeitplan, Budget und die typischen Stolpersteine im ersten Jahr.",
        "Neues Rathaus Leipzig, Raum 259",
        "Martin-Luther-Ring 4–6, 04109 Leipzig",
        "",
        25,
        [(21, 10, 6)],
        ["coordinator", "expert-1"],
    ),
    (
        "workshop",
        "Werkstattreihe Jugendbudget: Beteiligung, die Jugendliche erreicht",
        "Workshop series youth budget: participation that reaches young people",
        "Drei aufeinander aufbauende Online-Werkstätten: Zielgruppen und Ansprache, "
        "Schulkooperationen, Abstimmung und Umsetzung mit Jugendlichen.",
        "",
        "",
        "https://meet.jit.si/buergerhaushalt-werkstatt-jugendbudget",
        15,
        [(28, 14, 3), (35, 14, 3), (42, 14, 3)],
        ["expert-2"],
    ),
    (
        "webinar",
        "Online-Beteiligung: Plattformen für Bürgerhaushalte im Vergleich",
        "Online participation: platforms for participatory budgets compared",
        "Überblick über Open-Source- und kommerzielle Beteiligungsplattformen, Datenschutz, "
        "Barrierefreiheit und Kosten; mit Erfahrungsberichten aus zwei Kommunen.",
        "",
        "",
        "https://meet.jit.si/buergerhaushalt-webinar-plattformen",
        100,
        [(10, 16, 1.5)],
        ["coordinator"],
    ),
    (
        "seminar",
        "Haushaltsrecht und Bürgerbudget: was Kämmereien wissen müssen",
        "Budget law and citizens' budgets: what treasurers need to know",
        "Haushaltsrechtliche Grundlagen, Deckungsvorschläge, Bindungswirkung von Abstimmungen "
        "und die Rolle der Kommunalaufsicht. Für Kämmereien und Verwaltungsspitzen.",
        "Rathaus Kassel, Bürgersaal",
        "Obere Königsstraße 8, 34117 Kassel",
        "",
        12,
        [(17, 9, 7)],
        ["expert-3"],
    ),
    (
        "workshop",
        "Rechenschaft und Evaluation: Ergebnisse sichtbar machen",
        "Accountability and evaluation: making results visible",
        "Wie Kommunen über umgesetzte Vorschläge berichten, Wirkung messen und das Verfahren "
        "mit Bürgerinnen und Bürgern weiterentwickeln.",
        "Potsdam, Haus der Generationen",
        "Friedrich-Ebert-Straße 79/81, 14469 Potsdam",
        "",
        20,
        [(49, 10, 5)],
        ["coordinator"],
    ),
]
NEARLY_FULL = "Haushaltsrecht und Bürgerbudget: was Kämmereien wissen müssen"
NAMES = ["Anna Köhler", "Jörg Lehmann", "Ayşe Demir", "Lukas Brandt", "Sophie Wagner",
         "Mehmet Yıldız", "Ole Jansen", "Katrin Vogel", "Paul Hartmann", "Lea Schubert",
         "Jan Krüger", "Marta Nowak"]  # fmt: skip


def _at(today: datetime, days: int, hour: int) -> datetime:
    return datetime.combine(today.date() + timedelta(days=days), time(hour), BERLIN)


@transaction.atomic
def seed(*, options: dict[str, Any], out: Any) -> None:
    today = timezone.localtime()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=_usernames())}
    created = 0
    for kind, title, title_en, text, place, address, link, capacity, spans, organisers in EVENTS:
        if Event.objects.filter(title_de=title).exists():
            continue
        sessions = [
            (_at(today, days, hour), _at(today, days, hour) + timedelta(hours=hours))
            for days, hour, hours in spans
        ]
        event = Event.objects.create(
            kind=kind,
            title_de=title,
            title_en=title_en,
            description_de=text,
            target_audience="Verwaltung, Politik und Zivilgesellschaft der Mitgliedskommunen",
            place=place,
            address=address,
            online_url=link,
            capacity=capacity,
            registration_opens=timezone.now() - timedelta(days=7),
            registration_closes=sessions[0][0] - timedelta(days=2),
            status=Event.Status.PUBLISHED,
        )
        EventSession.objects.bulk_create(
            [EventSession(event=event, start=start, end=end) for start, end in sessions]
        )
        event.organisers.set([users[name] for name in organisers if name in users])
        if title == NEARLY_FULL:
            _fill(event, confirmed=capacity - 1, waiting=0)
        created += 1
    out.write(f"  Veranstaltungen: {Event.objects.count()} ({created} neu)")


def _usernames() -> set[str]:
    return {name for *_rest, organisers in EVENTS for name in organisers}


def _fill(event: Event, *, confirmed: int, waiting: int) -> None:
    """Confirmed demo participants (written directly: demo data, no e-mails go out)."""
    now = timezone.now()
    municipalities = list(Municipality.objects.order_by("name")[:confirmed])
    Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=NAMES[i % len(NAMES)],
                email=f"teilnehmer-{i + 1}@demo.example",
                municipality=municipalities[i] if i < len(municipalities) else None,
                status=Registration.Status.CONFIRMED,
                holds_seat=True,
                consent_at=now,
                confirmed_at=now,
            )
            for i in range(confirmed)
        ]
    )
