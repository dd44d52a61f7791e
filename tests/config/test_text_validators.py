"""core/validators.py: which characters a stored name, title or note may not hold."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from core.errors import FieldErrors
from core.validators import (
    check_text,
    has_control_characters,
    no_control_characters,
    no_control_characters_multiline,
)

LINE_BREAKING = ["\r", "\n", "\r\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c"]
OTHER_CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\x9f"]
PLAIN = ["Jena-Lobeda", "Cottbus/Chóśebuz", "Ayşe Yıldız", "„Dein Kiez“ – 50 %", "a\u00a0b", "🙂"]


@pytest.mark.parametrize("bad", [*LINE_BREAKING, "\t", *OTHER_CONTROLS])
def test_single_line_text_refuses_every_control_and_line_separator(bad):
    with pytest.raises(ValidationError) as caught:
        no_control_characters(f"Bürgerhaushalt{bad}Bcc: x@example.org")
    assert caught.value.code == "control_characters"


@pytest.mark.parametrize("good", PLAIN)
def test_names_with_any_printable_unicode_pass(good):
    no_control_characters(good)
    no_control_characters_multiline(good)


@pytest.mark.parametrize("good", ["Zeile 1\nZeile 2", "Zeile 1\r\nZeile 2", "a\tb", "\n\n"])
def test_multi_line_text_keeps_line_feeds_crlf_and_tabs(good):
    no_control_characters_multiline(good)


@pytest.mark.parametrize(
    "bad", ["a\rb", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", *OTHER_CONTROLS]
)
def test_multi_line_text_refuses_lone_cr_separators_and_other_controls(bad):
    with pytest.raises(ValidationError):
        no_control_characters_multiline(f"Anmerkung{bad}")


def test_non_text_is_left_to_other_checks():
    assert not has_control_characters(None)
    assert not has_control_characters(42)


def test_check_text_names_each_offending_field_once():
    errors = FieldErrors()
    fields = {"title": "A\nB", "notes": "ok\nok", "other": "\x00", "description": "\x1b"}
    check_text(
        errors, fields, single_line=["title", "missing"], multi_line=["notes", "description"]
    )
    assert set(errors.fields) == {"title", "description"}


@given(st.text())
def test_single_line_rule_is_exactly_unicode_category_cc_plus_the_two_separators(text):
    expected = any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in text)
    assert has_control_characters(text) == expected
