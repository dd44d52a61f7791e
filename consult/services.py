"""Writes of the municipal side: one function per use case, each in one transaction.

Shape (types, required fields) is checked by the serializers; the rules live here and raise
`core.errors.Invalid` with the offending fields named, before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consult.choices import (
    LANGUAGES,
    Channel,
    ConsultationFormat,
    Phase,
    ProcedureType,
    Stage,
    TargetGroup,
)
from consult.models import (
    ConsultationRequest,
    Municipality,
    ParticipationPlan,
    RequestTopic,
    Topic,
)
from core.errors import Conflict, FieldErrors, Invalid, NotFound
from core.roles import is_coordinator, municipality_id_of
from core.validators import check_text

Status = ConsultationRequest.Status

PLAN_FIELDS = (
    "title",
    "stage",
    "procedure_type",
    "budget_eur",
    "channels",
    "target_groups",
    "phases",
    "description",
)
REQUEST_FIELDS = ("format", "language", "earliest", "latest", "duration_minutes", "notes")
MIN_DURATION, MAX_DURATION = 15, 480
# How far ahead a wanted window, a plan phase or an expert's calendar may reach: advice is
# planned months ahead, not decades, and a date near 9999-12-31 leaves no room to compute the
# window's end in (a 500 on matching). Nothing of ours is dated before 2000 either.
MAX_YEARS_AHEAD = 10
EARLIEST_DATE = dt.date(2000, 1, 1)


def latest_date(today: dt.date) -> dt.date:
    """The last date a plan, a request or a calendar may name: MAX_YEARS_AHEAD years ahead."""
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


def date_problem(value: dt.date, *, today: dt.date) -> str | None:
    """Why ``value`` is no date to plan with (before 2000, too far ahead), or None."""
    if value < EARLIEST_DATE:
        return _("Frühestens %(date)s.") % {"date": EARLIEST_DATE.isoformat()}
    if value > latest_date(today):
        return _("Höchstens %(years)d Jahre im Voraus.") % {"years": MAX_YEARS_AHEAD}
    return None


# --- access -----------------------------------------------------------------------------------


def _not_found() -> NotFound:
    return NotFound(_("Nicht gefunden."))


def check_plan_access(actor: Any, plan: ParticipationPlan) -> None:
    """Coordinators may touch every plan, staff their municipality's; others get 404."""
    if is_coordinator(actor):
        return
    if municipality_id_of(actor) != plan.municipality_id:
        raise _not_found()


def check_request_access(actor: Any, request: ConsultationRequest) -> None:
    if is_coordinator(actor):
        return
    if municipality_id_of(actor) != request.plan.municipality_id:
        raise _not_found()


# --- validation of the rules ------------------------------------------------------------------


def check_choices(errors: FieldErrors, name: str, values: Any, allowed: Iterable[str]) -> None:
    if not isinstance(values, list | tuple):
        errors.add(name, _("Eine Liste erwartet."))
        return
    allowed = set(allowed)
    unknown = [str(v) for v in values if v not in allowed]
    if unknown:
        errors.add(name, _("Unbekannte Werte: %(values)s.") % {"values": ", ".join(unknown)})
    elif len(set(values)) != len(values):
        errors.add(name, _("Jeder Wert nur einmal."))


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _clean_phases(errors: FieldErrors, phases: Any, *, today: dt.date) -> list[dict[str, str]]:
    """Phases as stored: known phase names, dates from 2000 to MAX_YEARS_AHEAD years ahead,
    each end ≥ start, in date order, no phase twice."""
    if not isinstance(phases, list | tuple):
        errors.add("phases", _("Eine Liste erwartet."))
        return []
    cleaned: list[dict[str, str]] = []
    previous_start: dt.date | None = None
    seen: set[str] = set()
    for index, item in enumerate(phases):
        if not isinstance(item, Mapping):
            errors.add("phases", _("Phase %(n)d: ein Objekt erwartet.") % {"n": index + 1})
            continue
        phase = item.get("phase")
        start, end = _parse_date(item.get("start")), _parse_date(item.get("end"))
        if phase not in Phase.values:
            errors.add("phases", _("Phase %(n)d: unbekannte Phase.") % {"n": index + 1})
        elif phase in seen:
            errors.add("phases", _("Phase %(n)d: doppelt.") % {"n": index + 1})
        seen.add(str(phase))
        if start is None or end is None:
            errors.add("phases", _("Phase %(n)d: Beginn und Ende als Datum.") % {"n": index + 1})
            continue
        if problem := date_problem(start, today=today) or date_problem(end, today=today):
            errors.add(
                "phases", _("Phase %(n)d: %(problem)s") % {"n": index + 1, "problem": problem}
            )
        if end < start:
            errors.add(
                "phases", _("Phase %(n)d: das Ende liegt vor dem Beginn.") % {"n": index + 1}
            )
        if previous_start is not None and start < previous_start:
            errors.add(
                "phases",
                _("Phase %(n)d: die Phasen sind nicht nach Datum geordnet.") % {"n": index + 1},
            )
        previous_start = start
        cleaned.append({"phase": str(phase), "start": start.isoformat(), "end": end.isoformat()})
    return cleaned


def _topics_by_slug(errors: FieldErrors, name: str, slugs: Iterable[str]) -> dict[str, Topic]:
    slugs = list(slugs)
    found = {t.slug: t for t in Topic.objects.filter(slug__in=slugs)}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        errors.add(
            name, _("Unbekannte Themen: %(slugs)s.") % {"slugs": ", ".join(map(str, unknown))}
        )
    return found


def _validate_plan_fields(errors: FieldErrors, fields: dict[str, Any]) -> None:
    if "stage" in fields and fields["stage"] not in Stage.values:
        errors.add("stage", _("Unbekannter Stand."))
    if "procedure_type" in fields and fields["procedure_type"] not in ProcedureType.values:
        errors.add("procedure_type", _("Unbekannte Verfahrensart."))
    if fields.get("budget_eur") is not None:
        try:
            budget = Decimal(str(fields["budget_eur"]))
        except ArithmeticError:
            errors.add("budget_eur", _("Eine Zahl erwartet."))
        else:
            if not budget.is_finite() or budget < 0:
                errors.add("budget_eur", _("Das Budget darf nicht negativ sein."))
            elif budget >= Decimal("1e12"):
                errors.add("budget_eur", _("Das Budget ist zu groß."))
            else:
                fields["budget_eur"] = budget
    if "channels" in fields:
        check_choices(errors, "channels", fields["channels"], Channel.values)
    if "target_groups" in fields:
        check_choices(errors, "target_groups", fields["target_groups"], TargetGroup.values)
    if "phases" in fields:
        fields["phases"] = _clean_phases(errors, fields["phases"], today=timezone.localdate())
    if "title" in fields and len(fields["title"] or "") > 200:
        errors.add("title", _("Höchstens 200 Zeichen."))
    check_text(errors, fields, single_line=["title"], multi_line=["description"])


# --- plans ------------------------------------------------------------------------------------


@transaction.atomic
def create_plan(
    *,
    actor: Any,
    municipality_id: int | None = None,
    procedure_type: str,
    topics: Sequence[str] = (),
    **fields: Any,
) -> ParticipationPlan:
    """A new plan of the actor's municipality (coordinators name the municipality)."""
    errors = FieldErrors()
    own = municipality_id_of(actor)
    if is_coordinator(actor):
        municipality_id = municipality_id or own
        if municipality_id is None or not Municipality.objects.filter(pk=municipality_id).exists():
            errors.add("municipality", _("Unbekannte Kommune."))
    elif own is None or (municipality_id is not None and municipality_id != own):
        # Another municipality's id is as unknown to this user as one that does not exist.
        errors.add("municipality", _("Unbekannte Kommune."))
    else:
        municipality_id = own
    if (
        not errors.fields
        and not Municipality.objects.only("kind").get(pk=municipality_id).is_municipal
    ):
        # Plans, requests and bookings are the municipalities' (DESIGN.md 4); the other kinds
        # of member have the network without them.
        errors.add("municipality", _("Vorhaben beschreiben nur Kommunen."))
    unknown_fields = set(fields) - set(PLAN_FIELDS)
    if unknown_fields:
        raise TypeError(f"unknown plan fields: {sorted(unknown_fields)}")
    fields["procedure_type"] = procedure_type
    _validate_plan_fields(errors, fields)
    found = _topics_by_slug(errors, "topics", topics)
    errors.raise_if_any()
    plan = ParticipationPlan.objects.create(municipality_id=municipality_id, **fields)
    plan.topics.set(list(found.values()))
    return plan


@transaction.atomic
def update_plan(
    *, actor: Any, plan: ParticipationPlan, topics: Sequence[str] | None = None, **fields: Any
) -> ParticipationPlan:
    """Change the given fields (and the topics if given); the municipality never changes."""
    check_plan_access(actor, plan)
    unknown_fields = set(fields) - set(PLAN_FIELDS)
    if unknown_fields:
        raise TypeError(f"unknown plan fields: {sorted(unknown_fields)}")
    errors = FieldErrors()
    _validate_plan_fields(errors, fields)
    found = _topics_by_slug(errors, "topics", topics) if topics is not None else None
    errors.raise_if_any()
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.save()
    if found is not None:
        plan.topics.set(list(found.values()))
    return plan


@transaction.atomic
def delete_plan(*, actor: Any, plan: ParticipationPlan) -> None:
    """Only a plan without requests beyond "open" may go: booked advice keeps its context."""
    check_plan_access(actor, plan)
    if plan.requests.exclude(status=Status.OPEN).exists():
        raise Conflict(
            _("Zu diesem Vorhaben gibt es schon Vorschläge oder Termine."), code="plan_in_use"
        )
    plan.delete()


# --- requests ---------------------------------------------------------------------------------


def topic_values(
    errors: FieldErrors, topics: Any, *, key: str, label: str
) -> list[tuple[Topic, int]]:
    """[{"topic": slug, key: 1..3}, ...] → (Topic, value), each topic once; shared by request
    weights (key "weight") and expert levels (key "level")."""
    if not isinstance(topics, list | tuple):
        errors.add("topics", _("Eine Liste erwartet."))
        return []
    wanted: dict[str, int] = {}
    for index, item in enumerate(topics):
        slug = item.get("topic") if isinstance(item, Mapping) else None
        value = item.get(key, 2) if isinstance(item, Mapping) else None
        if not isinstance(slug, str):
            errors.add("topics", _("Eintrag %(n)d: „topic“ fehlt.") % {"n": index + 1})
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3:
            errors.add("topics", _("%(slug)s: %(label)s 1 bis 3.") % {"slug": slug, "label": label})
            continue
        if slug in wanted:
            errors.add("topics", _("%(slug)s: doppelt.") % {"slug": slug})
        wanted[slug] = value
    found = _topics_by_slug(errors, "topics", wanted)
    return [(found[s], v) for s, v in wanted.items() if s in found]


def _clean_topic_weights(errors: FieldErrors, topics: Any) -> list[tuple[Topic, int]]:
    if isinstance(topics, list | tuple) and not topics:
        errors.add("topics", _("Mindestens ein Thema."))
        return []
    return topic_values(errors, topics, key="weight", label=_("Gewicht"))


def _validate_request_fields(
    errors: FieldErrors, fields: dict[str, Any], *, today: dt.date, creating: bool
) -> None:
    if "format" in fields and fields["format"] not in ConsultationFormat.values:
        errors.add("format", _("Unbekanntes Format."))
    if "language" in fields and fields["language"] not in LANGUAGES:
        errors.add("language", _("Unbekannte Sprache."))
    if "duration_minutes" in fields:
        duration = fields["duration_minutes"]
        if (
            isinstance(duration, bool)
            or not isinstance(duration, int)
            or not MIN_DURATION <= duration <= MAX_DURATION
        ):
            errors.add(
                "duration_minutes",
                _("%(min)d bis %(max)d Minuten.") % {"min": MIN_DURATION, "max": MAX_DURATION},
            )
    earliest, latest = fields.get("earliest"), fields.get("latest")
    if earliest is not None and latest is not None and latest < earliest:
        errors.add("latest", _("„spätestens“ liegt vor „frühestens“."))
    if creating and earliest is not None and earliest < today:
        errors.add("earliest", _("„frühestens“ liegt in der Vergangenheit."))
    check_text(errors, fields, multi_line=["notes"])


def _check_not_too_far_ahead(
    errors: FieldErrors, fields: Mapping[str, Any], today: dt.date
) -> None:
    """Only the dates given are checked: an update of other fields keeps the stored window."""
    for name in ("earliest", "latest"):
        value = fields.get(name)
        if value is not None and (problem := date_problem(value, today=today)):
            errors.add(name, problem)


@transaction.atomic
def create_request(
    *,
    actor: Any,
    plan: ParticipationPlan,
    topics: Sequence[Mapping[str, Any]],
    earliest: dt.date,
    latest: dt.date,
    format: str = ConsultationFormat.EITHER,
    language: str = "de",
    duration_minutes: int = 60,
    notes: str = "",
    today: dt.date | None = None,
) -> ConsultationRequest:
    """A request for advice on `plan`, by staff of the plan's municipality only (DESIGN.md 4)."""
    if municipality_id_of(actor) != plan.municipality_id:
        raise Invalid(_("Unbekanntes Vorhaben."), fields={"plan": [_("Unbekanntes Vorhaben.")]})
    today = today or timezone.localdate()
    errors = FieldErrors()
    fields = {
        "format": format,
        "language": language,
        "earliest": earliest,
        "latest": latest,
        "duration_minutes": duration_minutes,
        "notes": notes,
    }
    _validate_request_fields(errors, fields, today=today, creating=True)
    _check_not_too_far_ahead(errors, fields, today)
    weights = _clean_topic_weights(errors, topics)
    errors.raise_if_any()
    request = ConsultationRequest.objects.create(plan=plan, created_by=actor, **fields)
    RequestTopic.objects.bulk_create(
        RequestTopic(request=request, topic=topic, weight=weight) for topic, weight in weights
    )
    return request


@transaction.atomic
def update_request(
    *,
    actor: Any,
    request: ConsultationRequest,
    topics: Sequence[Mapping[str, Any]] | None = None,
    today: dt.date | None = None,
    **fields: Any,
) -> ConsultationRequest:
    """Change an open or matched request (booked and closed ones are settled)."""
    check_request_access(actor, request)
    unknown_fields = set(fields) - set(REQUEST_FIELDS)
    if unknown_fields:
        raise TypeError(f"unknown request fields: {sorted(unknown_fields)}")
    if request.status not in (Status.OPEN, Status.MATCHED):
        raise Conflict(
            _("Die Anfrage ist schon gebucht oder abgeschlossen."), code="request_settled"
        )
    today = today or timezone.localdate()
    errors = FieldErrors()
    merged = {"earliest": request.earliest, "latest": request.latest, **fields}
    _validate_request_fields(errors, merged, today=today, creating=False)
    _check_not_too_far_ahead(errors, fields, today)
    if (
        "earliest" in fields
        and fields["earliest"] != request.earliest
        and fields["earliest"] < today
    ):
        errors.add("earliest", _("„frühestens“ liegt in der Vergangenheit."))
    weights = _clean_topic_weights(errors, topics) if topics is not None else None
    errors.raise_if_any()
    for name, value in fields.items():
        setattr(request, name, value)
    request.save()
    if weights is not None:
        RequestTopic.objects.filter(request=request).delete()
        RequestTopic.objects.bulk_create(
            RequestTopic(request=request, topic=topic, weight=weight) for topic, weight in weights
        )
    return request


@transaction.atomic
def close_request(*, actor: Any, request: ConsultationRequest) -> ConsultationRequest:
    """Close a request (no more advice wanted); closing twice is a no-op."""
    check_request_access(actor, request)
    ConsultationRequest.objects.filter(pk=request.pk).exclude(status=Status.CLOSED).update(
        status=Status.CLOSED
    )
    request.refresh_from_db(fields=["status"])
    return request


def mark_matched(*, request_id: int) -> bool:
    """open → matched once suggestions were shown (compare-and-swap; other states stay)."""
    return bool(
        ConsultationRequest.objects.filter(pk=request_id, status=Status.OPEN).update(
            status=Status.MATCHED
        )
    )
