"""The guards every request body passes before anything reads it: a size limit, a depth limit (counted without
parsing), one JSON object, and no string (key or value) that holds NUL, another C0 control or a lone surrogate.

The shape of each body (types, lengths, which fields) is its request model's: chalicelib/web/requests.py.

>>> read_json_object(b'{"email": "a@b.org"}')
{'email': 'a@b.org'}
"""

from __future__ import annotations

import json
import re

from chalicelib.errors import InvalidInputError, TooLargeError

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 16  # no form nests deeper than a few levels; deeper JSON is refused before anything reads it
EMAIL_PATTERN = r"[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"  # compiled on first use, not at import


NOT_EXPECTED = "This is not a field Lantern expects."
EMPTY = "The request was empty. Fill in the form and try again."
TOO_LARGE = "The request is too large."


def read_json_object(
    raw: bytes | str | None, *, max_bytes: int = MAX_BODY_BYTES, empty: str = EMPTY, too_large: str = TOO_LARGE
) -> dict:
    """Parse a request body that must be one JSON object, or raise `InvalidInputError` (`TooLargeError`)."""
    if raw is None or raw in (b"", ""):
        raise InvalidInputError(empty)
    if len(raw) > max_bytes:
        raise TooLargeError(too_large)
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
