"""Text validators of the kernel: names, titles and notes reach e-mails, calendar invitations and
CSV cells, so control characters (CR/LF injection, invisible text) are refused where text is stored.

Single-line text (names, titles, places, a short note) refuses every C0 and C1 control character,
DEL, and U+2028/U+2029, which mail clients and calendars show as line breaks. Multi-line free text
(request notes, descriptions, bios) keeps what a textarea sends: line feeds, CR-LF pairs and tabs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.errors import FieldErrors

_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]|\r(?!\n)")
MESSAGE = _("Enthält unzulässige Steuerzeichen.")
CODE = "control_characters"


def has_control_characters(value: Any, *, multiline: bool = False) -> bool:
    """Whether `value` (a string; anything else is left to other checks) holds a forbidden one."""
    pattern = _MULTI_LINE if multiline else _SINGLE_LINE
    return isinstance(value, str) and pattern.search(value) is not None


def no_control_characters(value: Any) -> None:
    """Validator of single-line text (model fields, form and serializer fields)."""
    if has_control_characters(value):
        raise ValidationError(MESSAGE, code=CODE)


def no_control_characters_multiline(value: Any) -> None:
    """Validator of multi-line free text: line breaks and tabs allowed, other controls not."""
    if has_control_characters(value, multiline=True):
        raise ValidationError(MESSAGE, code=CODE)


def check_text(
    errors: FieldErrors,
    fields: Mapping[str, Any],
    *,
    single_line: Iterable[str] = (),
    multi_line: Iterable[str] = (),
) -> None:
    """For services: add the message to `errors` for each named field present in `fields` that
    holds a forbidden character, so that one 400 names them all before anything is written."""
    for names, multiline in ((single_line, False), (multi_line, True)):
        for name in names:
            if has_control_characters(fields.get(name), multiline=multiline):
                errors.add(name, MESSAGE)
