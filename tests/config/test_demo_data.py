"""`seed_demo` from the YAML files: the same rows and texts as the Python literals it replaced."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils.text import slugify

from consult.choices import OrganisationKind
from consult.models import (
    ConsultationRequest,
    MembershipApplication,
    Municipality,
    ParticipationPlan,
)
from core import demo_data
from events.models import Event, Registration
from experts.joining_models import ExpertApplication
from experts.models import ExpertProfile
from library.models import Resource

pytestmark = pytest.mark.django_db

# Counted on a fresh database seeded by the Python literals before they moved to YAML, plus the
# membership demo of issue 17 (consult/membership_demo.py): 10 organisations of the other kinds,
# each with its admin login staff-<slug>, and 6 applications; and 3 applications to the expert
# pool (experts/joining_demo.py).
EXPECTED_COUNTS = {
    "auth.User": 73 + 10,
    "consult.Municipality": 42 + 10,
    "consult.StaffMembership": 42 + 10,
    "consult.MembershipApplication": 6,
    "experts.ExpertApplication": 3,
    "consult.ParticipationPlan": 6,
    "consult.ConsultationRequest": 6,
    "consult.RequestTopic": 15,
    "experts.ExpertProfile": 30,
    "experts.ExpertTopic": 99,
    "experts.AvailabilityRule": 85,
    "bookings.ConsultationBooking": 4,
    "events.Event": 5,
    "events.EventSession": 7,
    "events.Registration": 11,
    "library.Resource": 67,
}
# sha256 of `_texts()` on that same database (every demo text a person reads); it was
# e3e24c34…f0cbc9 before the membership demo added its users and organisations.
EXPECTED_TEXTS = "ade85e6f7949e8537ca7b29cbd97e35f1e86cfbbdb0e25be161cef10d10fcb82"


def _counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in EXPECTED_COUNTS}


def _texts() -> str:
    rows = [
        *(f"user {u}" for u in get_user_model().objects.values_list("username", "email")),
        *(f"municipality {m}" for m in Municipality.objects.values_list("name", "slug")),
        *(
            f"plan {p}"
            for p in ParticipationPlan.objects.values_list(
                "municipality__name", "title", "description"
            )
        ),
        *(f"request {n}" for n in ConsultationRequest.objects.values_list("notes", flat=True)),
        *(
            f"expert {e}"
            for e in ExpertProfile.objects.values_list(
                "user__username", "display_name", "organisation", "bio_de", "bio_en"
            )
        ),
        *(
            f"event {e}"
            for e in Event.objects.values_list(
                "title_de", "title_en", "description_de", "place", "address", "online_url"
            )
        ),
        *(f"registration {r}" for r in Registration.objects.values_list("name", "email")),
        *(
            f"resource {r}"
            for r in Resource.objects.values_list(
                "kind", "title_de", "title_en", "summary_de", "body", "source", "url", "funder"
            )
        ),
    ]
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()


def test_seed_demo_makes_the_same_rows_and_texts_as_before_and_again_nothing_new():
    call_command("seed_demo", stdout=io.StringIO())
    first, texts = _counts(), _texts()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first == EXPECTED_COUNTS
    assert _texts() == texts == EXPECTED_TEXTS


def test_seed_demo_has_a_member_of_every_kind_and_applications_waiting_for_a_coordinator():
    call_command("seed_demo", stdout=io.StringIO())
    kinds = set(Municipality.objects.values_list("kind", flat=True))
    assert kinds == set(OrganisationKind.values)
    statuses = Counter(MembershipApplication.objects.values_list("status", flat=True))
    assert statuses == {"pending": 3, "email_unverified": 2, "info_requested": 1}
    pool = Counter(ExpertApplication.objects.values_list("status", flat=True))
    assert pool == {"pending": 2, "email_unverified": 1}
    # Confirmed ones say when; unconfirmed ones do not (the back office lists by that).
    assert not MembershipApplication.objects.filter(
        status="email_unverified", confirmed_at__isnull=False
    ).exists()
    assert not ExpertApplication.objects.filter(
        status="pending", confirmed_at__isnull=True
    ).exists()


def test_seed_demo_creates_the_documented_logins_with_password_demo():
    call_command("seed_demo", stdout=io.StringIO())
    User = get_user_model()
    staff = {f"staff-{slugify(m.name.replace('ß', 'ss'))}" for m in Municipality.objects.all()}
    experts = {f"expert-{n}" for n in range(1, 31)}
    assert set(User.objects.values_list("username", flat=True)) == {"coordinator"} | staff | experts
    for username in ("coordinator", "staff-leipzig", "expert-1", "expert-30"):
        assert User.objects.get(username=username).check_password("demo"), username


def test_demo_data_files_parse_to_plain_values_without_yaml_1_1_surprises():
    # YAML 1.1 reads NO as false and 10:30 as 630: codes and names must stay strings.
    files = sorted(Path(__file__).resolve().parents[2].glob("*/demo_data/*.yaml"))
    assert len(files) >= 10
    for path in files:
        data = demo_data.load(path.parent.parent.name, path.stem)
        assert data == yaml.safe_load(path.read_text(encoding="utf-8")), path
    for section in ("procedures", "examples", "publications", "pr_examples", "funding"):
        data = demo_data.load("library", section)
        for entry in data["resources"]:
            spec = {**data["defaults"], **entry}
            assert all(isinstance(c, str) and len(c) == 2 for c in spec.get("countries", [])), spec
            assert isinstance(spec["title_de"], str) and spec["title_de"], spec
    for name in demo_data.load("consult", "municipalities")["municipalities"]:
        assert isinstance(name["city"], str)


def test_seed_demo_shows_a_conversation_and_an_open_counter_proposal():
    from bookings.models import BookingMessage, BookingProposal

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    thread = list(BookingMessage.objects.values_list("booking_id", "author_role"))
    assert len(thread) == 2 and len({booking for booking, _ in thread}) == 1
    assert {role for _, role in thread} == {"municipality", "expert"}
    (proposal,) = BookingProposal.objects.all()
    assert proposal.status == "open" and proposal.booking.status == "requested"
    assert 1 <= proposal.slots.count() <= 2
