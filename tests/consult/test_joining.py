"""The joining process both kinds of application share (consult/joining*.py): one base model
whose columns need no migration, the checks of an address in use, and confirmation links that
belong to one kind only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from consult import joining, membership
from consult.joining_models import JoiningApplication
from consult.models import MembershipApplication
from experts import joining as expert_joining
from experts.joining_models import ExpertApplication
from tests import factories
from tests.consult.membership_helpers import application_data, last_mail, link_in, path_of

pytestmark = pytest.mark.django_db

SHARED = [field.name for field in JoiningApplication._meta.get_fields()]


def test_both_applications_have_the_shared_columns_from_one_base():
    assert {"email", "confirm_nonce", "decided_by", "created_at"} <= set(SHARED)
    for name in SHARED:
        membership_field = MembershipApplication._meta.get_field(name)
        expert_field = ExpertApplication._meta.get_field(name)
        assert membership_field.deconstruct()[1:] == expert_field.deconstruct()[1:], name


def test_the_models_need_no_migration():
    # SystemExit(1) when a model and its migrations disagree (a moved field changed a column).
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize("kind", [membership.KIND, expert_joining.KIND], ids=["member", "expert"])
def test_an_address_is_in_use_by_an_account_or_a_fresh_application_of_its_kind(kind):
    now = timezone.now()
    factories.UserFactory(email="konto@example.org")
    assert joining.address_in_use(kind, "KONTO@example.org", now=now) == joining.ACCOUNT
    assert joining.address_in_use(kind, "neu@example.org", now=now) == ""
    fields = {"email": "neu@example.org", "consent_at": now, "created_at": now}
    if kind is membership.KIND:
        fields.update(organisation_name="Leipzig", kind="stadt", contact_name="Lea")
    else:
        fields.update(display_name="Ines")
    fresh = kind.model.objects.create(**fields)
    assert joining.address_in_use(kind, "neu@example.org", now=now) == joining.APPLICATION
    assert joining.address_in_use(kind, "neu@example.org", now=now, exclude=fresh.pk) == ""
    # An unconfirmed application older than its link no longer holds the address.
    later = now + joining.confirm_age() + dt.timedelta(minutes=1)
    assert joining.address_in_use(kind, "neu@example.org", now=later) == ""


def test_a_membership_link_does_not_confirm_an_expert_application_or_the_reverse():
    api = APIClient()
    assert api.post("/api/v1/membership-applications/", application_data()).status_code == 201
    member_link = link_in(
        last_mail("buergerhaushalt@leipzig.example", "membership_confirm"), "/mitglied-werden/"
    )
    expert = {"display_name": "Ines", "email": "ines@example.org", "consent": True}
    assert api.post("/api/v1/expert-applications/", expert, format="json").status_code == 201
    expert_link = link_in(last_mail("ines@example.org", "expert_application_confirm"), "/expertin")
    member_token = path_of(member_link).rstrip("/").rsplit("/", 1)[1]
    expert_token = path_of(expert_link).rstrip("/").rsplit("/", 1)[1]

    client = Client()
    wrong_ways = [
        f"/expertin-werden/bestaetigen/{member_token}/",
        f"/mitglied-werden/bestaetigen/{expert_token}/",
    ]
    for path in wrong_ways:
        refused = client.post(path)
        # Another kind's signature, not merely a nonce that does not match (same ids in both).
        assert (
            refused.status_code == 400 and "vollständig aus der E-Mail" in refused.content.decode()
        )
    assert not MembershipApplication.objects.exclude(status="email_unverified").exists()
    assert not ExpertApplication.objects.exclude(status="email_unverified").exists()
    # Each link still works the right way round.
    assert client.post(path_of(member_link)).status_code == 200
    assert client.post(path_of(expert_link)).status_code == 200
