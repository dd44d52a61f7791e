"""Writes of the library: submissions, review (publish, archive), funding deadline reminders."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from consult.choices import FederalState, MunicipalityKind, ProcedureType, SizeClass
from consult.models import Municipality, StaffMembership, Topic
from core import audit
from core import uploads as files
from core.errors import Conflict, FieldErrors, Forbidden, Invalid, NotFound
from core.preferences import language_of
from core.roles import is_coordinator, municipality_id_of
from core.validators import check_text
from library.models import Resource, http_url
from library.search import strip_unsafe
from notifications.models import Notification
from notifications.services import Message, Recipient, send_many

Kind = Resource.Kind
Status = Resource.Status

# What each role may put into the library (coordinators: anything).
STAFF_KINDS = frozenset({Kind.EXAMPLE, Kind.PR_EXAMPLE, Kind.BROCHURE})
EXPERT_KINDS = frozenset({Kind.RECOMMENDATION})
REMINDER_DAYS = 14
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class ResourceDraft:
    """What a submitter says about a resource (shape already checked by a form/serializer)."""

    kind: str
    title_de: str
    summary_de: str
    title_en: str = ""
    summary_en: str = ""
    body: str = ""
    url: str = ""
    topics: tuple[str, ...] = ()
    procedure_types: tuple[str, ...] = ()
    size_classes: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    language: str = "de"
    year: int | None = None
    source: str = ""
    licence: str = ""
    funder: str = ""
    amount_min_eur: Decimal | None = None
    amount_max_eur: Decimal | None = None
    eligible_states: tuple[str, ...] = ()
    eligible_kinds: tuple[str, ...] = ()
    deadline: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ResourceDraft:
        names = {f.name for f in fields(cls)}
        values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()}
        return cls(**{k: v for k, v in values.items() if k in names and v is not None})


_TEXT_FIELDS = (
    "title_de",
    "title_en",
    "summary_de",
    "summary_en",
    "body",
    "source",
    "licence",
    "funder",
)
_SINGLE_LINE_FIELDS = ("title_de", "title_en", "source", "licence", "funder")
_MULTI_LINE_FIELDS = ("summary_de", "summary_en", "body")
_VOCABULARIES: dict[str, frozenset[str]] = {
    "procedure_types": frozenset(ProcedureType.values),
    "size_classes": frozenset(SizeClass.values),
    "states": frozenset(FederalState.values),
    "eligible_states": frozenset(FederalState.values),
    "eligible_kinds": frozenset(MunicipalityKind.values),
}
_FUNDING_FIELDS = (
    "funder",
    "amount_min_eur",
    "amount_max_eur",
    "eligible_states",
    "eligible_kinds",
    "deadline",
)


def expert_of(user: Any) -> Any:
    try:
        return user.expert_profile
    except Exception:  # RelatedObjectDoesNotExist: not an expert
        return None


def _check_draft(draft: ResourceDraft, *, has_file: bool) -> dict[str, Any]:
    """The model's values for `draft`, or Invalid naming the first bad field."""
    if draft.kind not in Kind.values:
        raise Invalid(_("Unbekannte Art."), fields={"kind": [_("Unbekannte Art.")]})
    values: dict[str, Any] = {"kind": draft.kind, "language": draft.language, "year": draft.year}
    for name in _TEXT_FIELDS:
        values[name] = strip_unsafe(getattr(draft, name) or "").strip()
    # What the cleaning leaves and would break a line in an e-mail or a calendar (CR, LF, NEL,
    # U+2028) or hide text is refused, as for every stored name and title.
    errors = FieldErrors()
    check_text(errors, values, single_line=_SINGLE_LINE_FIELDS, multi_line=_MULTI_LINE_FIELDS)
    errors.raise_if_any()
    for name in ("title_de", "summary_de"):
        if not values[name]:
            raise Invalid(_("Pflichtfeld."), fields={name: [_("Pflichtfeld.")]})
    for name, vocabulary in _VOCABULARIES.items():
        chosen = list(dict.fromkeys(getattr(draft, name)))
        unknown = [v for v in chosen if v not in vocabulary]
        if unknown:
            message = _("Unbekannter Wert: %(v)s") % {"v": ", ".join(map(str, unknown))[:100]}
            raise Invalid(message, fields={name: [message]})
        values[name] = chosen
    countries = list(dict.fromkeys(c.upper() for c in draft.countries))
    if any(not _COUNTRY.match(c) for c in countries):
        message = _("Länder als zweistellige ISO-Codes, z. B. DE, BR, FR.")
        raise Invalid(message, fields={"countries": [message]})
    values["countries"] = countries
    url = (draft.url or "").strip()
    if url:
        try:
            http_url(url)
        except ValidationError as exc:
            message = _("Nur http- und https-Links.")
            raise Invalid(message, fields={"url": [message]}) from exc
    values["url"] = url
    if not (values["body"] or url or has_file):
        message = _("Bitte einen Text, einen Link oder eine Datei angeben.")
        raise Invalid(message, fields={"body": [message]})
    if draft.kind == Kind.FUNDING:
        low, high = draft.amount_min_eur, draft.amount_max_eur
        if low is not None and low < 0:
            raise Invalid(_("Nicht negativ."), fields={"amount_min_eur": [_("Nicht negativ.")]})
        if low is not None and high is not None and high < low:
            message = _("Die Obergrenze liegt unter der Untergrenze.")
            raise Invalid(message, fields={"amount_max_eur": [message]})
        values.update(amount_min_eur=low, amount_max_eur=high, deadline=draft.deadline)
    else:
        # Funding details belong to funding programmes only; elsewhere they are dropped.
        values.update(
            funder="",
            amount_min_eur=None,
            amount_max_eur=None,
            eligible_states=[],
            eligible_kinds=[],
            deadline=None,
        )
    return values


@transaction.atomic(durable=True)
def submit_resource(
    *, user: Any, draft: ResourceDraft, upload: UploadedFile | None = None
) -> Resource:
    """Add a resource: coordinators as a draft; staff and experts as a submission in review."""
    if not getattr(user, "is_authenticated", False):
        raise Forbidden(_("Bitte anmelden."))
    values = _check_draft(draft, has_file=upload is not None)
    topics = list(Topic.objects.filter(slug__in=draft.topics))
    if len(topics) != len(set(draft.topics)):
        message = _("Unbekanntes Thema.")
        raise Invalid(message, fields={"topics": [message]})
    expert = expert_of(user)
    municipality_id = municipality_id_of(user)
    if is_coordinator(user):
        values["status"] = Status.DRAFT
    elif municipality_id is not None:
        if draft.kind not in STAFF_KINDS:
            message = _("Kommunen reichen Beispiele, Öffentlichkeitsarbeit und Broschüren ein.")
            raise Invalid(message, fields={"kind": [message]})
        values.update(status=Status.IN_REVIEW, submitted_for_id=municipality_id)
    elif expert is not None:
        if draft.kind not in EXPERT_KINDS:
            message = _("Expert*innen reichen Empfehlungen ein.")
            raise Invalid(message, fields={"kind": [message]})
        own = set(expert.topic_levels.values_list("topic__slug", flat=True))
        if not topics or not {t.slug for t in topics} <= own:
            message = _("Empfehlungen nur zu den eigenen Themen.")
            raise Invalid(message, fields={"topics": [message]})
        values.update(status=Status.IN_REVIEW, author_expert=expert)
    else:
        raise Forbidden(_("Nur Kommunen, Expert*innen und die Koordination reichen ein."))
    found = files.check_upload(upload) if upload is not None else None
    resource = Resource(submitted_by=user, **values)
    try:
        if upload is not None and found is not None:
            resource.file_name = files.display_name(upload.name)
            resource.file_type = found.content_type
            resource.file_size = upload.size
            resource.file.save(files.stored_name(found), upload, save=False)
        resource.save()
        resource.topics.set(topics)
    except Exception:
        # Nothing half-written: the row rolls back, the stored file goes too.
        if resource.file:
            resource.file.delete(save=False)
        raise
    return resource


def _transition(
    *,
    user: Any,
    resource_id: int,
    to: str,
    allowed_from: tuple[str, ...],
    review_reason: str = "",
    **changes: Any,
) -> Resource:
    if not is_coordinator(user):
        # Not a coordinator: whether the entry exists is none of their business.
        raise NotFound(_("Diesen Bibliothekseintrag gibt es nicht."))
    now = timezone.now()
    before = Resource.objects.filter(pk=resource_id).first()
    if before is None:
        raise NotFound(_("Diesen Bibliothekseintrag gibt es nicht."))
    updated = Resource.objects.filter(pk=resource_id, status__in=allowed_from).update(
        status=to, updated_at=now, **changes
    )
    resource = Resource.objects.get(pk=resource_id)
    if not updated:
        raise Conflict(
            _("Von „%(from)s“ geht es nicht nach „%(to)s“.")
            % {"from": resource.get_status_display(), "to": Status(to).label},
            code="invalid_transition",
        )
    # An UPDATE sends no model signal: the trail is written here, for the API and the pages.
    trail = {
        name: [getattr(before, name), getattr(resource, name)] for name in ("status", *changes)
    }
    if review_reason:  # told to the submitter by e-mail, kept nowhere else
        trail["review_reason"] = ["", review_reason]
    audit.record(resource, trail)
    return resource


@transaction.atomic(durable=True)
def publish_resource(*, user: Any, resource_id: int) -> Resource:
    """Coordinator review: a draft or a submission in review goes public, submitter credited."""
    return _transition(
        user=user,
        resource_id=resource_id,
        to=Status.PUBLISHED,
        allowed_from=(Status.DRAFT, Status.IN_REVIEW),
        published_at=timezone.now(),
        reviewed_by=user,
    )


@transaction.atomic(durable=True)
def archive_resource(*, user: Any, resource_id: int) -> Resource:
    return _transition(
        user=user,
        resource_id=resource_id,
        to=Status.ARCHIVED,
        allowed_from=(Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED),
    )


@transaction.atomic(durable=True)
def return_to_draft(*, user: Any, resource_id: int) -> Resource:
    """Coordinator review: not ready yet (or withdrawn from the public list for an edit)."""
    return _transition(
        user=user,
        resource_id=resource_id,
        to=Status.DRAFT,
        allowed_from=(Status.IN_REVIEW, Status.PUBLISHED, Status.ARCHIVED),
    )


@transaction.atomic(durable=True)
def update_resource(*, user: Any, resource_id: int, draft: ResourceDraft) -> Resource:
    """A coordinator edits any entry (status and file stay as they are)."""
    if not is_coordinator(user):
        raise NotFound(_("Diesen Bibliothekseintrag gibt es nicht."))
    resource = Resource.objects.select_for_update().filter(pk=resource_id).first()
    if resource is None:
        raise NotFound(_("Diesen Bibliothekseintrag gibt es nicht."))
    values = _check_draft(draft, has_file=bool(resource.file))
    topics = list(Topic.objects.filter(slug__in=draft.topics))
    if len(topics) != len(set(draft.topics)):
        message = _("Unbekanntes Thema.")
        raise Invalid(message, fields={"topics": [message]})
    for name, value in values.items():
        setattr(resource, name, value)
    resource.save()  # a save, not an update(): the audit trail records the change
    resource.topics.set(topics)
    return resource


def _tell_submitter(resource: Resource, template: str, *, reason: str = "") -> None:
    user = resource.submitted_by
    if user is None or not user.email:
        return
    send_many(
        [
            Message(
                kind=f"library.{template}",
                template=f"library/email/{template}",
                recipients=[
                    Recipient(
                        email=user.email,
                        name=user.get_full_name(),
                        language=language_of(user),
                        dedup_key=f"library:review:{resource.pk}:{template}:"
                        f"{resource.updated_at.isoformat()}",
                        values={"recipient_name": user.get_full_name()},
                    )
                ],
                context={
                    "title_de": resource.title_de,
                    "title_en": resource.title_en or resource.title_de,
                    "reason": reason,
                },
            )
        ]
    )


@transaction.atomic(durable=True)
def publish_submission(*, user: Any, resource_id: int) -> Resource:
    """Review queue: a submission goes public and its submitter is told."""
    resource = _transition(
        user=user,
        resource_id=resource_id,
        to=Status.PUBLISHED,
        allowed_from=(Status.IN_REVIEW,),
        published_at=timezone.now(),
        reviewed_by=user,
    )
    _tell_submitter(resource, "submission_published")
    return resource


@transaction.atomic(durable=True)
def send_back_submission(*, user: Any, resource_id: int, reason: str) -> Resource:
    """Review queue: a submission goes back to its submitter as a draft, with the reason."""
    reason = strip_unsafe(reason or "").strip()
    if not reason or len(reason) > 2000:
        message = _("Bitte einen Grund angeben (höchstens 2000 Zeichen).")
        raise Invalid(message, fields={"reason": [message]})
    resource = _transition(
        user=user,
        resource_id=resource_id,
        to=Status.DRAFT,
        allowed_from=(Status.IN_REVIEW,),
        review_reason=reason,
    )
    _tell_submitter(resource, "submission_returned", reason=reason)
    return resource


# --- funding deadline reminders ---------------------------------------------------------------


def reminder_key(*, programme_id: int, municipality_id: int, deadline: dt.date) -> str:
    """One reminder per programme, municipality and deadline (a moved deadline reminds again)."""
    return f"library:funding-deadline:{programme_id}:{municipality_id}:{deadline.isoformat()}"


def _recipient(municipality: Municipality) -> tuple[str, str]:
    """The staff member who hears about it first (lowest id with an address), else the contact."""
    for membership in municipality.staff.all():
        if membership.user.email:
            return membership.user.email, membership.user.get_full_name()
    return municipality.contact_email, municipality.name


def remind_funding_deadlines(*, today: dt.date) -> int:
    """Write one reminder per eligible municipality for deadlines within REMINDER_DAYS.

    Idempotent: the dedup key is checked before rendering and enforced by the outbox's unique key,
    so a second run the same day (or every day until the deadline) writes nothing new.
    """
    written = 0
    programmes = Resource.objects.filter(
        kind=Kind.FUNDING,
        status=Status.PUBLISHED,
        deadline__gte=today,
        deadline__lte=today + dt.timedelta(days=REMINDER_DAYS),
    ).order_by("deadline", "id")
    for programme in programmes:
        written += _remind_for(programme=programme, today=today)
    return written


@transaction.atomic
def _remind_for(*, programme: Resource, today: dt.date) -> int:
    assert programme.deadline is not None
    municipalities = Municipality.objects.all()
    if programme.eligible_states:
        municipalities = municipalities.filter(state__in=programme.eligible_states)
    if programme.eligible_kinds:
        municipalities = municipalities.filter(kind__in=programme.eligible_kinds)
    municipalities = municipalities.filter(Q(staff__isnull=False) | ~Q(contact_email="")).distinct()
    keys = {
        m.pk: reminder_key(
            programme_id=programme.pk, municipality_id=m.pk, deadline=programme.deadline
        )
        for m in municipalities.only("pk")
    }
    done = set(
        Notification.objects.filter(dedup_key__in=list(keys.values())).values_list(
            "dedup_key", flat=True
        )
    )
    todo = [pk for pk, key in keys.items() if key not in done]
    if not todo:
        return 0
    messages = []
    days_left = (programme.deadline - today).days
    staff = Prefetch("staff", StaffMembership.objects.select_related("user").order_by("pk"))
    for municipality in Municipality.objects.filter(pk__in=todo).prefetch_related(staff):
        recipient, name = _recipient(municipality)
        if not recipient:
            continue
        messages.append(
            Message(
                kind="library.funding_deadline",
                template="library/email/funding_deadline",
                context={
                    "programme": programme,
                    "municipality": municipality,
                    "days_left": days_left,
                    "recipient_name": name,
                },
                recipients=[
                    Recipient(
                        email=recipient, name=name, language="de", dedup_key=keys[municipality.pk]
                    )
                ],
            )
        )
    if messages:
        send_many(messages)
    return len(messages)
