"""What the pages of joining and of an organisation's people reveal and allow beyond the API's
tests: an address in use is answered like a new one, another organisation's invitations and
people are 404 on the organisation page too, and a flood of applications stores nothing."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from consult.models import Invitation, MembershipApplication, StaffMembership
from core.rate_limits import RateLimit
from experts import joining_views
from experts.joining_models import ExpertApplication
from notifications.models import Notification
from tests import factories
from tests.consult.membership_helpers import application_data

pytestmark = pytest.mark.django_db
ADDRESS = "buergerhaushalt@leipzig.example"


@pytest.fixture(autouse=True)
def _fresh_limits():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def _join(client, **overrides):  # type: ignore[no-untyped-def]
    data = application_data(**overrides)
    data["consent"] = "on"
    return client.post("/mitglied-werden/", data, follow=True)


def _main(response) -> str:  # type: ignore[no-untyped-def]
    """The page's content (the CSRF token in the header differs per response)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")].replace(ADDRESS, "…")


def test_join_page_answers_an_address_with_an_account_like_a_new_one(client):
    fresh = _join(client, email="neu@leipzig.example")
    factories.UserFactory(username="vorhanden", email=ADDRESS)
    in_use = _join(client, ags="", state="Sachsen")
    assert in_use.redirect_chain == fresh.redirect_chain == [("/mitglied-werden/danke/", 302)]
    assert _main(in_use) == _main(fresh).replace("neu@leipzig.example", "…")
    duplicate = MembershipApplication.objects.get(email=ADDRESS)
    assert duplicate.inert and duplicate.confirm_nonce == ""
    # The owner of the address hears of it; no confirmation link goes out for it.
    kinds = set(Notification.objects.filter(recipient=ADDRESS).values_list("kind", flat=True))
    assert kinds == {"membership_duplicate"}


def _admin_of(organisation):  # type: ignore[no-untyped-def]
    admin = factories.staff_for(organisation)
    StaffMembership.objects.filter(user=admin).update(role="admin")
    return admin


def test_another_organisations_invitation_cannot_be_revoked_on_the_page(client):
    admin_a = _admin_of(factories.MunicipalityFactory())
    admin_b = _admin_of(factories.MunicipalityFactory())
    client.force_login(admin_a)
    client.post(
        "/organisation/invite/", {"email": "neu@a.example", "role": "staff", "language": "de"}
    )
    invitation = Invitation.objects.get(email="neu@a.example")
    client.force_login(admin_b)
    assert client.post(f"/organisation/revoke/{invitation.pk}/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_the_admin_role_cannot_go_to_another_organisations_person_on_the_page(client):
    admin = _admin_of(factories.MunicipalityFactory())
    other = factories.staff_for(factories.MunicipalityFactory())
    client.force_login(admin)
    assert client.post(f"/organisation/make-admin/{other.pk}/").status_code == 404
    assert StaffMembership.objects.get(user=other).role == "staff"
    assert StaffMembership.objects.get(user=admin).role == "admin"


def test_unknown_actions_and_ids_beyond_a_bigint_are_404(client):
    client.force_login(_admin_of(factories.MunicipalityFactory()))
    assert client.post("/organisation/delete-everything/").status_code == 404
    assert client.post(f"/organisation/remove/{2**63}/").status_code == 404


def test_a_flood_of_expert_applications_on_the_page_is_429_and_stores_nothing(monkeypatch):
    monkeypatch.setattr(
        joining_views,
        "APPLICATIONS_PER_CLIENT",
        RateLimit("test-expert-join", limit=2, window=600),
    )
    client = Client()

    def apply(n: int):  # type: ignore[no-untyped-def]
        return client.post(
            "/expertin-werden/",
            {
                "display_name": f"Beraterin {n}",
                "email": f"beraterin-{n}@example.org",
                "language": "de",
                "consent": "on",
                "topic_youth-school": "2",
            },
        )

    assert [apply(n).status_code for n in range(2)] == [302, 302]
    refused = apply(2)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert not ExpertApplication.objects.filter(email="beraterin-2@example.org").exists()
    assert ExpertApplication.objects.count() == 2
