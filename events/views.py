"""Pages of events: browse, register, and the participant's self-service (the e-mailed link)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from consult import selectors as consult_selectors
from consult.forms import add_domain_error
from consult.people import membership_of
from core.errors import DomainError, NotFound
from core.pages import in_viewer_zone
from events import registration as event_registration
from events import selectors as event_selectors
from events.forms import RegistrationForm
from events.models import Event
from notifications import ics

RECEIVED = gettext_lazy(
    "Vielen Dank! Wir haben eine E-Mail an %(email)s geschickt. Bitte bestätigen Sie Ihre "
    "Anmeldung über den Link darin; dort steht auch, ob Sie einen Platz oder einen Platz auf "
    "der Warteliste haben."
)


def _published_event(request: HttpRequest, pk: int) -> Event:
    event = event_selectors.events_for(request.user).filter(pk=pk).first()
    if event is None:
        raise Http404
    return event


@in_viewer_zone
def event_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    events = [
        e
        for e in event_selectors.events_for(request.user).filter(status=Event.Status.PUBLISHED)
        if e.first_start is None or e.first_start >= now
    ]
    for event in events:
        event.seats_left = event_selectors.seats_left(event)
        event.open_for_registration = event.registration_opens <= now < event.registration_closes
    return render(request, "events/event_list.html", {"events": events})


def _member_prefill(user: Any) -> dict[str, str]:
    """What the network knows of a logged-in member: they need not type it (and may change
    it). The double opt-in stays: the address typed may not be theirs."""
    if not user.is_authenticated:
        return {}
    membership = membership_of(user)
    return {
        "name": user.get_full_name(),
        "email": user.email,
        "municipality_name": membership.municipality.name if membership else "",
    }


@in_viewer_zone
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _published_event(request, pk)
    now = timezone.now()
    form = RegistrationForm(request.POST or None, initial=_member_prefill(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            event_registration.register(
                event_id=event.pk,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                municipality_name=form.cleaned_data["municipality_name"],
                consent=form.cleaned_data["consent"],
                language=translation.get_language(),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # The same words whether the address was new here or registered already: what
            # it holds (a seat, a place in line, a confirmed seat) is in the e-mail only.
            messages.success(request, RECEIVED % {"email": form.cleaned_data["email"]})
            return redirect("event-detail", pk=event.pk)
    event.seats_left = event_selectors.seats_left(event)
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "form": form,
            "open_for_registration": event.status == Event.Status.PUBLISHED
            and event.registration_opens <= now < event.registration_closes,
            "not_yet_open": now < event.registration_opens,
            "member_names": consult_selectors.member_names(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _registration(token: str):  # type: ignore[no-untyped-def]
    registration = event_selectors.registration_by_token(token)
    if registration is None:
        raise Http404
    return registration


@in_viewer_zone
def registration_page(request: HttpRequest, token: str) -> HttpResponse:
    """The participant's private page behind the e-mailed link (token = proof of the address)."""
    registration = _registration(token)
    return render(
        request,
        "events/registration.html",
        {
            "registration": registration,
            "event": registration.event,
            "position": event_selectors.waitlist_position(registration),
            "token": token,
        },
    )


def _registration_action(request: HttpRequest, token: str, action, done: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    try:
        action(token=token)
    except NotFound as error:
        raise Http404 from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("registration", token=token)


@require_POST
def registration_confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _registration_action(
        request,
        token,
        event_registration.confirm,
        _("Vielen Dank, Ihre E-Mail-Adresse ist bestätigt."),
    )


@require_POST
def registration_cancel(request: HttpRequest, token: str) -> HttpResponse:
    return _registration_action(
        request, token, event_registration.cancel, _("Ihre Anmeldung ist storniert.")
    )


@require_POST
def registration_forget(request: HttpRequest, token: str) -> HttpResponse:
    try:
        event_registration.forget(token=token)
    except NotFound as error:
        raise Http404 from error
    messages.success(request, _("Ihre Daten zu dieser Anmeldung sind gelöscht."))
    return redirect("event-list")


def registration_ics(request: HttpRequest, token: str) -> HttpResponse:
    try:
        text = event_registration.invitation_for(token=token)
    except NotFound as error:
        raise Http404 from error
    response = HttpResponse(text, content_type=ics.media_type(text))
    response["Content-Disposition"] = 'attachment; filename="veranstaltung.ics"'
    return response


def registration_short_link(request: HttpRequest, token: str) -> HttpResponse:
    """The German path of the self-service page leads to the one the e-mails link to."""
    return redirect(reverse("registration", kwargs={"token": token}), permanent=True)
