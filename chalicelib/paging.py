"""Cursors for paged lists: a cursor is only the sort key of the last item shown, encoded for a URL. The list's
own owner (partition key) is never taken from it, so a crafted cursor cannot open another person's or pupil's list.

>>> decode(encode("2026-11-27T09:30:00+00:00#abc"), "pupil_id", "p-1", "entry")
{'pupil_id': {'S': 'p-1'}, 'entry': {'S': '2026-11-27T09:30:00+00:00#abc'}}
"""

from __future__ import annotations

import base64
import json

from chalicelib.errors import InvalidInputError

MAX_KEY = 200
MAX_CURSOR = 2000  # an encoded cursor, as a query string carries it


def encode(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(sort_key).encode()).decode()


def decode(cursor: str | None, owner_name: str, owner: str, sort_name: str, *, message: str = "") -> dict | None:
    """DynamoDB's start key for the page after the cursor's item, within `owner`'s list; None for the first."""
    if not cursor:
        return None
    try:
        sort_key = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError):
        sort_key = None
    if not isinstance(sort_key, str) or len(sort_key) > MAX_KEY:
        problem = message or "This list could not be continued. Reload the page."
        raise InvalidInputError(problem, {"cursor": "Reload the page."})
    return {owner_name: {"S": owner}, sort_name: {"S": sort_key}}
