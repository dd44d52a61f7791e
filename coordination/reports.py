"""The network's figures for /koordination/berichte/: each report is a list of (label, value)
rows computed by the database in one or two queries, drawn as a bar chart and offered as CSV."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, F, FloatField, Q
from django.db.models.functions import Cast, Greatest, TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bookings.models import ConsultationBooking
from consult.choices import FederalState
from coordination.consultations import month_range
from events.models import Event, Registration
from events.selectors import with_counts
from experts.models import ExpertProfile

HELD = (ConsultationBooking.Status.CONFIRMED, ConsultationBooking.Status.COMPLETED)
MONTHS = 12


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    note: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    slug: str
    title: str
    unit: str
    bars: list[Bar]
    note: str = ""

    @property
    def peak(self) -> float:
        return max((bar.value for bar in self.bars), default=0) or 1


def _since(now: datetime) -> datetime:
    return (now - timedelta(days=31 * MONTHS)).replace(day=1, hour=0, minute=0, second=0)


def _bookings(now: datetime):  # type: ignore[no-untyped-def]
    return ConsultationBooking.objects.filter(status__in=HELD, start__gte=_since(now))


def per_month(now: datetime) -> Report:
    rows = (
        _bookings(now)
        .annotate(month=TruncMonth("start"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    bars = [Bar(r["month"].strftime("%m/%Y"), r["n"]) for r in rows]
    return Report("monat", _("Beratungen pro Monat"), _("Beratungen"), bars)


def per_state(now: datetime) -> Report:
    rows = (
        _bookings(now)
        .values(state=F("request__plan__municipality__state"))
        .annotate(n=Count("id"))
        .order_by("-n", "state")
    )
    names = dict(FederalState.choices)
    bars = [Bar(str(names.get(r["state"], r["state"] or _("ohne Land"))), r["n"]) for r in rows]
    return Report("land", _("Beratungen pro Land"), _("Beratungen"), bars)


def per_topic(now: datetime) -> Report:
    english = translation.get_language() == "en"
    rows = (
        _bookings(now)
        .values(
            topic_de=F("request__topic_weights__topic__name_de"),
            topic_en=F("request__topic_weights__topic__name_en"),
        )
        .annotate(n=Count("id"))
        .order_by("-n", "topic_de")
    )
    bars = [
        Bar((r["topic_en"] if english else "") or r["topic_de"] or _("ohne Thema"), r["n"])
        for r in rows
    ]
    return Report("thema", _("Beratungen pro Thema"), _("Beratungen"), bars)


_WAIT_BUCKETS = ((2, "0–2"), (7, "3–7"), (14, "8–14"), (30, "15–30"), (None, "> 30"))


def time_to_booking(now: datetime) -> Report:
    """Days from a request to its booking (bookings held or done; a booking is made when the
    municipality picks a slot, so this is the time until a date was fixed)."""
    spans = [
        (booked - asked).total_seconds() / 86400
        for booked, asked in _bookings(now).values_list("created_at", "request__created_at")
    ]
    counts = dict.fromkeys((label for _limit, label in _WAIT_BUCKETS), 0)
    for days in spans:
        for limit, label in _WAIT_BUCKETS:
            if limit is None or days <= limit:
                counts[label] += 1
                break
    note = (
        _("Median %(m).1f Tage, Mittel %(a).1f Tage")
        % {"m": statistics.median(spans), "a": statistics.fmean(spans)}
        if spans
        else ""
    )
    bars = [Bar(_("%(range)s Tage") % {"range": label}, n) for label, n in counts.items()]
    return Report(
        "wartezeit", _("Zeit von der Anfrage bis zur Buchung"), _("Buchungen"), bars, note
    )


def event_rates(now: datetime) -> Report:
    """Per event of the last year: seats filled (%), waiting list, attendance of the confirmed."""
    events = with_counts(
        Event.objects.filter(status=Event.Status.PUBLISHED, registration_closes__gte=_since(now)),
        now=now,
    ).annotate(
        confirmed=Count(
            "registrations", filter=Q(registrations__status=Registration.Status.CONFIRMED)
        ),
        came=Count("registrations", filter=Q(registrations__attended=True)),
    )
    bars = []
    for event in events[:40]:
        fill = round(100 * min(event.seats_taken, event.capacity) / event.capacity)
        attendance = round(100 * event.came / event.confirmed) if event.confirmed else 0
        bars.append(
            Bar(
                event.title_de,
                fill,
                _("Warteliste %(w)d, Anwesenheit %(a)d %%")
                % {"w": event.line_length, "a": attendance},
            )
        )
    return Report("veranstaltungen", _("Auslastung der Veranstaltungen"), "%", bars)


def feedback(now: datetime) -> Report:
    rows = (
        ConsultationBooking.objects.filter(rating__isnull=False, start__gte=_since(now))
        .annotate(month=TruncMonth("start"))
        .values("month")
        .annotate(avg=Avg("rating"), n=Count("id"))
        .order_by("month")
    )
    bars = [
        Bar(
            r["month"].strftime("%m/%Y"),
            round(float(r["avg"]), 2),
            _("%(n)d Bewertungen") % {"n": r["n"]},
        )
        for r in rows
    ]
    return Report("feedback", _("Durchschnittliche Bewertung pro Monat (1–5)"), _("Sterne"), bars)


def _months(now: datetime) -> tuple[datetime, datetime, datetime]:
    """The first instants (Berlin) of this month, the next and the one after."""
    local = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE))
    first, second = month_range(f"{local.year:04d}-{local.month:02d}")
    return first, second, month_range(f"{second.year:04d}-{second.month:02d}")[1]


def expert_load(now: datetime) -> Report:
    """Per active expert: consultations this month and next in the states that use capacity,
    against the monthly capacity; the bar is this month's share. One query; the 40 fullest."""
    first, second, third = _months(now)
    uses = Q(bookings__status__in=ConsultationBooking.USES_CAPACITY)
    rows = (
        ExpertProfile.objects.filter(active=True)
        .annotate(
            this=Count(
                "bookings", filter=uses & Q(bookings__start__gte=first, bookings__start__lt=second)
            ),
            next=Count(
                "bookings", filter=uses & Q(bookings__start__gte=second, bookings__start__lt=third)
            ),
        )
        .annotate(load=Cast(F("this") * 100, FloatField()) / Greatest(F("monthly_capacity"), 1))
        .order_by("-load", "-next", "display_name", "id")
        .values("display_name", "monthly_capacity", "this", "next", "load")[:40]
    )
    months = (first.strftime("%m/%Y"), second.strftime("%m/%Y"))
    bars = [
        Bar(
            r["display_name"],
            round(r["load"]),  # capacity 0 counts as 1: any booking then shows as over
            _("%(m1)s: %(a)d von %(c)d, %(m2)s: %(b)d von %(c)d")
            % {
                "m1": months[0],
                "a": r["this"],
                "m2": months[1],
                "b": r["next"],
                "c": r["monthly_capacity"],
            },
        )
        for r in rows
    ]
    return Report(
        "auslastung",
        _("Auslastung der Expert*innen (Anteil der Monatskapazität, dieser und nächster Monat)"),
        _("Prozent der Kapazität"),
        bars,
    )


REPORTS: dict[str, Callable[[datetime], Report]] = {
    "monat": per_month,
    "land": per_state,
    "thema": per_topic,
    "wartezeit": time_to_booking,
    "veranstaltungen": event_rates,
    "feedback": feedback,
    "auslastung": expert_load,
}
