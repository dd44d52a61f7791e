"""Back-office pages for events: list, create, edit, publish, duplicate, cancel, participants,
attendance, exports, messages and certificates. Every write calls one service."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coordination import audit, exports
from coordination import services as backoffice_services
from coordination.event_forms import (
    CancelForm,
    DuplicateForm,
    EventForm,
    MessageForm,
    ParticipantForm,
    SessionFormSet,
)
from coordination.gate import backoffice
from core.errors import DomainError, NotFound
from events import management
from events import selectors as event_selectors
from events.models import Event, EventSession, Registration
from events.serializers import participants_csv

STATUS_FILTERS = {"draft", "published", "cancelled"}


def _event(event_id: int) -> Event:
    event = Event.objects.filter(pk=event_id).prefetch_related("organisers").first()
    if event is None:
        raise Http404
    return event


def _show_errors(error: DomainError, *forms: Form) -> None:
    """A domain error's fields go next to the form fields of that name; the rest on top."""
    for name, message in (error.fields or {}).items():
        text = message if isinstance(message, str) else "; ".join(map(str, message))
        for form in forms:
            if name in form.fields:
                form.add_error(name, text)
                break
        else:
            forms[0].add_error(None, text)
    if not error.fields:
        forms[0].add_error(None, error.message)


@backoffice
def event_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()[:100]
    events = event_selectors.events_for(request.user)
    if status in STATUS_FILTERS:
        events = events.filter(status=status)
    if query:
        events = events.filter(Q(title_de__icontains=query) | Q(title_en__icontains=query))
    rows = list(events)
    for event in rows:
        event.fill_percent = round(100 * min(event.seats_taken, event.capacity) / event.capacity)
    return render(
        request,
        "coordination/backoffice/event_list.html",
        {"events": rows, "status": status, "q": query, "statuses": Event.Status.choices},
    )


def _session_rows(formset: Any) -> list[tuple[Any, Any]]:
    return [
        (form.cleaned_data["start"], form.cleaned_data["end"])
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def _with_extra_row(data: Any) -> Any:
    """'Add a session' without JavaScript: the same POST again with one more empty row."""
    data = data.copy()
    total = int(data.get("sessions-TOTAL_FORMS", 0) or 0)
    data["sessions-TOTAL_FORMS"] = str(min(total + 1, 50))
    return data


def _event_form_page(
    request: HttpRequest, *, event: Event | None, form: EventForm, formset: Any
) -> HttpResponse:
    context: dict[str, Any] = {"event": event, "form": form, "formset": formset}
    if event is not None:
        context |= {
            "cancel_form": CancelForm(),
            "duplicate_form": DuplicateForm(),
            "history": audit.history_of(event),
        }
    return render(request, "coordination/backoffice/event_form.html", context)


def _submitted(request: HttpRequest, event: Event | None, save: Any, success: str) -> HttpResponse:
    """The POST of the event form, new or existing: "add a session" shows the form again with
    one more row; otherwise ``save(form, sessions, organiser_ids)`` runs the service and a
    domain error goes back onto the form."""
    if "add_session" in request.POST:
        data = _with_extra_row(request.POST)
        return _event_form_page(
            request,
            event=event,
            form=EventForm(data),
            formset=SessionFormSet(data, prefix="sessions"),
        )
    form = EventForm(request.POST)
    formset = SessionFormSet(request.POST, prefix="sessions")
    if form.is_valid() and formset.is_valid():
        try:
            saved = save(
                form, _session_rows(formset), [u.pk for u in form.cleaned_data["organisers"]]
            )
        except NotFound as error:
            raise Http404 from error
        except DomainError as error:
            _show_errors(error, form)
        else:
            messages.success(request, success)
            return redirect("backoffice-event", event_id=saved.pk)
    return _event_form_page(request, event=event, form=form, formset=formset)


@backoffice
def event_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _event_form_page(
            request,
            event=None,
            form=EventForm(),
            formset=SessionFormSet(prefix="sessions", initial=[{}]),
        )

    def save(form: EventForm, sessions: Any, organiser_ids: list[int]) -> Event:
        return management.create_event(
            by=request.user, sessions=sessions, organiser_ids=organiser_ids, **form.values()
        )

    return _submitted(request, None, save, _("Der Entwurf ist angelegt."))


@backoffice
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event(event_id)
    if request.method != "POST":
        initial = {field: getattr(event, field) for field in management.EVENT_FIELDS} | {
            "organisers": list(event.organisers.all())
        }
        sessions = [
            {"start": timezone.localtime(s.start), "end": timezone.localtime(s.end)}
            for s in EventSession.objects.filter(event=event).order_by("start", "id")
        ]
        for field in ("registration_opens", "registration_closes"):
            initial[field] = timezone.localtime(initial[field])
        return _event_form_page(
            request,
            event=event,
            form=EventForm(initial=initial),
            formset=SessionFormSet(prefix="sessions", initial=sessions),
        )

    def save(form: EventForm, sessions: Any, organiser_ids: list[int]) -> Event:
        management.update_event(
            event_id=event.pk,
            by=request.user,
            sessions=sessions,
            organiser_ids=organiser_ids,
            **form.values(),
        )
        return event

    return _submitted(request, event, save, _("Die Änderungen sind gespeichert."))


def _act(request: HttpRequest, success: str, action: Any) -> None:
    try:
        action()
    except NotFound as error:
        raise Http404 from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


@backoffice
@require_POST
def event_publish(request: HttpRequest, event_id: int) -> HttpResponse:
    _act(
        request,
        _("Die Veranstaltung ist veröffentlicht."),
        lambda: management.publish_event(event_id=event_id, by=request.user),
    )
    return redirect("backoffice-event", event_id=event_id)


@backoffice
@require_POST
def event_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte einen Grund für die Absage angeben."))
        return redirect("backoffice-event", event_id=event_id)
    _act(
        request,
        _("Die Veranstaltung ist abgesagt; alle Angemeldeten werden benachrichtigt."),
        lambda: management.cancel_event(
            event_id=event_id, by=request.user, reason=form.cleaned_data["reason"]
        ),
    )
    return redirect("backoffice-event", event_id=event_id)


@backoffice
@require_POST
def event_duplicate(request: HttpRequest, event_id: int) -> HttpResponse:
    form = DuplicateForm(request.POST)
    shift = form.cleaned_data.get("shift_days") if form.is_valid() else None
    try:
        copy = backoffice_services.duplicate_event(
            event_id=event_id, by=request.user, shift_days=shift
        )
    except NotFound as error:
        raise Http404 from error
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("backoffice-event", event_id=event_id)
    messages.success(request, _("Eine Kopie ist als Entwurf angelegt."))
    return redirect("backoffice-event", event_id=copy.pk)


# --- participants -----------------------------------------------------------------------------


def _participant_rows(registrations: list[Registration]) -> list[dict[str, Any]]:
    """Rows of plain strings: a template reads a dict key in one step, a model attribute or a
    display method in several (2,000 rows × 8 cells is where the page's time goes)."""
    labels = dict(Registration.Status.choices)
    attended = {True: _("ja"), False: _("nein"), None: ""}
    zone = timezone.get_current_timezone()
    live = set(Registration.LIVE)
    return [
        {
            "pk": str(r.pk),
            "name": r.name,
            "email": r.email,
            "status": str(labels.get(r.status, r.status)),
            "position": str(r.position or ""),
            "consent": r.consent_at.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
            "attended": attended[r.attended],
            "came": r.attended is True,
            "removable": r.status in live,
        }
        for r in registrations
    ]


@backoffice
def participants(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event(event_id)
    # One form around the table: a button per row names the row (no form, URL or CSRF token
    # rendered per person: the page of 2,000 stays fast).
    for action, handler in (("remove", _remove), ("move_up", _move_up)):
        if request.method == "POST" and action in request.POST:
            try:
                registration_id = int(request.POST[action])
            except ValueError:
                raise Http404 from None
            return handler(request, event.pk, registration_id)
    form = ParticipantForm(request.POST or None)
    message_form = MessageForm()
    if request.method == "POST" and form.is_valid():
        try:
            management.add_participant(
                event_id=event.pk,
                by=request.user,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                language=form.cleaned_data["language"],
            )
        except DomainError as error:
            _show_errors(error, form)
        else:
            messages.success(request, _("Die Person ist eingetragen."))
            return redirect("backoffice-participants", event_id=event.pk)
    return render(
        request,
        "coordination/backoffice/participants.html",
        {
            "event": event,
            "registrations": _participant_rows(event_selectors.participants(event)),
            "form": form,
            "message_form": message_form,
            "zone": timezone.get_current_timezone_name(),
        },
    )


def _remove(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    _act(
        request,
        _("Die Anmeldung ist storniert."),
        lambda: management.remove_participant(
            event_id=event_id, registration_id=registration_id, by=request.user
        ),
    )
    return redirect("backoffice-participants", event_id=event_id)


def _move_up(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    _act(
        request,
        _("Die Person ist nachgerückt und wird benachrichtigt."),
        lambda: management.move_up(
            event_id=event_id, registration_id=registration_id, by=request.user
        ),
    )
    return redirect("backoffice-participants", event_id=event_id)


@backoffice
@require_POST
def participant_remove(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    return _remove(request, event_id, registration_id)


@backoffice
@require_POST
def participant_move_up(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    return _move_up(request, event_id, registration_id)


@backoffice
@require_POST
def event_message(request: HttpRequest, event_id: int) -> HttpResponse:
    _event(event_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte Empfänger, Betreff und Nachricht angeben."))
        return redirect("backoffice-participants", event_id=event_id)
    try:
        count = backoffice_services.message_event(
            event_id=event_id, by=request.user, **form.cleaned_data
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Die Nachricht geht an %(n)d Personen.") % {"n": count})
    return redirect("backoffice-participants", event_id=event_id)


@backoffice
def attendance(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event(event_id)
    if request.method == "POST":
        try:
            registration_id = int(request.POST.get("registration", ""))
        except ValueError:
            registration_id = 0
        attended = {"yes": True, "no": False}.get(request.POST.get("attended", ""))
        registration = Registration.objects.filter(pk=registration_id, event=event).first()
        try:
            management.mark_attendance(
                event_id=event.pk,
                by=request.user,
                registration_ids=[registration_id],
                attended=attended,
            )
        except NotFound as error:
            raise Http404 from error
        except DomainError as error:
            messages.error(request, error.message)
        else:
            # The service writes with update() (no signal): the trail gets its entry here.
            audit.record(registration, {"attended": [registration.attended, attended]})
            messages.success(request, _("Gespeichert."))
        query = request.POST.get("q", "")
        target = redirect("backoffice-attendance", event_id=event.pk)
        if query:
            target["Location"] += "?" + urlencode({"q": query})
        return target
    query = request.GET.get("q", "").strip()[:100]
    confirmed = Registration.objects.filter(
        event=event, status=Registration.Status.CONFIRMED, anonymised_at__isnull=True
    ).order_by("name", "id")
    if query:
        confirmed = confirmed.filter(Q(name__icontains=query) | Q(email__icontains=query))
    return render(
        request,
        "coordination/backoffice/attendance.html",
        {"event": event, "registrations": list(confirmed), "q": query},
    )


@backoffice
def export_csv(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event(event_id)
    response = HttpResponse(
        participants_csv(event_selectors.participants(event)), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="teilnehmende-{event.pk}.csv"'
    return response


@backoffice
def export_xlsx(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event(event_id)
    response = HttpResponse(
        exports.participants_xlsx(event_selectors.participants(event)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="teilnehmende-{event.pk}.xlsx"'
    return response


@backoffice
def certificate(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    event = _event(event_id)
    registration = Registration.objects.filter(
        pk=registration_id,
        event=event,
        attended=True,
        status=Registration.Status.CONFIRMED,
        anonymised_at__isnull=True,
    ).first()
    if registration is None:
        raise Http404
    language = request.GET.get("sprache", registration.language)
    sessions = list(EventSession.objects.filter(event=event).order_by("start", "id"))
    pdf = exports.certificate_pdf(
        event=event, registration=registration, sessions=sessions, language=language
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="teilnahmebescheinigung-{event.pk}-{registration.pk}.pdf"'
    )
    return response
