"""The audit trail page /koordination/protokoll/: searchable, paginated."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from coordination import audit
from coordination.gate import backoffice

PAGE_SIZE = 50


class TrailFilter(forms.Form):
    kind = forms.ChoiceField(
        label=_("Objektart"),
        required=False,
        choices=[
            ("", _("alle")),
            ("account", _("Konto")),
            ("event", _("Veranstaltung")),
            ("session", _("Termin")),
            ("registration", _("Anmeldung")),
            ("booking", _("Beratungstermin")),
            ("municipality", _("Kommune/Organisation")),
            ("membership", _("Person einer Organisation")),
            ("application", _("Mitgliedsantrag")),
            ("invitation", _("Einladung")),
            ("expert", _("Expert*in")),
            ("expert_application", _("Bewerbung als Expert*in")),
            ("resource", _("Bibliothekseintrag")),
            ("thread", _("Forumsthema")),
            ("post", _("Forumsbeitrag")),
            ("moderation", _("Moderation")),
            ("debate", _("Debatte")),
            ("news", _("Neuigkeit")),
        ],
    )
    object_id = forms.IntegerField(label=_("ID"), required=False, min_value=1, max_value=2**63 - 1)
    user = forms.CharField(label=_("Benutzer*in"), required=False, max_length=150)
    day_from = forms.DateField(
        label=_("von"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    day_to = forms.DateField(
        label=_("bis"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@backoffice
def trail(request: HttpRequest) -> HttpResponse:
    form = TrailFilter(request.GET or None)
    criteria = form.cleaned_data if form.is_bound and form.is_valid() else {}
    entries = audit.entries(
        kind=criteria.get("kind") or "",
        object_id=criteria.get("object_id"),
        user=criteria.get("user") or "",
        day_from=criteria.get("day_from"),
        day_to=criteria.get("day_to"),
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("seite"))
    query = request.GET.copy()
    query.pop("seite", None)
    return render(
        request,
        "coordination/backoffice/trail.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
