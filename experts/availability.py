"""Services for an expert's availability: replace the weekly rules, add and remove exceptions.

Who may: the expert themself and coordinators; for anyone else the expert's availability does
not exist (404, invariant 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consult.services import date_problem
from core.errors import Invalid, NotFound
from core.roles import is_coordinator
from core.validators import MESSAGE as CONTROL_CHARACTERS
from core.validators import has_control_characters
from experts.models import AvailabilityException, AvailabilityRule, ExpertProfile

MAX_RULES = 70  # ten windows a day is already more than anyone keeps


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One weekly window as given by the caller (wall-clock times in the expert's zone)."""

    weekday: int
    start: time
    end: time
    valid_from: date | None = None
    valid_until: date | None = None


def can_manage_availability(user: Any, expert: ExpertProfile) -> bool:
    if is_coordinator(user):
        return True
    return bool(getattr(user, "is_authenticated", False)) and expert.user_id == user.pk


def check_manage_availability(user: Any, expert: ExpertProfile) -> None:
    if not can_manage_availability(user, expert):
        raise NotFound(_("Nicht gefunden."))


def _time_problem(value: time | None) -> str | None:
    """Wall-clock times are whole minutes: "08:00:30" would read back as 08:00 while slots
    started at 08:00:30."""
    if value is not None and (value.second or value.microsecond):
        return _("Nur Stunden und Minuten, z. B. 09:00.")
    return None


def _validate_rules(rules: Sequence[RuleSpec]) -> None:
    if len(rules) > MAX_RULES:
        raise Invalid(
            _("Höchstens %(n)d Zeitfenster.") % {"n": MAX_RULES},
            fields={"rules": [_("Zu viele Zeitfenster.")]},
        )
    errors: dict[str, Any] = {}
    today = timezone.localdate()
    for index, rule in enumerate(rules):
        problems = []
        if not 0 <= rule.weekday <= 6:
            problems.append(_("Wochentag 0 (Montag) bis 6 (Sonntag)."))
        if rule.end <= rule.start:
            problems.append(_("Das Ende muss nach dem Beginn liegen."))
        problems += [p for p in (_time_problem(rule.start), _time_problem(rule.end)) if p][:1]
        for day in (rule.valid_from, rule.valid_until):
            if day is not None and (problem := date_problem(day, today=today)):
                problems.append(problem)
        if rule.valid_from and rule.valid_until and rule.valid_until < rule.valid_from:
            problems.append(_("„gültig bis“ liegt vor „gültig ab“."))
        if problems:
            errors[str(index)] = problems
    if errors:
        raise Invalid(_("Ungültige Zeitfenster."), fields={"rules": errors})


@transaction.atomic
def replace_rules(
    *, actor: Any, expert: ExpertProfile, rules: Sequence[RuleSpec]
) -> list[AvailabilityRule]:
    """Replace all weekly rules of ``expert`` by ``rules`` (existing bookings stay as they are)."""
    check_manage_availability(actor, expert)
    _validate_rules(rules)
    AvailabilityRule.objects.filter(expert=expert).delete()
    return AvailabilityRule.objects.bulk_create(
        AvailabilityRule(
            expert=expert,
            weekday=rule.weekday,
            start_time=rule.start,
            end_time=rule.end,
            valid_from=rule.valid_from,
            valid_until=rule.valid_until,
        )
        for rule in rules
    )


@dataclass(frozen=True, slots=True)
class ExceptionSpec:
    """One exception as given by the caller: no times means the whole day."""

    day: date
    start: time | None = None
    end: time | None = None
    kind: str = AvailabilityException.Kind.BLOCK
    note: str = ""


def _exception_problems(spec: ExceptionSpec) -> dict[str, str]:
    """What is wrong with ``spec``, by field: empty if nothing."""
    if spec.kind not in AvailabilityException.Kind.values:
        return {"kind": _("„block“ oder „add“.")}
    if problem := date_problem(spec.day, today=timezone.localdate()):
        return {"date": problem}
    for name, value in (("start", spec.start), ("end", spec.end)):
        if problem := _time_problem(value):
            return {name: problem}
    if (spec.start is None) != (spec.end is None):
        return {"end" if spec.end is None else "start": _("Beginn und Ende gehören zusammen.")}
    if spec.start is not None and spec.end is not None and spec.end <= spec.start:
        return {"end": _("Das Ende muss nach dem Beginn liegen.")}
    if has_control_characters(spec.note):
        return {"note": str(CONTROL_CHARACTERS)}
    return {}


@transaction.atomic
def replace_exceptions(
    *,
    actor: Any,
    expert: ExpertProfile,
    exceptions: Sequence[ExceptionSpec],
    from_day: date,
) -> list[AvailabilityException]:
    """Replace the exceptions of ``expert`` on ``from_day`` and later by ``exceptions`` (the
    ones the availability read shows); older ones are history and stay."""
    check_manage_availability(actor, expert)
    errors = {
        str(index): {name: [message] for name, message in problems.items()}
        for index, spec in enumerate(exceptions)
        if (problems := _exception_problems(spec))
    }
    if errors:
        raise Invalid(_("Ungültige Ausnahmen."), fields={"exceptions": errors})
    AvailabilityException.objects.filter(expert=expert, date__gte=from_day).delete()
    return AvailabilityException.objects.bulk_create(
        AvailabilityException(
            expert=expert,
            date=spec.day,
            start_time=spec.start,
            end_time=spec.end,
            kind=spec.kind,
            note=spec.note[:200],
        )
        for spec in exceptions
    )


@transaction.atomic
def replace_availability(
    *,
    actor: Any,
    expert: ExpertProfile,
    rules: Sequence[RuleSpec] | None = None,
    exceptions: Sequence[ExceptionSpec] | None = None,
    exceptions_from: date,
) -> None:
    """Replace the weekly rules and/or the exceptions from ``exceptions_from`` on, together:
    what is ``None`` stays as it is; if either is invalid, neither changes."""
    if rules is not None:
        replace_rules(actor=actor, expert=expert, rules=rules)
    if exceptions is not None:
        replace_exceptions(
            actor=actor, expert=expert, exceptions=exceptions, from_day=exceptions_from
        )


@transaction.atomic
def add_exception(
    *,
    actor: Any,
    expert: ExpertProfile,
    day: date,
    start: time | None = None,
    end: time | None = None,
    kind: str = AvailabilityException.Kind.BLOCK,
    note: str = "",
) -> AvailabilityException:
    """Block (holiday, appointment) or add time on one date; no times means the whole day."""
    check_manage_availability(actor, expert)
    problems = _exception_problems(
        ExceptionSpec(day=day, start=start, end=end, kind=kind, note=note)
    )
    if problems:
        name, message = next(iter(problems.items()))
        raise Invalid(message, fields={name: [message]})
    return AvailabilityException.objects.create(
        expert=expert, date=day, start_time=start, end_time=end, kind=kind, note=note[:200]
    )


@transaction.atomic
def delete_exception(*, actor: Any, expert: ExpertProfile, exception_id: int) -> None:
    check_manage_availability(actor, expert)
    deleted, _count = AvailabilityException.objects.filter(pk=exception_id, expert=expert).delete()
    if not deleted:
        raise NotFound(_("Ausnahme nicht gefunden."))
