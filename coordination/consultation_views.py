"""The consultations pages under /koordination/beratungen/: the filtered list with its CSV, a
request's page (bookings with their history, the matcher's ranking and why, who was left out)
and the reassignment form. Reads in coordination/consultations.py, the write in
bookings/reassign.py; the ranking is the matcher's own (bookings/matches.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bookings import matches as booking_matches
from bookings import reassign, selectors
from bookings.models import ConsultationBooking
from bookings.views import CRITERIA_LABELS
from consult.forms import add_domain_error
from consult.models import ConsultationRequest
from coordination import audit, consultations
from coordination.gate import backoffice
from core.errors import DomainError, NotFound
from experts.match_selectors import request_window
from experts.models import ExpertProfile

PAGE_SIZE = 25
MAX_SLOTS_SHOWN = 40


@backoffice
def consultation_list(request: HttpRequest) -> HttpResponse:
    form = consultations.ConsultationFilter(request.GET or None)
    criteria = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = Paginator(consultations.requests(criteria), PAGE_SIZE).get_page(request.GET.get("seite"))
    query = request.GET.copy()
    query.pop("seite", None)
    return render(
        request,
        "coordination/backoffice/consultations.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@backoffice
def consultation_csv(request: HttpRequest) -> HttpResponse:
    form = consultations.ConsultationFilter(request.GET or None)
    criteria = form.cleaned_data if form.is_bound and form.is_valid() else {}
    response = HttpResponse(
        consultations.as_csv(consultations.requests(criteria)), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="beratungen.csv"'
    return response


class ReassignForm(forms.Form):
    expert = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    start = forms.DateTimeField(
        label=gettext_lazy("Termin"),
        error_messages={"required": gettext_lazy("Bitte einen freien Termin wählen.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Anmerkung zur neuen Zuordnung (geht an beide Seiten)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _ranking(target: ConsultationRequest) -> tuple[list[dict[str, Any]], str]:
    """The matcher's top experts for the request, each with its reasons, and who was left out."""
    now = timezone.now()
    english = translation.get_language() == "en"
    ranked = booking_matches.matches_for(target, now=now)
    left_out = booking_matches.left_out(target, now=now)
    rows = [
        {
            "match": m,
            "explanation": m.explanation_en if english else m.explanation_de,
            "criteria": [
                (CRITERIA_LABELS.get(name, name), round(value * 100))
                for name, value in sorted(m.criteria.items(), key=lambda kv: -kv[1])
                if value > 0
            ],
        }
        for m in ranked
    ]
    return rows, left_out.explanation_en if english else left_out.explanation_de


def _slots(target: ConsultationRequest, expert: ExpertProfile) -> list[Any]:
    now = timezone.now()
    start, end = request_window(target)
    return selectors.free_slots_for(
        expert, start=max(start, now), end=end, duration=target.duration_minutes, now=now
    )[:MAX_SLOTS_SHOWN]


def _request_page(
    request: HttpRequest, pk: int, *, form: ReassignForm | None = None, status: int = 200
) -> HttpResponse:
    target = consultations.requests({}).filter(pk=pk).first()
    if target is None:
        raise Http404
    bookings = list(target.bookings.all())
    history: dict[int, list[Any]] = {b.pk: [] for b in bookings}
    for entry in audit.entries(kind="booking").filter(object_id__in=list(history))[:200]:
        history[entry.object_id].append(entry)
    rows, left_out = _ranking(target)
    chosen = form["expert"].value() if form is not None else request.GET.get("expert", "")
    expert = None
    if str(chosen).isdigit():
        expert = ExpertProfile.objects.filter(pk=int(str(chosen)[:18]), active=True).first()
    busy_experts = {b.expert_id for b in bookings if b.status in ConsultationBooking.ACTIVE}
    return render(
        request,
        "coordination/backoffice/consultation_request.html",
        {
            "consultation": target,
            "bookings": [(b, history[b.pk]) for b in bookings],
            "rows": rows,
            "left_out": left_out,
            "expert": expert,
            "same_expert": expert is not None and expert.pk in busy_experts,
            "slots": _slots(target, expert) if expert is not None else [],
            "form": form or ReassignForm(initial={"expert": expert.pk if expert else None}),
            "chosen": request.POST.get("start", ""),
        },
        status=status,
    )


@backoffice
def consultation_request(request: HttpRequest, pk: int) -> HttpResponse:
    return _request_page(request, pk)


@backoffice
@require_POST
def consultation_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReassignForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            booking = reassign.reassign(
                actor=request.user,
                request_id=pk,
                expert_id=form.cleaned_data["expert"],
                start=form.cleaned_data["start"],
                note=form.cleaned_data["note"],
            )
        except NotFound as error:
            raise Http404 from error
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(
                request,
                _("Die Anfrage ist %(name)s zugeordnet; alle Beteiligten werden informiert.")
                % {"name": booking.expert.display_name},
            )
            return redirect(reverse("backoffice-consultation", args=[pk]) + "#bookings")
    return _request_page(request, pk, form=form, status=status)
