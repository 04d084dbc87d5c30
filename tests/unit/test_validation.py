from __future__ import annotations

import pytest

from chalicelib.errors import InvalidInputError
from chalicelib.validation import Text, read_body

FIELDS = {"email": Text("Email address", 254, email=True), "note": Text("Note", 10, required=False)}


def test_values_are_trimmed_and_optional_fields_default_to_empty():
    assert read_body(b'{"email": "  a@b.org "}', FIELDS) == {"email": "a@b.org", "note": ""}


def test_passwords_keep_their_spaces():
    assert read_body('{"p": "  spaced  "}', {"p": Text("Password", 50, strip=False)}) == {"p": "  spaced  "}


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ('{"email": "a@b.org", "note": "far too long a note"}', {"note": "Note must be 10 characters or fewer."}),
        ('{"email": ["a@b.org"]}', {"email": "Email address must be text."}),
        ('{"email": null}', {"email": "Enter your email address."}),
        ('{"email": "a@b.org", "extra": 1}', {"extra": "This is not a field Lantern expects."}),
    ],
)
def test_problems_are_reported_per_field(raw, fields):
    with pytest.raises(InvalidInputError) as error:
        read_body(raw, FIELDS)
    assert error.value.fields == fields
    assert error.value.status == 400


def test_invalid_utf8_is_unreadable_not_a_crash():
    with pytest.raises(InvalidInputError, match="could not be read"):
        read_body(b'{"email": "\xff"}', FIELDS)
