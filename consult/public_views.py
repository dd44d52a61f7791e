"""The public member directory page: listed organisations, counts per Land, a point map
(the home page itself is consult.views.home)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from consult import directory
from consult.choices import FederalState, OrganisationKind, ProcedureType


class DirectoryFilter(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Art"),
        choices=[("", gettext_lazy("alle Arten")), *OrganisationKind.choices],
        required=False,
    )
    state = forms.ChoiceField(
        label=gettext_lazy("Bundesland"),
        choices=[("", gettext_lazy("alle Länder")), *FederalState.choices],
        required=False,
    )


def directory_page(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilter(request.GET or None)
    kind = state = ""
    if form.is_valid():
        kind, state = form.cleaned_data["kind"], form.cleaned_data["state"]
    everyone = list(directory.listed_organisations())
    shown = [
        o for o in everyone if (not kind or o.kind == kind) and (not state or o.state == state)
    ]
    procedures = dict(ProcedureType.choices)
    for organisation in shown:
        organisation.procedure_label = procedures.get(organisation.procedure_type, "")
    context = {
        "form": form,
        "organisations": shown,
        "total": len(everyone),
        "counts": directory.counts_per_state(everyone),
        "abroad": sum(1 for o in everyone if o.country != "DE"),
        "points": directory.map_points(shown),
        "outline": directory.outline_points(),
        "map_width": directory.MAP_WIDTH,
        "map_height": directory.MAP_HEIGHT,
    }
    return render(request, "consult/directory.html", context)
