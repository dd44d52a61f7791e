"""Reads of the back office's members pages: organisations and accounts with their search and
filters, an organisation's figures, the counts of the members' landing page. Each list is one
query for its page whatever its length (the people, the roles, the organisation come joined)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from bookings.models import ConsultationBooking
from consult.membership import OPEN_STATUSES
from consult.models import (
    ConsultationRequest,
    MembershipApplication,
    Municipality,
    ParticipationPlan,
    StaffMembership,
)
from core.roles import COORDINATOR
from experts.joining_models import ExpertApplication
from experts.models import ExpertProfile

ROLES = ("coordinator", "staff", "expert", "none")


def organisations(
    *, text: str = "", kind: str = "", country: str = "", state: str = "", listed: str = ""
) -> QuerySet[Municipality]:
    """Members by name, AGS (its first digits) or Landkreis, filtered by kind, country, Land and
    whether they are in the public directory ("yes"/"no"); with their number of people."""
    qs = Municipality.objects.annotate(people=Count("staff")).order_by("name", "id")
    if text:
        qs = qs.filter(
            Q(name__icontains=text) | Q(ags__startswith=text) | Q(district__icontains=text)
        )
    if kind:
        qs = qs.filter(kind=kind)
    if country:
        qs = qs.filter(country=country.upper())
    if state:
        qs = qs.filter(state=state)
    if listed in ("yes", "no"):
        qs = qs.filter(listed=listed == "yes")
    return qs


def countries_in_use() -> list[str]:
    return sorted(Municipality.objects.values_list("country", flat=True).distinct())


@dataclass(frozen=True)
class OrganisationFigures:
    plans: int
    requests: int
    bookings: int


def figures_of(organisation: Municipality) -> OrganisationFigures:
    return OrganisationFigures(
        plans=ParticipationPlan.objects.filter(municipality=organisation).count(),
        requests=ConsultationRequest.objects.filter(plan__municipality=organisation).count(),
        bookings=ConsultationBooking.objects.filter(
            request__plan__municipality=organisation
        ).count(),
    )


def people_of(organisation: Municipality) -> QuerySet[StaffMembership]:
    return (
        StaffMembership.objects.filter(municipality=organisation)
        .select_related("user")
        .order_by("-role", "user__last_name", "user__username", "id")
    )


def _in_coordination() -> Exists:
    groups = get_user_model().groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name=COORDINATOR
    )
    return Exists(groups)


def accounts(*, text: str = "", role: str = "", active: str = "") -> QuerySet[Any]:
    """Every account with what it is (coordinator, staff of which organisation, expert), by
    name, user name or e-mail, filtered by role and by active ("yes"/"no")."""
    qs = (
        get_user_model()
        .objects.select_related("municipal_staff__municipality", "expert_profile")
        .annotate(in_coordination=_in_coordination())
        .order_by("username", "id")
    )
    if text:
        qs = qs.filter(
            Q(username__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(email__icontains=text)
        )
    coordinator = Q(in_coordination=True) | Q(is_superuser=True)
    staff, expert = Q(municipal_staff__isnull=False), Q(expert_profile__isnull=False)
    if role == "coordinator":
        qs = qs.filter(coordinator)
    elif role == "staff":
        qs = qs.filter(staff)
    elif role == "expert":
        qs = qs.filter(expert)
    elif role == "none":
        qs = qs.exclude(coordinator | staff | expert)
    if active in ("yes", "no"):
        qs = qs.filter(is_active=active == "yes")
    return qs


@dataclass(frozen=True)
class MemberCounts:
    open_applications: int
    organisations: int
    listed: int
    accounts: int
    inactive_accounts: int
    experts_active: int
    experts_paused: int
    expert_applications: int


def member_counts() -> MemberCounts:
    """The figures of the members' landing page (five queries)."""
    orgs = Municipality.objects.aggregate(
        all=Count("id"), listed=Count("id", filter=Q(listed=True))
    )
    users = get_user_model().objects.aggregate(
        all=Count("id"), inactive=Count("id", filter=Q(is_active=False))
    )
    experts = ExpertProfile.objects.aggregate(
        on=Count("id", filter=Q(active=True)), off=Count("id", filter=Q(active=False))
    )
    return MemberCounts(
        open_applications=MembershipApplication.objects.filter(status__in=OPEN_STATUSES).count(),
        organisations=orgs["all"],
        listed=orgs["listed"],
        accounts=users["all"],
        inactive_accounts=users["inactive"],
        experts_active=experts["on"],
        experts_paused=experts["off"],
        expert_applications=ExpertApplication.objects.filter(
            status=ExpertApplication.Status.PENDING
        ).count(),
    )
