from typing import Any

from django.apps import AppConfig
from django.db.models.signals import pre_save


class AccountsConfig(AppConfig):
    """Every account: login, password and e-mail, 2FA, language, export and deletion."""

    name = "accounts"
    verbose_name = "Konten"

    def ready(self) -> None:
        from allauth.account.models import EmailAddress
        from allauth.account.signals import user_logged_in
        from django.contrib.auth import get_user_model

        from accounts.views import language_at_login

        pre_save.connect(adopt_account_address, sender=EmailAddress, dispatch_uid="adopt-address")
        user_logged_in.connect(language_at_login, dispatch_uid="language-at-login")
        pre_save.connect(
            end_tokens_on_new_password, sender=get_user_model(), dispatch_uid="end-tokens"
        )


def end_tokens_on_new_password(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **_kwargs: Any
) -> None:
    """A new password ends the account's API tokens, however it was set (changed, reset, by a
    coordinator): a token someone else holds must not outlive the password it was issued for.
    Sessions end by themselves (Django checks the password's hash on every request)."""
    if (
        raw
        or instance.pk is None
        or (update_fields is not None and "password" not in update_fields)
    ):
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user_id=instance.pk).delete()


def adopt_account_address(sender: Any, instance: Any, raw: bool = False, **_kwargs: Any) -> None:
    """The address an account was created with counts as verified and primary.

    allauth records a user's existing address the first time it needs one (e-mail page,
    login) as unverified; its e-mail change would then take it for the pending new address and
    drop it. Here accounts only arise with a checked address (an approved application's
    confirmed e-mail, an invitation sent to it, or a coordinator), so that first record is the
    verified primary one. Addresses added later are not touched: they are verified by link.
    """
    if raw or instance.pk is not None or instance.verified:
        return
    current = (instance.user.email or "").strip().lower()
    first = not sender.objects.filter(user_id=instance.user_id).exists()
    if current and instance.email.lower() == current and first:
        instance.verified = True
        instance.primary = True
