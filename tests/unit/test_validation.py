from __future__ import annotations

import pytest

from chalicelib.errors import InvalidInputError, TooLargeError
from chalicelib.validation import MAX_DEPTH, read_json_object
from chalicelib.web.requests import BAD_EMAIL, EMAIL, Form, Text, read_body, yours
from chalicelib.web.routing import status_of


class Contact(Form):
    email: Text(yours("Email address", invalid=BAD_EMAIL, not_text="{label} must be text."), 254, pattern=EMAIL)
    note: Text(yours("Note"), 10, required=False)


class Secret(Form):
    p: Text(yours("Password"), 50, strip=False)


def test_values_are_trimmed_and_optional_fields_default_to_empty():
    assert read_body(Contact, b'{"email": "  a@b.org "}').model_dump() == {"email": "a@b.org", "note": ""}


def test_passwords_keep_their_spaces():
    assert read_body(Secret, '{"p": "  spaced  "}').p == "  spaced  "


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ('{"email": "a@b.org", "note": "far too long a note"}', {"note": "Note must be 10 characters or fewer."}),
        ('{"email": ["a@b.org"]}', {"email": "Email address must be text."}),
        ('{"email": null}', {"email": "Enter your email address."}),
        ('{"email": "a@b.org", "extra": 1}', {"extra": "This is not a field Lantern expects."}),
        ('{"email": "not an address"}', {"email": BAD_EMAIL}),
    ],
)
def test_problems_are_reported_per_field(raw, fields):
    with pytest.raises(InvalidInputError) as error:
        read_body(Contact, raw)
    assert error.value.fields == fields
    assert status_of(error.value) == 400


def test_invalid_utf8_is_unreadable_not_a_crash():
    with pytest.raises(InvalidInputError, match="could not be read"):
        read_body(Contact, b'{"email": "\xff"}')


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "empty"),
        (b"", "empty"),
        (b"[1, 2]", "could not be read"),
        (b'"text"', "could not be read"),
        (b"{not json", "could not be read"),
        (b'{"a": "\\u0000"}', "could not be read"),  # NUL
        (b'{"a": "\\ud800"}', "could not be read"),  # a lone surrogate
        (b'{"\\u0007": 1}', "could not be read"),  # a control character in a key
        (b'{"a": ' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"}", "could not be read"),
    ],
)
def test_the_guards_refuse_before_any_model_reads_the_body(raw, message):
    with pytest.raises(InvalidInputError, match=message):
        read_json_object(raw)


def test_the_guards_let_tabs_and_newlines_through_and_nesting_up_to_the_limit():
    assert read_json_object('{"a": "one\\ttwo\\r\\nthree"}') == {"a": "one\ttwo\r\nthree"}
    deep = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert read_json_object('{"a": ' + deep + "}")["a"] is not None


def test_a_body_over_the_limit_is_too_large():
    with pytest.raises(TooLargeError) as error:
        read_json_object(b"{}" + b" " * 100, max_bytes=50)
    assert status_of(error.value) == 413
