"""Download my data: everything the service holds about the calling account, as plain data
for JSON. Only the caller's own rows: what they created, their bookings and registrations."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import Q
from django.utils import timezone

from accounts.two_factor import has_two_factor
from bookings.models import ConsultationBooking
from consult.models import ConsultationRequest, StaffMembership
from core.preferences import language_of
from core.roles import is_coordinator
from events.models import Registration
from experts.models import ExpertProfile
from library.models import Resource
from notifications.models import Notification

FORMAT_VERSION = 1


def personal_data(user: Any) -> dict[str, Any]:
    email = (user.email or "").strip()
    membership = StaffMembership.objects.filter(user=user).select_related("municipality").first()
    profile = ExpertProfile.objects.filter(user=user).first()
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "account": _account(user),
        "organisation": _organisation(membership),
        "expert_profile": _expert_profile(profile),
        "consultation_requests": _requests(user),
        "bookings": _bookings(user, profile),
        "event_registrations": _registrations(email),
        "library_submissions": _library(user),
        "messages": _messages(email),
    }


def _account(user: Any) -> dict[str, Any]:
    roles = list(user.groups.values_list("name", flat=True))
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "language": language_of(user),
        "roles": sorted(set(roles) | ({"coordinator"} if is_coordinator(user) else set())),
        "two_factor": has_two_factor(user),
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("id")
        ],
    }


def _organisation(membership: StaffMembership | None) -> dict[str, Any] | None:
    if membership is None:
        return None
    organisation = membership.municipality
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "role": getattr(membership, "role", "staff"),
    }


def _expert_profile(profile: ExpertProfile | None) -> dict[str, Any] | None:
    if profile is None:
        return None
    return {
        "id": profile.pk,
        "display_name": profile.display_name,
        "organisation": profile.organisation,
        "email": profile.email,
        "bio_de": profile.bio_de,
        "bio_en": profile.bio_en,
        "languages": profile.languages,
        "formats": profile.formats,
        "states": profile.states,
        "home_city": profile.home_city,
        "home_latitude": profile.home_latitude,
        "home_longitude": profile.home_longitude,
        "travel_radius_km": profile.travel_radius_km,
        "meeting_url": profile.meeting_url,
        "topics": [
            {"topic": level.topic.slug, "level": level.level}
            for level in profile.topic_levels.select_related("topic")
        ],
        "active": profile.active,
    }


def _requests(user: Any) -> list[dict[str, Any]]:
    rows = ConsultationRequest.objects.filter(created_by=user).select_related("plan")
    return [
        {
            "id": r.pk,
            "plan": {"id": r.plan_id, "title": r.plan.title},
            "format": r.format,
            "language": r.language,
            "earliest": r.earliest.isoformat(),
            "latest": r.latest.isoformat(),
            "duration_minutes": r.duration_minutes,
            "notes": r.notes,
            "status": r.status,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows.order_by("id")
    ]


def _bookings(user: Any, profile: ExpertProfile | None) -> list[dict[str, Any]]:
    mine = Q(created_by=user) | (Q(expert=profile) if profile is not None else Q(pk__in=[]))
    rows = ConsultationBooking.objects.filter(mine).select_related("expert")
    return [
        {
            "id": b.pk,
            "as": "expert" if profile is not None and b.expert_id == profile.pk else "booker",
            "request": b.request_id,
            "expert": b.expert.display_name,
            "start": b.start.isoformat(),
            "end": b.end.isoformat(),
            "format": b.format,
            "location": b.location,
            "status": b.status,
            "rating": b.rating,
            "feedback_comment": b.feedback_comment,
            "created_at": b.created_at.isoformat(),
        }
        for b in rows.order_by("start", "id")
    ]


def _registrations(email: str) -> list[dict[str, Any]]:
    if not email:
        return []
    rows = Registration.objects.filter(email__iexact=email, anonymised_at__isnull=True)
    return [
        {
            "id": r.pk,
            "event": {"id": r.event_id, "title": r.event.title_de},
            "name": r.name,
            "email": r.email,
            "municipality_name": r.municipality_name,
            "language": r.language,
            "status": r.status,
            "consent_at": r.consent_at.isoformat(),
            "created_at": r.created_at.isoformat(),
        }
        for r in rows.select_related("event").order_by("created_at", "id")
    ]


def _library(user: Any) -> list[dict[str, Any]]:
    rows = Resource.objects.filter(submitted_by=user).order_by("id")
    return [{"id": r.pk, "title": str(r), "status": r.status} for r in rows]


def _messages(email: str) -> list[dict[str, Any]]:
    """The e-mails the service wrote to this address (subject and text)."""
    if not email:
        return []
    rows = Notification.objects.filter(recipient__iexact=email).order_by("created_at", "id")
    return [
        {
            "subject": n.subject,
            "kind": n.kind,
            "status": n.status,
            "created_at": n.created_at.isoformat(),
            "sent_at": n.sent_at.isoformat() if n.sent_at else None,
            "body_text": n.body_text,
        }
        for n in rows
    ]
