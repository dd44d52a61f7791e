"""Forms of the account pages: the throttled login, the language and the deletion."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from core.models import LANGUAGES
from core.rate_limits import RateLimit, client_address

# Failed logins allowed per username and client address within the window; then 429.
LOGIN_MAX_FAILURES = 10
LOGIN_WINDOW_SECONDS = 600
LOGIN_FAILURES = RateLimit("login-failures", limit=LOGIN_MAX_FAILURES, window=LOGIN_WINDOW_SECONDS)


class LoginThrottled(Exception):
    """Too many failed logins for this username from this address: answer 429, and the client
    may try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form with a limit on failed attempts per username and client address
    (core.rate_limits: counted in the shared cache, so every web process sees it). The name
    may be the user name or the e-mail address (allauth's authentication backend)."""

    # Django's German text asks to "enter" user name and password, which the person just did.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Benutzername oder Passwort stimmt nicht. Bitte achten Sie auf Groß- und "
            "Kleinschreibung."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Benutzername oder E-Mail-Adresse")
        self.fields["username"].max_length = 254
        self.fields["username"].widget.attrs["maxlength"] = 254

    def clean(self) -> dict[str, Any]:
        username = self.data.get("username", "") or ""
        attempt = (username.strip().casefold(), client_address(self.request))
        if (wait := LOGIN_FAILURES.retry_after(*attempt)) is not None:
            raise LoginThrottled(wait)
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            LOGIN_FAILURES.hit(*attempt)
            raise
        LOGIN_FAILURES.clear(*attempt)
        return cleaned


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Sprache Ihrer E-Mails und Seiten"),
        choices=LANGUAGES,
        widget=forms.RadioSelect,
    )


class DeleteAccountForm(forms.Form):
    """Deleting needs the password again (and the 2FA code where 2FA is on)."""

    password = forms.CharField(
        label=_("Ihr Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Code aus Ihrer Authenticator-App"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    confirm = forms.BooleanField(
        label=_("Ja, ich möchte mein Konto endgültig löschen."),
    )

    def __init__(self, *args: Any, user: Any, two_factor: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not two_factor:
            del self.fields["code"]
        else:
            self.fields["code"].required = True

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Das Passwort stimmt nicht."), code="wrong_password")
        return password
