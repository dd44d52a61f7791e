"""Contact requests between member organisations: sent by staff of one to another that is open
to exchange, accepted or declined by the receiving side; once accepted both see each other's
contact person and e-mail. Each step e-mails the other side through the outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.errors import Conflict, FieldErrors, Forbidden
from core.preferences import language_of
from core.roles import municipality_id_of
from exchange import selectors
from exchange.limits import CONTACT_REQUESTS_PER_DAY, check
from exchange.models import ContactRequest
from notifications.services import Message, Recipient, send_many

Status = ContactRequest.Status
MAX_MESSAGE = 4000


def _organisation_of(user: Any) -> int:
    organisation_id = municipality_id_of(user)
    if organisation_id is None:
        raise Forbidden(
            _("Kontaktanfragen senden Mitarbeitende einer Mitgliedsorganisation."),
            code="no_organisation",
        )
    return organisation_id


def send_contact_request(*, user: Any, to_organisation_id: int, message: str) -> ContactRequest:
    sender_organisation_id = _organisation_of(user)
    errors = FieldErrors()
    if not message.strip():
        errors.add("message", _("Bitte schreiben Sie, worum es geht."))
    if len(message) > MAX_MESSAGE:
        errors.add("message", _("Höchstens %(n)s Zeichen.") % {"n": MAX_MESSAGE})
    errors.raise_if_any()
    recipient = selectors.contactable_organisation(user=user, organisation_id=to_organisation_id)
    check(CONTACT_REQUESTS_PER_DAY, user)
    try:
        with transaction.atomic():
            request = ContactRequest.objects.create(
                sender_organisation_id=sender_organisation_id,
                recipient_organisation=recipient,
                sender=user,
                message=message.strip(),
            )
            _notify_staff(
                organisation_id=recipient.pk,
                request=request,
                kind="contact_request",
                subject=_lazy("Kontaktanfrage von %(name)s"),
                lead=_lazy("%(person)s (%(name)s) möchte sich mit Ihnen austauschen und schreibt:"),
                other_name=request.sender_organisation.name,
                person=_person(user),
                text=request.message,
                action_label=_lazy("Anfrage ansehen und annehmen"),
            )
    except IntegrityError:
        raise Conflict(
            _("An diese Organisation ist schon eine Kontaktanfrage offen."),
            code="contact_request_pending",
        ) from None
    return request


def _decide(*, user: Any, request_id: int, accept: bool) -> ContactRequest:
    organisation_id = _organisation_of(user)
    with transaction.atomic():
        request = selectors.contact_request_for(user=user, request_id=request_id)
        if request.recipient_organisation_id != organisation_id:
            raise Forbidden(
                _("Über diese Anfrage entscheidet die angefragte Organisation."),
                code="not_recipient",
            )
        # The row is re-read under the update's condition: two deciders, one wins.
        decided = ContactRequest.objects.filter(pk=request.pk, status=Status.PENDING).update(
            status=Status.ACCEPTED if accept else Status.DECLINED,
            decided_by=user,
            decided_at=timezone.now(),
        )
        if not decided:
            raise Conflict(_("Über diese Anfrage ist schon entschieden."), code="already_decided")
        request.refresh_from_db()
        if accept:
            subject = _lazy("%(name)s hat Ihre Kontaktanfrage angenommen")
            lead = _lazy("%(person)s (%(name)s) hat Ihre Kontaktanfrage angenommen. Kontakt:")
            text = f"{_person(user)} <{user.email}>"
        else:
            subject = _lazy("%(name)s hat Ihre Kontaktanfrage abgelehnt")
            lead = _lazy("%(name)s möchte gerade keinen Austausch; %(person)s hat abgelehnt.")
            text = ""
        _notify_staff(
            organisation_id=request.sender_organisation_id,
            request=request,
            kind="contact_accepted" if accept else "contact_declined",
            subject=subject,
            lead=lead,
            other_name=request.recipient_organisation.name,
            person=_person(user),
            text=text,
            action_label=_lazy("Meine Kontakte"),
        )
    return request


def accept(*, user: Any, request_id: int) -> ContactRequest:
    return _decide(user=user, request_id=request_id, accept=True)


def decline(*, user: Any, request_id: int) -> ContactRequest:
    return _decide(user=user, request_id=request_id, accept=False)


def _person(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def _notify_staff(
    *,
    organisation_id: int,
    request: ContactRequest,
    kind: str,
    subject: Any,
    lead: Any,
    other_name: str,
    person: str,
    text: str,
    action_label: Any,
) -> None:
    """One e-mail to each staff member of the organisation, in their language, through the
    outbox (one message per language, rendered once)."""
    staff = (
        get_user_model()
        .objects.filter(municipal_staff__municipality_id=organisation_id, is_active=True)
        .exclude(email="")
        .select_related("account_preference")
    )
    values = {"name": other_name, "person": person}
    url = settings.SITE_URL + reverse("exchange:contact", args=[request.pk])
    by_language: dict[str, list[Recipient]] = {}
    for member in staff:
        language = language_of(member)
        by_language.setdefault(language, []).append(
            Recipient(
                email=member.email,
                name=member.get_full_name(),
                language=language,
                dedup_key=f"exchange-{kind}:{request.pk}:{member.pk}",
            )
        )
    messages = []
    for language, people in by_language.items():
        with translation.override(language):
            context = {
                "subject": str(subject % values),
                "paragraphs": [str(lead % values), text] if text else [str(lead % values)],
                "action_url": url,
                "action_label": str(action_label),
            }
        messages.append(
            Message(
                kind=kind, template="notifications/email/notice", context=context, recipients=people
            )
        )
    if messages:
        send_many(messages)
