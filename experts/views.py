"""Pages of the experts app: the expert's profile and availability.

Thin like the API: one selector or service call per page or form; domain errors go onto the form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consult.forms import add_domain_error
from core.errors import DomainError, NotFound
from core.pages import expert_required
from experts import availability, services
from experts.forms import ExceptionForm, ProfileForm, RuleForm
from experts.models import AvailabilityRule, ExpertProfile

# --- the expert's own pages --------------------------------------------------------------------


def _own_profile(request: HttpRequest) -> ExpertProfile:
    return request.user.expert_profile  # type: ignore[union-attr]


@expert_required
def profile(request: HttpRequest) -> HttpResponse:
    expert = _own_profile(request)
    form = ProfileForm(request.POST or None, instance=expert)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(actor=request.user, expert=expert, **form.profile_fields())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Ihr Profil ist gespeichert."))
            return redirect("expert-profile")
    return render(
        request, "experts/profile.html", {"form": form}, status=400 if form.errors else 200
    )


def _week_start(request: HttpRequest) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("woche", ""))
    except ValueError:
        day = timezone.localdate()
    return day - dt.timedelta(days=day.weekday())


def _week(expert: ExpertProfile, monday: dt.date) -> list[dict[str, Any]]:
    """The seven days from ``monday``: weekly windows in force and that day's exceptions."""
    rules = list(expert.rules.all())
    exceptions = list(
        expert.exceptions.filter(date__gte=monday, date__lt=monday + dt.timedelta(days=7))
    )
    days = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        days.append(
            {
                "date": day,
                "rules": [
                    r
                    for r in rules
                    if r.weekday == day.weekday()
                    and (r.valid_from is None or r.valid_from <= day)
                    and (r.valid_until is None or day <= r.valid_until)
                ],
                "exceptions": [e for e in exceptions if e.date == day],
            }
        )
    return days


def _specs(rules: list[AvailabilityRule]) -> list[availability.RuleSpec]:
    return [
        availability.RuleSpec(r.weekday, r.start_time, r.end_time, r.valid_from, r.valid_until)
        for r in rules
    ]


@expert_required
def availability_page(request: HttpRequest) -> HttpResponse:
    """The week view: weekly windows (added, removed) and exceptions for single dates."""
    expert = _own_profile(request)
    rule_form = RuleForm(request.POST if "add_rule" in request.POST else None, prefix="rule")
    exception_form = ExceptionForm(
        request.POST if "add_exception" in request.POST else None, prefix="exception"
    )
    if request.method == "POST":
        try:
            if "add_rule" in request.POST and rule_form.is_valid():
                data = rule_form.cleaned_data
                availability.replace_rules(
                    actor=request.user,
                    expert=expert,
                    rules=[
                        *_specs(list(expert.rules.all())),
                        availability.RuleSpec(data["weekday"], data["start"], data["end"]),
                    ],
                )
                messages.success(request, _("Das Zeitfenster ist hinzugefügt."))
                return redirect(request.get_full_path())
            if "add_exception" in request.POST and exception_form.is_valid():
                data = exception_form.cleaned_data
                availability.add_exception(
                    actor=request.user,
                    expert=expert,
                    day=data["day"],
                    start=data["start"],
                    end=data["end"],
                    kind=data["kind"],
                    note=data["note"],
                )
                messages.success(request, _("Die Ausnahme ist eingetragen."))
                return redirect(request.get_full_path())
        except DomainError as error:
            add_domain_error(rule_form if "add_rule" in request.POST else exception_form, error)
    monday = _week_start(request)
    return render(
        request,
        "experts/availability.html",
        {
            "expert": expert,
            "days": _week(expert, monday),
            "monday": monday,
            "previous_week": monday - dt.timedelta(days=7),
            "next_week": monday + dt.timedelta(days=7),
            "rules": expert.rules.all(),
            "exceptions": expert.exceptions.filter(date__gte=timezone.localdate()),
            "rule_form": rule_form,
            "exception_form": exception_form,
        },
        status=400 if rule_form.errors or exception_form.errors else 200,
    )


@expert_required
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    expert = _own_profile(request)
    rules = list(expert.rules.all())
    if not any(r.pk == rule_id for r in rules):
        raise Http404
    availability.replace_rules(
        actor=request.user, expert=expert, rules=_specs([r for r in rules if r.pk != rule_id])
    )
    messages.success(request, _("Das Zeitfenster ist entfernt."))
    return redirect("expert-availability")


@expert_required
@require_POST
def exception_delete(request: HttpRequest, exception_id: int) -> HttpResponse:
    try:
        availability.delete_exception(
            actor=request.user, expert=_own_profile(request), exception_id=exception_id
        )
    except NotFound as error:
        raise Http404 from error
    messages.success(request, _("Die Ausnahme ist entfernt."))
    return redirect("expert-availability")
