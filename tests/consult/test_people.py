"""People of an organisation: invitations (single use, expiring, revocable), removing and handing
on the admin role; another organisation's people and invitations are 404 (invariant 4)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import authenticate, get_user_model
from django.utils import timezone

from consult.models import Invitation, StaffMembership
from tests import factories
from tests.conftest import client_for
from tests.consult.membership_helpers import last_mail, link_in, path_of

pytestmark = pytest.mark.django_db
User = get_user_model()


def admin_of(organisation):  # type: ignore[no-untyped-def]
    user = factories.staff_for(organisation)
    StaffMembership.objects.filter(user=user).update(role="admin")
    return user


@pytest.fixture
def org_a():  # type: ignore[no-untyped-def]
    return factories.MunicipalityFactory(name="Aachen-Test")


@pytest.fixture
def org_b():  # type: ignore[no-untyped-def]
    return factories.MunicipalityFactory(name="Bonn-Test")


def invite(admin, email: str = "kollegin@aachen.example", **extra):  # type: ignore[no-untyped-def]
    return client_for(admin).post(
        "/api/v1/invitations/", {"email": email, "role": "staff", **extra}, format="json"
    )


def accept(client, url: str, password: str = "Bürgerhaushalt-2027!"):  # type: ignore[no-untyped-def]
    return client.post(
        path_of(url), {"name": "Kim Kollegin", "password1": password, "password2": password}
    )


def test_admin_invites_and_the_colleague_sets_a_password_and_can_log_in(client, org_a):
    admin = admin_of(org_a)
    response = invite(admin)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "open"
    url = link_in(last_mail("kollegin@aachen.example", "invitation"), "/einladung/")
    assert client.get(path_of(url)).status_code == 200
    done = accept(client, url)
    assert done.status_code == 302
    user = User.objects.get(email="kollegin@aachen.example")
    assert StaffMembership.objects.get(user=user).municipality == org_a
    assert StaffMembership.objects.get(user=user).role == "staff"
    assert authenticate(username=user.username, password="Bürgerhaushalt-2027!") == user


def test_invitation_link_works_once(client, org_a):
    invite(admin_of(org_a))
    url = link_in(last_mail("kollegin@aachen.example"), "/einladung/")
    assert accept(client, url).status_code == 302
    again = accept(client, url, password="Anderes-Passwort-99")
    assert again.status_code == 400
    assert User.objects.filter(email="kollegin@aachen.example").count() == 1


def test_weak_password_is_refused_next_to_the_field_and_creates_nothing(client, org_a):
    invite(admin_of(org_a))
    url = link_in(last_mail("kollegin@aachen.example"), "/einladung/")
    response = accept(client, url, password="123")
    assert response.status_code == 400
    assert 'id="id_password2_errors"' in response.content.decode()
    assert not User.objects.filter(email="kollegin@aachen.example").exists()


def test_revoked_invitation_link_is_refused(client, org_a):
    admin = admin_of(org_a)
    invitation_id = invite(admin).json()["id"]
    url = link_in(last_mail("kollegin@aachen.example"), "/einladung/")
    revoked = client_for(admin).post(f"/api/v1/invitations/{invitation_id}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    response = accept(client, url)
    assert response.status_code == 400 and "zurückgezogen" in response.content.decode()
    assert not User.objects.filter(email="kollegin@aachen.example").exists()


def test_expired_invitation_link_is_refused(client, org_a, settings):
    invite(admin_of(org_a))
    url = link_in(last_mail("kollegin@aachen.example"), "/einladung/")
    later = timezone.now() + dt.timedelta(days=settings.MEMBERSHIP_INVITATION_DAYS, hours=1)
    with time_machine.travel(later):
        response = accept(client, url)
    assert response.status_code == 400 and "abgelaufen" in response.content.decode()


def test_tampered_invitation_link_is_refused(client, org_a):
    invite(admin_of(org_a))
    url = link_in(last_mail("kollegin@aachen.example"), "/einladung/")
    assert accept(client, url.replace("/einladung/", "/einladung/x")).status_code == 400


def test_inviting_an_address_with_an_account_is_409(org_a):
    factories.UserFactory(username="taken", email="kollegin@aachen.example")
    response = invite(admin_of(org_a))
    assert response.status_code == 409 and "email" in response.json()["fields"]
    assert not Invitation.objects.exists()


def test_second_open_invitation_to_the_same_address_is_409(org_a):
    admin = admin_of(org_a)
    assert invite(admin).status_code == 201
    assert invite(admin, email="KOLLEGIN@aachen.example").status_code == 409


def test_staff_who_are_not_admin_cannot_invite(org_a):
    staff = factories.staff_for(org_a)
    assert invite(staff).status_code == 404
    assert not Invitation.objects.exists()


def test_admin_removes_a_colleague_who_then_cannot_log_in(org_a):
    admin = admin_of(org_a)
    colleague = factories.UserFactory(username="kollege")
    StaffMembership.objects.create(user=colleague, municipality=org_a)
    url = f"/api/v1/organisations/{org_a.pk}/people/{colleague.pk}/"
    assert client_for(admin).delete(url).status_code == 204
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert not StaffMembership.objects.filter(user=colleague).exists()
    assert authenticate(username="kollege", password="secret-pass-123") is None


def test_admin_cannot_be_removed_before_handing_the_role_on(org_a):
    admin = admin_of(org_a)
    url = f"/api/v1/organisations/{org_a.pk}/people/{admin.pk}/"
    assert client_for(admin).delete(url).status_code == 409


def test_admin_hands_the_role_on_and_stays_as_staff(org_a):
    admin = admin_of(org_a)
    colleague = factories.UserFactory(username="nachfolgerin")
    StaffMembership.objects.create(user=colleague, municipality=org_a)
    url = f"/api/v1/organisations/{org_a.pk}/people/{colleague.pk}/make-admin/"
    response = client_for(admin).post(url)
    assert response.status_code == 200 and response.json()["role"] == "admin"
    roles = dict(StaffMembership.objects.values_list("user__username", "role"))
    assert roles == {admin.username: "staff", "nachfolgerin": "admin"}
    # The former admin may no longer manage people.
    assert invite(admin, email="x@aachen.example").status_code == 404


def test_members_list_their_people(org_a):
    admin = admin_of(org_a)
    staff = factories.UserFactory(username="mitarbeiter")
    StaffMembership.objects.create(user=staff, municipality=org_a)
    body = client_for(staff).get(f"/api/v1/organisations/{org_a.pk}/people/").json()
    assert {row["username"] for row in body["results"]} == {admin.username, "mitarbeiter"}


def test_people_list_counts_its_queries(org_a, django_assert_max_num_queries):
    admin = admin_of(org_a)
    for n in range(5):
        StaffMembership.objects.create(
            user=factories.UserFactory(username=f"p{n}"), municipality=org_a
        )
    caller = client_for(admin)
    with django_assert_max_num_queries(6):
        assert caller.get(f"/api/v1/organisations/{org_a.pk}/people/").status_code == 200


# --- IDOR: another organisation's people and invitations are 404 -------------------------------


def test_another_organisations_people_are_404(org_a, org_b):
    admin_b = admin_of(org_b)
    staff_a = factories.UserFactory(username="staff-a")
    StaffMembership.objects.create(user=staff_a, municipality=org_a)
    admin_of(org_a)
    caller = client_for(admin_b)
    base = f"/api/v1/organisations/{org_a.pk}/people/"
    assert caller.get(base).status_code == 404
    assert caller.delete(f"{base}{staff_a.pk}/").status_code == 404
    assert caller.post(f"{base}{staff_a.pk}/make-admin/").status_code == 404
    staff_a.refresh_from_db()
    assert staff_a.is_active
    # Positive control: org A's admin reads the same list.
    assert client_for(User.objects.get(username=f"staff-{org_a.slug}")).get(base).status_code == 200


def test_another_organisations_invitations_are_404(org_a, org_b):
    admin_a, admin_b = admin_of(org_a), admin_of(org_b)
    invitation_id = invite(admin_a).json()["id"]
    caller = client_for(admin_b)
    assert caller.get(f"/api/v1/invitations/{invitation_id}/").status_code == 404
    assert caller.post(f"/api/v1/invitations/{invitation_id}/revoke/").status_code == 404
    assert caller.get("/api/v1/invitations/").json()["count"] == 0
    assert client_for(admin_a).get(f"/api/v1/invitations/{invitation_id}/").status_code == 200
    # Naming another organisation when inviting does not reach it either.
    response = caller.post(
        "/api/v1/invitations/",
        {"email": "x@bonn.example", "organisation": org_a.pk},
        format="json",
    )
    assert response.status_code == 404
    assert not Invitation.objects.filter(organisation=org_a, email="x@bonn.example").exists()


def test_a_person_of_another_organisation_is_404_even_for_that_admin(org_a, org_b):
    admin_a = admin_of(org_a)
    staff_b = factories.staff_for(org_b)
    url = f"/api/v1/organisations/{org_a.pk}/people/{staff_b.pk}/"
    assert client_for(admin_a).delete(url).status_code == 404
    staff_b.refresh_from_db()
    assert staff_b.is_active


def test_coordinator_manages_any_organisations_people(org_a, coordinator):
    staff = factories.staff_for(org_a)
    caller = client_for(coordinator)
    assert caller.get(f"/api/v1/organisations/{org_a.pk}/people/").status_code == 200
    response = caller.post(
        "/api/v1/invitations/", {"email": "neu@aachen.example", "organisation": org_a.pk}
    )
    assert response.status_code == 201
    url = f"/api/v1/organisations/{org_a.pk}/people/{staff.pk}/make-admin/"
    assert caller.post(url).status_code == 200
