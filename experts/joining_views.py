"""Pages of experts joining: the application with its confirmation link. Thin: form, one service
call, redirect; a domain error goes next to its field. The coordinators' pool page (decide,
invite, activate, pause, capacity) is in the back office: coordination/expert_views.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext_lazy

from consult import selectors as consult_selectors
from consult.forms import add_domain_error
from core.errors import DomainError
from core.rate_limits import RateLimit, client_address
from experts import joining

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


urlpatterns = [
    path("expertin-werden/", join, name="expert-join"),
    path("expertin-werden/danke/", applied, name="expert-join-applied"),
    path("expertin-werden/bestaetigen/<str:token>/", confirm, name="expert-join-confirm"),
]
