"""Pages of experts joining: the application with its confirmation link, and the coordinators'
pool page (decide applications, invite, activate or pause, capacity). Thin: form, one service
call, redirect; a domain error goes next to its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from consult import selectors as consult_selectors
from consult.forms import add_domain_error
from core.api_fields import MAX_ID
from core.errors import DomainError
from core.pages import coordinator_required, in_viewer_zone
from core.rate_limits import RateLimit, client_address
from experts import joining
from experts.joining_models import ExpertApplication

# Applications from one client address per hour on the page (the API has its own throttle).
APPLICATIONS_PER_CLIENT = RateLimit("expert-applications", limit=10, window=3600)
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LEVELS = [
    ("", gettext_lazy("kein Schwerpunkt")),
    ("1", gettext_lazy("1 – Grundkenntnisse")),
    ("2", gettext_lazy("2 – Erfahrung")),
    ("3", gettext_lazy("3 – ausgewiesene Expertise")),
]


def _language() -> str:
    return "en" if (translation.get_language() or "de").startswith("en") else "de"


class ExpertApplicationForm(forms.Form):
    display_name = forms.CharField(label=gettext_lazy("Ihr Name"), max_length=200)
    email = forms.EmailField(label=gettext_lazy("E-Mail-Adresse"))
    organisation = forms.CharField(
        label=gettext_lazy("Organisation"), max_length=200, required=False
    )
    bio = forms.CharField(
        label=gettext_lazy("Kurzprofil"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Was Sie Kommunen anbieten, Ihre Erfahrung mit Bürgerhaushalten."),
    )
    references = forms.CharField(
        label=gettext_lazy("Referenzen"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Verfahren oder Kommunen, die Sie begleitet haben."),
    )
    language = forms.ChoiceField(label=gettext_lazy("Sprache der E-Mails"), choices=LANGUAGES)
    consent = forms.BooleanField(
        label=gettext_lazy(
            "Ich bin einverstanden, dass das Netzwerk meine Angaben zur Prüfung der Bewerbung "
            "verarbeitet (siehe Datenschutzerklärung)."
        )
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        english = _language() == "en"
        self.topic_slugs = []
        for topic in consult_selectors.topics():
            name = f"topic_{topic.slug}"
            self.fields[name] = forms.ChoiceField(
                label=topic.name_en if english else topic.name_de, choices=LEVELS, required=False
            )
            self.topic_slugs.append(topic.slug)

    def topic_fields(self) -> list[forms.BoundField]:
        return [self[f"topic_{slug}"] for slug in self.topic_slugs]

    def candidate(self) -> joining.Candidate:
        data = self.cleaned_data
        topics = [
            {"topic": slug, "level": int(data[f"topic_{slug}"])}
            for slug in self.topic_slugs
            if data.get(f"topic_{slug}")
        ]
        return joining.Candidate(
            display_name=data["display_name"],
            email=data["email"],
            organisation=data["organisation"],
            bio=data["bio"],
            topics=topics,
            references=data["references"],
            language=data["language"],
            consent=data["consent"],
        )


def join(request: HttpRequest) -> HttpResponse:
    form = ExpertApplicationForm(request.POST or None, initial={"language": _language()})
    if request.method == "POST":
        wait = APPLICATIONS_PER_CLIENT.hit(client_address(request))
        if wait is not None:
            response = render(request, "consult/membership/throttled.html", status=429)
            response["Retry-After"] = str(wait)
            return response
        if form.is_valid():
            try:
                joining.apply(candidate=form.candidate())
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return redirect("expert-join-applied")
    return render(
        request, "experts/joining/join.html", {"form": form}, status=400 if form.errors else 200
    )


def applied(request: HttpRequest) -> HttpResponse:
    return render(request, "experts/joining/applied.html")


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms (a mail scanner opening the link does not)."""
    try:
        application = joining.application_for_token(token)
        if request.method == "POST":
            application = joining.confirm_email(token=token)
            return render(request, "experts/joining/confirmed.html", {"application": application})
    except DomainError as error:
        return render(request, "consult/membership/link_error.html", {"error": error}, status=400)
    return render(request, "experts/joining/confirm.html", {"application": application})


# --- the coordinators' pool page --------------------------------------------------------------


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


@coordinator_required
@in_viewer_zone
def pool(request: HttpRequest) -> HttpResponse:
    pending = joining.applications_for(request.user).filter(status=ExpertApplication.Status.PENDING)
    experts = joining.experts_for(request.user).prefetch_related("topic_levels__topic")
    return render(
        request,
        "experts/joining/pool.html",
        {"pending": pending, "experts": experts, "decline_form": DeclineForm()},
    )


@coordinator_required
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
        request, "experts/joining/invite.html", {"form": form}, status=400 if form.errors else 200
    )


@coordinator_required
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


@coordinator_required
@require_POST
def set_activity(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if pk > MAX_ID or action not in ("freischalten", "pausieren"):
        raise Http404
    form = ActivityForm(request.POST)
    capacity = form.cleaned_data["monthly_capacity"] if form.is_valid() else None
    try:
        expert = joining.set_activity(
            actor=request.user,
            expert_id=pk,
            active=action == "freischalten",
            monthly_capacity=capacity,
        )
    except DomainError as error:
        if error.code == "not_found":
            raise Http404 from None
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            (
                _("%(name)s ist für Anfragen freigeschaltet.")
                if expert.active
                else _("%(name)s ist pausiert.")
            )
            % {"name": expert.display_name},
        )
    return redirect("expert-pool")


urlpatterns = [
    path("expertin-werden/", join, name="expert-join"),
    path("expertin-werden/danke/", applied, name="expert-join-applied"),
    path("expertin-werden/bestaetigen/<str:token>/", confirm, name="expert-join-confirm"),
    path("koordination/expertinnen/", pool, name="expert-pool"),
    path("koordination/expertinnen/einladen/", invite, name="expert-invite"),
    path(
        "koordination/expertinnen/bewerbungen/<int:pk>/<slug:decision>/",
        decide,
        name="expert-application-decide",
    ),
    path(
        "koordination/expertinnen/<int:pk>/<slug:action>/",
        set_activity,
        name="expert-activity",
    ),
]
