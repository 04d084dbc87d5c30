"""Reading request bodies: malformed JSON, wrong types, over-long values and unknown fields are refused whole.

>>> read_body(b'{"email": "a@b.org"}', {"email": Text("Email address", max_length=254)})
{'email': 'a@b.org'}
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from chalicelib.errors import InvalidInputError

MAX_BODY_BYTES = 256 * 1024
EMAIL_PATTERN = r"[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"  # compiled on first use, not at import


class Text(NamedTuple):
    """A text field: `label` names it in messages; `strip` trims spaces (never for passwords)."""

    label: str
    max_length: int
    required: bool = True
    strip: bool = True
    email: bool = False


def read_json_object(raw: bytes | str | None, *, max_bytes: int = MAX_BODY_BYTES) -> dict:
    """Parse a request body that must be one JSON object, or raise `InvalidInputError`."""
    if raw is None or raw in (b"", ""):
        raise InvalidInputError("The request was empty. Fill in the form and try again.")
    if len(raw) > max_bytes:
        raise InvalidInputError("The request is too large.", status=413)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("The request could not be read. Reload the page and try again.") from None
    if not isinstance(data, dict):
        raise InvalidInputError("The request could not be read. Reload the page and try again.")
    return data


def read_body(raw: bytes | str | None, fields: dict[str, Text]) -> dict[str, str]:
    """Parse a JSON object body and check it against `fields`; raise `InvalidInputError` listing every problem."""
    data = read_json_object(raw)
    problems: dict[str, str] = {}
    for name in data:
        if name not in fields:
            problems[name] = "This is not a field Lantern expects."
    values: dict[str, str] = {}
    for name, spec in fields.items():
        value = data.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            problems[name] = f"{spec.label} must be text."
            continue
        if spec.strip:
            value = value.strip()
        if not value:
            if spec.required:
                problems[name] = f"Enter your {spec.label.lower()}."
            values[name] = value
            continue
        if len(value) > spec.max_length:
            problems[name] = f"{spec.label} must be {spec.max_length} characters or fewer."
            continue
        if spec.email and not re.fullmatch(EMAIL_PATTERN, value):
            problems[name] = "Enter an email address in the correct format, like name@school.org.uk"
            continue
        values[name] = value
    if problems:
        raise InvalidInputError("There is a problem with what was entered.", problems)
    return values
