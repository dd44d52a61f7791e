"""The account pages in a real browser, checked by axe-core: the account page, language,
password change, e-mail, setting up 2FA with a code from the shown secret, deleting, and
the password reset of a logged-out visitor."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from accounts.two_factor import has_two_factor
from tests import factories
from tests.pages.browser import Journey

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_account_pages_with_2fa_set_up_pass_axe(live_server, browser_page):
    municipality = factories.MunicipalityFactory(name="Musterstadt")
    staff = factories.staff_for(municipality)
    journey = Journey(browser_page, "account", live_server.url)
    page = browser_page

    journey.go("/login/")
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill(staff.email)
    page.locator("#id_password").fill("secret-pass-123")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(live_server.url + "/")
    page.get_by_role("link", name="Mein Konto").click()
    page.wait_for_url(live_server.url + "/konto/")
    journey.step("account page")

    for link, label in [
        ("Passwort ändern", "password change"),
        ("E-Mail-Adresse ändern", "e-mail"),
        ("Sprache ändern", "language"),
    ]:
        journey.go("/konto/")
        page.get_by_role("link", name=link).click()
        page.wait_for_load_state()
        journey.step(label)

    journey.go("/konto/")
    page.get_by_role("link", name="Zwei-Faktor-Anmeldung einrichten").click()
    journey.step("2fa overview")
    journey.go("/konto/2fa/totp/activate/")
    # allauth asks for the password again before a security change.
    page.wait_for_url("**/konto/reauthenticate/**")
    journey.step("confirm password")
    page.locator("#id_password").fill("secret-pass-123")
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_url("**/konto/2fa/totp/activate/")
    journey.step("2fa activate")
    secret = page.locator("#authenticator_secret").input_value()
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    page.get_by_label("Authentifizierungscode").fill(code)
    page.get_by_role("button", name="Aktivieren").click()
    page.wait_for_load_state()
    journey.step("2fa activated")
    assert has_two_factor(staff)

    journey.go("/konto/loeschen/")
    journey.step("delete")
    page.get_by_role("button", name="Konto endgültig löschen").click()
    journey.step("delete with errors")
    assert page.locator('[aria-invalid="true"]').count() >= 1

    page.get_by_role("button", name=f"Abmelden ({staff.username})").click()
    journey.go("/konto/password/reset/")
    journey.step("password reset")
    page.get_by_label("E-Mail").fill(staff.email)
    page.get_by_role("button", name="Passwort zurücksetzen").click()
    page.wait_for_url("**/konto/password/reset/done/")
    journey.step("password reset sent")
    journey.go("/konto/signup/")
    journey.step("sign-up closed")
