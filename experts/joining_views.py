"""Pages of experts joining: the application with its confirmation link. Thin: form, one service
call, redirect; a domain error goes next to its field. The coordinators' pool page (decide,
invite, activate, pause, capacity) is in the back office: coordination/expert_views.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy

from consult import selectors as consult_selectors
from consult.joining_models import LANGUAGES
from consult.joining_pages import apply_page, confirm_page, page_language
from core.rate_limits import RateLimit
from experts import joining

# Applications from one client address per hour on the page (the API has its own throttle).
APPLICATIONS_PER_CLIENT = RateLimit("expert-applications", limit=10, window=3600)
LEVELS = [
    ("", gettext_lazy("kein Schwerpunkt")),
    ("1", gettext_lazy("1 – Grundkenntnisse")),
    ("2", gettext_lazy("2 – Erfahrung")),
    ("3", gettext_lazy("3 – ausgewiesene Expertise")),
]


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
        english = page_language() == "en"
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
    return apply_page(
        request,
        ExpertApplicationForm(request.POST or None, initial={"language": page_language()}),
        limit=APPLICATIONS_PER_CLIENT,
        apply=lambda form: joining.apply(candidate=form.candidate()),
        applied="expert-join-applied",
        template="experts/joining/join.html",
    )


def applied(request: HttpRequest) -> HttpResponse:
    return render(request, "experts/joining/applied.html")


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    return confirm_page(request, token, kind=joining.KIND, templates="experts/joining")


urlpatterns = [
    path("expertin-werden/", join, name="expert-join"),
    path("expertin-werden/danke/", applied, name="expert-join-applied"),
    path("expertin-werden/bestaetigen/<str:token>/", confirm, name="expert-join-confirm"),
]
