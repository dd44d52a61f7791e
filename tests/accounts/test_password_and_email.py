"""Password reset (no account enumeration, links that expire and work once, throttled),
password change (other sessions end), e-mail change (verified before it counts), and the
e-mails going through the outbox in the account's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.preferences import set_language
from notifications.models import Notification
from tests.accounts.helpers import link_in, mails_to

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-123"
NEW_PASSWORD = "ein-neues-langes-Passwort-7"
CSRF = re.compile(r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"')


def _request_reset(client: Client, email: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post("/konto/password/reset/", {"email": email}, REMOTE_ADDR=ip)


def _logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    assert (
        client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    )
    return client


# --- reset ------------------------------------------------------------------------------------


def test_reset_answers_the_same_whether_or_not_the_address_has_an_account(staff_user):
    known = _request_reset(Client(), staff_user.email)
    unknown = _request_reset(Client(), "niemand@example.org", ip="10.0.0.2")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == "/konto/password/reset/done/"
    done_known = CSRF.sub("", Client().get(known.url).content.decode())
    done_unknown = CSRF.sub("", Client().get(unknown.url).content.decode())
    assert done_known == done_unknown
    # Each address gets one e-mail; only its owner can tell which kind.
    assert len(mails_to(staff_user.email)) == 1
    assert len(mails_to("niemand@example.org")) == 1
    assert "/konto/password/reset/key/" in mails_to(staff_user.email)[0].body_text
    assert "/konto/password/reset/key/" not in mails_to("niemand@example.org")[0].body_text


def test_reset_mail_goes_through_the_outbox_not_directly(
    staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        _request_reset(Client(), staff_user.email)
    assert mail.outbox == []
    [row] = mails_to(staff_user.email)
    assert row.status == Notification.Status.PENDING
    assert row.kind == "account:password_reset_key"
    assert row.subject.startswith("Netzwerk Bürgerhaushalt: ")


def test_reset_mail_is_in_the_accounts_language(staff_user):
    set_language(staff_user, "en")
    _request_reset(Client(), staff_user.email)
    [row] = mails_to(staff_user.email)
    assert row.language == "en"
    assert "Hello" in row.body_text and "Guten Tag" not in row.body_text
    assert row.subject.startswith("Netzwerk Bürgerhaushalt: ") or row.subject.startswith(
        "Participatory"
    )


def test_reset_link_sets_a_new_password_once(staff_user):
    _request_reset(Client(), staff_user.email)
    link = link_in(mails_to(staff_user.email)[0])
    client = Client()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    staff_user.refresh_from_db()
    assert staff_user.check_password(NEW_PASSWORD)

    again = Client().get(link, follow=True)
    assert again.status_code == 200
    html = again.content.decode()
    assert "ungültig" in html  # "Der Link zum Zurücksetzen des Passworts war ungültig …"
    assert 'name="password1"' not in html


def test_tampered_reset_link_says_it_is_invalid(staff_user):
    _request_reset(Client(), staff_user.email)
    link = link_in(mails_to(staff_user.email)[0])
    tampered = link.rstrip("/")[:-3] + "abc/"
    page = Client().get(tampered, follow=True)
    assert page.status_code == 200
    assert "ungültig" in page.content.decode()
    assert 'name="password1"' not in page.content.decode()


def test_reset_link_expires(staff_user, settings, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    _request_reset(Client(), staff_user.email)
    link = link_in(mails_to(staff_user.email)[0])
    time_machine.move_to(
        timezone.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    )
    page = Client().get(link, follow=True)
    assert "ungültig" in page.content.decode()
    assert 'name="password1"' not in page.content.decode()


def test_a_weak_new_password_is_refused_next_to_the_field(staff_user):
    _request_reset(Client(), staff_user.email)
    client = Client()
    set_url = client.get(link_in(mails_to(staff_user.email)[0]), follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "errorlist" in html
    staff_user.refresh_from_db()
    assert staff_user.check_password(PASSWORD)


def test_a_flood_of_resets_for_one_address_is_throttled(staff_user):
    codes = [
        _request_reset(Client(), staff_user.email, ip=f"10.2.0.{n}").status_code for n in range(7)
    ]
    assert codes[:5] == [302] * 5
    assert codes[-1] == 429
    assert len(mails_to(staff_user.email)) == 5


def test_a_flood_of_resets_from_one_address_is_throttled():
    codes = [
        _request_reset(Client(), f"jemand-{n}@example.org", ip="10.3.0.1").status_code
        for n in range(21)
    ]
    assert codes[:20] == [302] * 20
    assert codes[20] == 429
    assert Notification.objects.count() == 20


# --- password change --------------------------------------------------------------------------


def test_password_change_ends_every_other_session(staff_user):
    here, elsewhere = _logged_in(staff_user), _logged_in(staff_user)
    response = here.post(
        "/konto/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert here.get("/konto/").status_code == 200
    assert elsewhere.get("/konto/").status_code == 302  # to the login
    staff_user.refresh_from_db()
    assert staff_user.check_password(NEW_PASSWORD)
    assert any(n.kind == "account:password_changed" for n in mails_to(staff_user.email))


def test_password_change_needs_the_old_password(staff_user):
    client = _logged_in(staff_user)
    response = client.post(
        "/konto/password/change/",
        {"oldpassword": "falsch", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    staff_user.refresh_from_db()
    assert staff_user.check_password(PASSWORD)


# --- e-mail change ----------------------------------------------------------------------------


def _add_email(client: Client, email: str):  # type: ignore[no-untyped-def]
    return client.post("/konto/email/", {"action_add": "", "email": email})


def test_new_address_counts_only_once_verified(staff_user):
    old = staff_user.email
    client = _logged_in(staff_user)
    assert _add_email(client, "neu@kommune.example").status_code == 302
    staff_user.refresh_from_db()
    assert staff_user.email == old  # not yet
    [confirmation] = mails_to("neu@kommune.example")
    link = link_in(confirmation)
    page = client.get(link)
    assert page.status_code == 200 and "<form" in page.content.decode()  # a button, no GET
    staff_user.refresh_from_db()
    assert staff_user.email == old
    assert client.post(link).status_code == 302
    staff_user.refresh_from_db()
    assert staff_user.email == "neu@kommune.example"
    assert list(EmailAddress.objects.filter(user=staff_user).values_list("email", "verified")) == [
        ("neu@kommune.example", True)
    ]
    # The new address logs in, the old one no longer.
    assert (
        Client()
        .post("/login/", {"username": "neu@kommune.example", "password": PASSWORD})
        .status_code
        == 302
    )
    assert (
        Client()
        .post("/login/", {"username": old, "password": PASSWORD}, REMOTE_ADDR="10.9.0.1")
        .status_code
        == 200
    )


def test_confirmation_link_works_once_and_a_tampered_one_not(staff_user):
    client = _logged_in(staff_user)
    _add_email(client, "neu@kommune.example")
    link = link_in(mails_to("neu@kommune.example")[0])
    tampered = client.get(link[:-4] + "xyz/")
    assert tampered.status_code == 200
    assert "<form" not in tampered.content.decode().split("<main", 1)[1]
    client.post(link)
    reused = client.get(link)
    assert "<form" not in reused.content.decode().split("<main", 1)[1]


def test_confirmation_link_expires(staff_user, settings, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client = _logged_in(staff_user)
    _add_email(client, "neu@kommune.example")
    link = link_in(mails_to("neu@kommune.example")[0])
    later = timezone.now() + dt.timedelta(
        days=settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS, hours=1
    )
    time_machine.move_to(later, tick=False)
    client = _logged_in(staff_user)
    assert client.post(link).status_code in (200, 302, 404)
    staff_user.refresh_from_db()
    assert staff_user.email != "neu@kommune.example"


def test_an_address_in_use_elsewhere_is_not_revealed_and_never_taken_over(
    staff_user, other_staff_user
):
    mine, theirs = staff_user.email, other_staff_user.email
    client = _logged_in(staff_user)
    # The same answer as for a free address: the page does not tell who has an account.
    assert (
        _add_email(client, theirs).status_code
        == _add_email(client, "frei@example.org").status_code
        == 302
    )
    _add_email(client, theirs)
    for mail_ in mails_to(theirs):
        if "/konto/confirm-email/" in mail_.body_text:
            client.post(link_in(mail_))
    staff_user.refresh_from_db()
    other_staff_user.refresh_from_db()
    assert staff_user.email == mine
    assert other_staff_user.email == theirs
    assert not EmailAddress.objects.filter(user=staff_user, email=theirs, verified=True).exists()


# --- language ---------------------------------------------------------------------------------


def test_language_preference_is_stored_and_used(staff_user):
    client = _logged_in(staff_user)
    assert client.post("/konto/sprache/", {"language": "en"}).status_code == 302
    from core.preferences import language_of

    staff_user.refresh_from_db()
    assert language_of(staff_user) == "en"
    refused = client.post("/konto/sprache/", {"language": "fr"})
    assert refused.status_code == 400


def test_account_page_links_every_self_service(staff_user):
    html = _logged_in(staff_user).get("/konto/").content.decode()
    for href in (
        "/konto/password/change/",
        "/konto/email/",
        "/konto/2fa/",
        "/konto/sprache/",
        "/konto/daten/",
        "/konto/loeschen/",
    ):
        assert f'href="{href}"' in html, href


def test_account_mails_have_the_services_layout_in_text_and_html(staff_user):
    staff_user.first_name, staff_user.last_name = "Anne", "O'Neill & Söhne"
    staff_user.save()
    _request_reset(Client(), staff_user.email)
    [row] = mails_to(staff_user.email)
    assert row.body_text.startswith("Guten Tag Anne O'Neill & Söhne,")
    assert "Ihr Team des Netzwerks Bürgerhaushalt" in row.body_text
    assert "O&#x27;Neill &amp; Söhne" in row.body_html
    assert '<a href="http' in row.body_html and "/konto/password/reset/key/" in row.body_html


def test_logging_in_switches_the_pages_to_the_accounts_language(staff_user):
    set_language(staff_user, "en")
    client = Client()
    response = client.post("/login/", {"username": staff_user.username, "password": PASSWORD})
    assert response.cookies["django_language"].value == "en"
    assert "My account" in client.get("/konto/").content.decode()


def test_an_account_that_never_chose_keeps_the_browsers_language(staff_user):
    response = Client().post("/login/", {"username": staff_user.username, "password": PASSWORD})
    assert "django_language" not in response.cookies
