"""Pages of an expert's own calendars: the "Meine Kalender" section of the availability page
(connect, status, sync now, remove); its form posts here."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from consult.forms import add_domain_error
from core.errors import DomainError
from core.pages import expert_required
from experts import calendars
from experts.calendar_models import CalendarConnection
from experts.models import ExpertProfile


class CalendarForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Art"),
        choices=CalendarConnection.Kind.choices,
        initial=CalendarConnection.Kind.ICS,
        widget=forms.RadioSelect,
    )
    url = forms.CharField(
        label=gettext_lazy("Adresse"),
        max_length=2000,
        help_text=gettext_lazy(
            "iCal: die geheime Adresse Ihres Kalenders (Outlook „Kalender veröffentlichen“, "
            "Google „Privatadresse im iCal-Format“, iCloud, Nextcloud). CalDAV: die Adresse des "
            "Servers oder des Kalenders."
        ),
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    username = forms.CharField(
        label=gettext_lazy("Benutzername (nur CalDAV)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label=gettext_lazy("App-Passwort (nur CalDAV)"),
        max_length=500,
        required=False,
        strip=False,
        help_text=gettext_lazy("Wird verschlüsselt gespeichert und nie wieder angezeigt."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def _expert(request: HttpRequest) -> ExpertProfile:
    return request.user.expert_profile  # type: ignore[union-attr]


def _back() -> HttpResponse:
    return redirect(reverse("expert-availability") + "#kalender")


def section_context(expert: ExpertProfile, form: CalendarForm | None = None) -> dict[str, object]:
    """What the "Meine Kalender" section shows (also used by its template tag)."""
    return {
        "calendars": list(CalendarConnection.objects.filter(expert=expert)),
        "calendar_form": form or CalendarForm(),
    }


@expert_required
def calendars_page(request: HttpRequest) -> HttpResponse:
    """GET: the section on its own; POST: connect a calendar (back to the availability page)."""
    expert = _expert(request)
    form = CalendarForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            calendars.connect_calendar(expert_id=expert.pk, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                _(
                    "Der Kalender ist verbunden; er wird jetzt abgeglichen und dann alle "
                    "15 Minuten."
                ),
            )
            return _back()
    return render(
        request,
        "experts/calendars.html",
        section_context(expert, form),
        status=400 if form.errors else 200,
    )


def _own(request: HttpRequest, cid: int) -> CalendarConnection:
    connection = CalendarConnection.objects.filter(pk=cid, expert=_expert(request)).first()
    if connection is None:
        raise Http404
    return connection


@expert_required
@require_POST
def calendar_sync(request: HttpRequest, cid: int) -> HttpResponse:
    calendars.request_sync(connection=_own(request, cid))
    messages.success(request, _("Der Abgleich ist gestartet; das Ergebnis steht gleich hier."))
    return _back()


@expert_required
@require_POST
def calendar_delete(request: HttpRequest, cid: int) -> HttpResponse:
    calendars.remove_calendar(connection=_own(request, cid))
    messages.success(request, _("Der Kalender ist getrennt; seine Termine blockieren nichts mehr."))
    return _back()


urlpatterns = [
    path("expertin/kalender/", calendars_page, name="expert-calendars"),
    path("expertin/kalender/<int:cid>/abgleichen/", calendar_sync, name="expert-calendar-sync"),
    path("expertin/kalender/<int:cid>/entfernen/", calendar_delete, name="expert-calendar-delete"),
]
