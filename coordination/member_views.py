"""The back office's members pages: the landing page, organisations (list, page, edit) and
people (every account, deactivate and reactivate). Thin: a form, one service call, a redirect.
Applications to decide are consult's page (/koordination/mitglieder/), the expert pool
coordination/expert_views.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import activation
from consult import organisations as organisation_services
from consult.choices import FederalState, OrganisationKind
from consult.forms import add_domain_error
from consult.models import Municipality
from coordination import audit, members
from coordination.gate import backoffice
from core.api_fields import MAX_ID
from core.errors import DomainError

PAGE_SIZE = 50
ANY = ("", gettext_lazy("alle"))
_YES_NO = [ANY, ("yes", gettext_lazy("ja")), ("no", gettext_lazy("nein"))]
EDITABLE = (
    "name",
    "kind",
    "country",
    "state",
    "ags",
    "website",
    "listed",
    "open_to_exchange",
)


class OrganisationFilter(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Name, AGS oder Landkreis"), required=False, max_length=100
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Art"), required=False, choices=[ANY, *OrganisationKind.choices]
    )
    country = forms.ChoiceField(label=gettext_lazy("Land (Staat)"), required=False)
    state = forms.ChoiceField(
        label=gettext_lazy("Bundesland"), required=False, choices=[ANY, *FederalState.choices]
    )
    listed = forms.ChoiceField(
        label=gettext_lazy("im Mitgliederverzeichnis"), required=False, choices=_YES_NO
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [ANY, *((c, c) for c in members.countries_in_use())]


class OrganisationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Art"), choices=OrganisationKind.choices)
    country = forms.CharField(
        label=gettext_lazy("Land (ISO 3166, zwei Buchstaben)"),
        max_length=2,
        min_length=2,
        help_text=gettext_lazy("zum Beispiel DE, AT, BR"),
    )
    state = forms.ChoiceField(
        label=gettext_lazy("Bundesland"),
        required=False,
        choices=[("", gettext_lazy("– (nicht in Deutschland)")), *FederalState.choices],
    )
    ags = forms.CharField(
        label=gettext_lazy("Amtlicher Gemeindeschlüssel (AGS)"),
        max_length=8,
        required=False,
        help_text=gettext_lazy(
            "8 Ziffern; nur für deutsche Kommunen. Wir prüfen ihn mit der Ortsliste."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    website = forms.URLField(label=gettext_lazy("Website"), required=False, assume_scheme="https")
    listed = forms.BooleanField(
        label=gettext_lazy("im öffentlichen Mitgliederverzeichnis"), required=False
    )
    open_to_exchange = forms.BooleanField(
        label=gettext_lazy("offen für Erfahrungsaustausch"), required=False
    )


class PeopleFilter(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Name, Benutzername oder E-Mail"), required=False, max_length=100
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Rolle"),
        required=False,
        choices=[
            ANY,
            ("coordinator", gettext_lazy("Koordination")),
            ("staff", gettext_lazy("Mitarbeiter*in einer Organisation")),
            ("expert", gettext_lazy("Expert*in")),
            ("none", gettext_lazy("ohne Rolle")),
        ],
    )
    active = forms.ChoiceField(label=gettext_lazy("aktiv"), required=False, choices=_YES_NO)


def search_criteria(form: forms.Form) -> dict[str, str]:
    """A search form's values as the selector's keyword arguments (its `q` is `text`)."""
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return {
        ("text" if name == "q" else name): (value or "").strip() for name, value in data.items()
    }


def list_page(request: HttpRequest, items: Any) -> tuple[Any, str]:
    """The requested page of `items` and the query to link its neighbours with."""
    query = request.GET.copy()
    query.pop("seite", None)
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("seite")), query.urlencode()


@backoffice
def landing(request: HttpRequest) -> HttpResponse:
    return render(
        request, "coordination/backoffice/members.html", {"counts": members.member_counts()}
    )


@backoffice
def organisation_list(request: HttpRequest) -> HttpResponse:
    search = OrganisationFilter(request.GET or None)
    page, query = list_page(request, members.organisations(**search_criteria(search)))
    context = {"search": search, "page": page, "query": query}
    return render(request, "coordination/backoffice/organisations.html", context)


@backoffice
def organisation_page(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = Municipality.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise Http404
    initial = {name: getattr(organisation, name) for name in EDITABLE}
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {
            name: value
            for name, value in form.cleaned_data.items()
            if value != getattr(organisation, name)
        }
        try:
            organisation_services.update_municipality(municipality=organisation, **changes)
        except DomainError as error:
            add_domain_error(form, error)
            organisation.refresh_from_db()
        else:
            messages.success(request, _("Die Angaben sind gespeichert."))
            return redirect("backoffice-organisation", organisation_id=organisation.pk)
    return render(
        request,
        "coordination/backoffice/organisation.html",
        {
            "organisation": organisation,
            "form": form,
            "people": members.people_of(organisation),
            "figures": members.figures_of(organisation),
            "history": audit.history_of(organisation),
        },
        status=400 if form.errors else 200,
    )


@backoffice
def people(request: HttpRequest) -> HttpResponse:
    search = PeopleFilter(request.GET or None)
    page, query = list_page(request, members.accounts(**search_criteria(search)))
    context = {"search": search, "page": page, "query": query}
    return render(request, "coordination/backoffice/people.html", context)


@backoffice
@require_POST
def person_activity(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    if user_id > MAX_ID or action not in ("deaktivieren", "reaktivieren"):
        raise Http404
    try:
        user = activation.set_account_active(
            actor=request.user, user_id=user_id, active=action == "reaktivieren"
        )
    except DomainError as error:
        if error.code == "not_found":
            raise Http404 from None
        messages.error(request, str(error))
    else:
        text = (
            _("Das Konto %(name)s ist wieder aktiv.")
            if user.is_active
            else _(
                "Das Konto %(name)s ist deaktiviert; seine Sitzungen und API-Schlüssel sind "
                "beendet."
            )
        )
        messages.success(request, text % {"name": user.get_username()})
        if user.pk == request.user.pk and not user.is_active:  # their own session has ended
            return redirect("home")
    return back_to_list(request, "backoffice-people")


def back_to_list(request: HttpRequest, name: str) -> HttpResponse:
    """Back to the list as it was searched (its forms send the query along as `zurueck`)."""
    url = redirect(name).url
    query = str(request.POST.get("zurueck", ""))[:500]
    return redirect(f"{url}?{query}" if query and "\n" not in query else url)
