"""Pages of the municipal side: plans, consultation requests, peer exchange.

Views are thin: a form checks the shape, one service call does the work, a redirect shows the
result; a domain error goes back onto the form next to its field.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from consult import selectors, services
from consult.forms import PlanForm, RequestForm, add_domain_error
from consult.models import ParticipationPlan
from core.errors import DomainError
from core.pages import in_viewer_zone, municipal_staff_required


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "consult/home.html")


# --- plans ------------------------------------------------------------------------------------


def _own_plan(request: HttpRequest, pk: int) -> ParticipationPlan:
    """The plan if it is the user's municipality's; any other plan does not exist (404)."""
    plan = selectors.plans_for(request.user).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


@municipal_staff_required
@in_viewer_zone
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = selectors.plans_for(request.user).prefetch_related("requests")
    return render(request, "consult/plan_list.html", {"plans": plans})


@municipal_staff_required
def plan_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    plan = _own_plan(request, pk) if pk is not None else None
    initial = PlanForm.initial_from(plan) if plan else {}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if plan is None:
                plan = services.create_plan(actor=request.user, **form.plan_fields())
                messages.success(request, _("Das Vorhaben ist angelegt."))
            else:
                services.update_plan(actor=request.user, plan=plan, **form.plan_fields())
                messages.success(request, _("Das Vorhaben ist gespeichert."))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("plan-list")
    return render(
        request,
        "consult/plan_form.html",
        {"form": form, "plan": plan},
        status=400 if form.errors else 200,
    )


# --- consultation requests --------------------------------------------------------------------


@municipal_staff_required
@in_viewer_zone
def request_list(request: HttpRequest) -> HttpResponse:
    requests = selectors.requests_for(request.user)
    return render(request, "consult/request_list.html", {"requests": requests})


@municipal_staff_required
def request_create(request: HttpRequest) -> HttpResponse:
    plans = list(selectors.plans_for(request.user))
    if not plans:
        messages.info(request, _("Beschreiben Sie zuerst Ihr Vorhaben."))
        return redirect("plan-create")
    initial = {"plan": request.GET.get("plan")} if request.GET.get("plan") else {}
    form = RequestForm(request.POST or None, plans=plans, initial=initial)
    if request.method == "POST" and form.is_valid():
        plan = next(p for p in plans if p.pk == form.cleaned_data["plan"])
        try:
            created = services.create_request(
                actor=request.user, plan=plan, **form.request_fields()
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, _("Ihre Anfrage ist gespeichert. Hier sind passende Expert*innen.")
            )
            return redirect("request-matches", pk=created.pk)
    return render(
        request, "consult/request_form.html", {"form": form}, status=400 if form.errors else 200
    )


@municipal_staff_required
@in_viewer_zone
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.requests_for(request.user).filter(pk=pk).first()
    if consultation is None:
        raise Http404
    return render(request, "consult/request_detail.html", {"consultation": consultation})


# --- peer exchange ----------------------------------------------------------------------------


@municipal_staff_required
def peers(request: HttpRequest) -> HttpResponse:
    """Municipalities like yours that agreed to be contacted, per plan, with the reason."""
    english = translation.get_language() == "en"
    rows = [
        (
            plan,
            [
                (municipality, peer.reason_en if english else peer.reason_de)
                for peer, municipality in selectors.peers_for(plan)
            ],
        )
        for plan in selectors.plans_for(request.user)
    ]
    return render(request, "consult/peers.html", {"rows": rows})
