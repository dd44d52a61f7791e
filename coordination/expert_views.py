"""The expert pool in the back office: applications to decide, invitations, and every expert
with a search (name, topic, Land, status), activation for matching, pause and monthly capacity.
Every write is one call of experts/joining.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from consult import selectors as consult_selectors
from consult.choices import FederalState
from consult.forms import add_domain_error
from coordination.gate import backoffice
from coordination.member_views import ANY, back_to_list, list_page, search_criteria
from core.api_fields import MAX_ID
from core.errors import DomainError
from experts import joining
from experts.joining_models import ExpertApplication
from experts.joining_views import LANGUAGES

# The path's verb → the activity it sets (None: the capacity only).
ACTIONS = {"freischalten": True, "pausieren": False, "kapazitaet": None}


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Begründung (geht an die Person)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ActivityForm(forms.Form):
    monthly_capacity = forms.IntegerField(
        label=gettext_lazy("Beratungen pro Monat"), min_value=0, max_value=100
    )


class InviteForm(forms.Form):
    display_name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    email = forms.EmailField(label=gettext_lazy("E-Mail-Adresse"))
    organisation = forms.CharField(
        label=gettext_lazy("Organisation"), max_length=200, required=False
    )
    language = forms.ChoiceField(label=gettext_lazy("Sprache der E-Mails"), choices=LANGUAGES)


class PoolFilter(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Name, E-Mail oder Organisation"), required=False, max_length=100
    )
    topic = forms.ChoiceField(label=gettext_lazy("Thema"), required=False)
    state = forms.ChoiceField(
        label=gettext_lazy("Bundesland"),
        required=False,
        choices=[ANY, *FederalState.choices],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ANY,
            ("active", gettext_lazy("freigeschaltet")),
            ("paused", gettext_lazy("pausiert oder noch nicht freigeschaltet")),
        ],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        topics = [(t.slug, t.name) for t in consult_selectors.topics()]
        self.fields["topic"].choices = [ANY, *topics]


@backoffice
def pool(request: HttpRequest) -> HttpResponse:
    pending = joining.applications_for(request.user).filter(status=ExpertApplication.Status.PENDING)
    search = PoolFilter(request.GET or None)
    experts = joining.experts_for(request.user, **search_criteria(search))
    page, query = list_page(request, experts.prefetch_related("topic_levels__topic"))
    return render(
        request,
        "coordination/backoffice/experts.html",
        {
            "pending": pending,
            "page": page,
            "search": search,
            "query": query,
            "decline_form": DeclineForm(),
        },
    )


@backoffice
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, initial={"language": "de"})
    if request.method == "POST" and form.is_valid():
        try:
            joining.invite(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                _(
                    "Die Einladung ist verschickt. %(name)s legt ein Passwort fest und ergänzt das "
                    "Profil; danach können Sie freischalten."
                )
                % {"name": form.cleaned_data["display_name"]},
            )
            return redirect("expert-pool")
    return render(
        request,
        "coordination/backoffice/expert_invite.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@backoffice
@require_POST
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if pk > MAX_ID or decision not in ("annehmen", "ablehnen"):
        raise Http404
    try:
        if decision == "annehmen":
            application = joining.approve(actor=request.user, application_id=pk)
            messages.success(
                request,
                _("%(name)s ist aufgenommen und bekommt den Link zum Passwort.")
                % {"name": application.display_name},
            )
        else:
            form = DeclineForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Bitte eine Begründung angeben."))
                return redirect("expert-pool")
            joining.decline(
                actor=request.user, application_id=pk, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Die Bewerbung ist abgelehnt."))
    except DomainError as error:
        if error.code == "not_found":
            raise Http404 from None
        messages.error(request, str(error))
    return redirect("expert-pool")


@backoffice
@require_POST
def set_activity(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if pk > MAX_ID or action not in ACTIONS:
        raise Http404
    form = ActivityForm(request.POST)
    capacity = form.cleaned_data["monthly_capacity"] if form.is_valid() else None
    if action == "kapazitaet" and capacity is None:
        messages.error(request, _("Bitte eine Zahl von 0 bis 100 angeben."))
        return back_to_list(request, "expert-pool")
    try:
        expert = joining.set_activity(
            actor=request.user, expert_id=pk, active=ACTIONS[action], monthly_capacity=capacity
        )
    except DomainError as error:
        if error.code == "not_found":
            raise Http404 from None
        messages.error(request, str(error))
    else:
        if action == "kapazitaet":
            text = _("%(name)s: %(n)s Beratungen pro Monat.")
        elif expert.active:
            text = _("%(name)s ist für Anfragen freigeschaltet.")
        else:
            text = _("%(name)s ist pausiert.")
        messages.success(request, text % {"name": expert.display_name, "n": capacity})
    return back_to_list(request, "expert-pool")
