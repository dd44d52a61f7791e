"""Forms of the exchange pages: shape only; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from consult.models import Topic
from exchange.forum import MAX_BODY, MAX_TITLE
from exchange.models import FollowSettings, Thread

BODY_HELP = _(
    "Markdown: **fett**, _kursiv_, Listen mit -, Links als [Text](https://…), "
    "@name erwähnt ein Mitglied. HTML wird als Text angezeigt."
)


def topic_choices() -> list[tuple[str, str]]:
    return [(topic.slug, topic.name) for topic in Topic.objects.all()]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Suche"), required=False, max_length=500)
    topic = forms.ChoiceField(label=_("Thema"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", _("alle Themen")), *topic_choices()]


class ThreadForm(forms.Form):
    title = forms.CharField(label=_("Titel"), max_length=MAX_TITLE)
    topic = forms.ChoiceField(label=_("Thema"))
    kind = forms.ChoiceField(
        label=_("Art"),
        choices=Thread.Kind.choices,
        initial=Thread.Kind.QUESTION,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Text"), max_length=MAX_BODY, widget=forms.Textarea, help_text=BODY_HELP
    )
    attachment = forms.FileField(
        label=_("Anhang (PDF, PNG oder JPEG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = topic_choices()


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Ihre Antwort"), max_length=MAX_BODY, widget=forms.Textarea, help_text=BODY_HELP
    )
    quote = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    attachment = forms.FileField(
        label=_("Anhang (PDF, PNG oder JPEG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class EditForm(forms.Form):
    body = forms.CharField(
        label=_("Text"), max_length=MAX_BODY, widget=forms.Textarea, help_text=BODY_HELP
    )
    reason = forms.CharField(label=_("Grund (für das Protokoll)"), required=False, max_length=400)


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("Warum melden Sie diesen Beitrag?"), max_length=2000, widget=forms.Textarea
    )


class DeliveryForm(forms.Form):
    delivery = forms.ChoiceField(
        label=_("E-Mails zu gefolgten Themen"),
        choices=FollowSettings.Delivery.choices,
        widget=forms.RadioSelect,
    )


class ContactForm(forms.Form):
    message = forms.CharField(
        label=_("Ihre Nachricht"),
        max_length=4000,
        widget=forms.Textarea,
        help_text=_("Worüber möchten Sie sich austauschen? Die Empfänger*innen sehen Ihren Namen."),
    )
