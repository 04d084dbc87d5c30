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
MAX_DEPTH = 16  # no form nests deeper than a few levels; deeper JSON is refused before anything reads it
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
    unreadable = InvalidInputError("The request could not be read. Reload the page and try again.")
    if _too_deep(raw):
        raise unreadable
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise unreadable from None
    if not isinstance(data, dict) or not all(clean_text(text) for text in _strings(data)):
        raise unreadable
    return data


def clean_text(text: str) -> bool:
    """Text Lantern will store: no NUL (or other C0 control but tab and newlines) and no lone surrogate, which
    JSON can carry but UTF-8 (and so DynamoDB, email, logs) cannot."""
    if _CONTROL.search(text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _too_deep(raw: bytes | str) -> bool:
    """Is any array or object nested deeper than MAX_DEPTH? (Counted without parsing, so without recursion.)"""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _strings(data):
    """Every key and string value in parsed JSON (iteratively)."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from value.keys()
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


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
