"""Counting sign-in attempts so that they hold under concurrency: one atomic conditional update per attempt.

An attempt takes a slot before its password is checked: the update adds one only while the window is open and
has slots left, or opens a new window when the last one has passed. Twenty-four guesses sent at once take at most
`limit` slots; the rest are refused without their passwords ever being compared.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.log import logger
from chalicelib.models import SignInThrottle


def email_key(email: str) -> str:
    """The key for one email address: hashed, so the table holds no addresses (known or not)."""
    return "email#" + hashlib.sha256(email.encode("utf-8")).hexdigest()


def _refused(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def take_slot(key: str, limit: int, window: timedelta, now: datetime) -> bool:
    """Take one attempt's slot for `key`; False when `limit` attempts were already made in this window."""
    item = SignInThrottle(key=key)
    opened_after = now - window
    for _ in range(2):  # a second try only if another attempt opened a new window at the same moment
        try:
            item.update(
                actions=[SignInThrottle.attempts.add(1)],
                condition=(SignInThrottle.window_start > opened_after) & (SignInThrottle.attempts < limit),
            )
            return True
        except UpdateError as error:
            if not _refused(error):
                raise
        try:
            item.update(
                actions=[
                    SignInThrottle.attempts.set(1),
                    SignInThrottle.window_start.set(now),
                    SignInThrottle.expires_at.set(now + window),
                ],
                condition=SignInThrottle.window_start.does_not_exist() | (SignInThrottle.window_start <= opened_after),
            )
            return True
        except UpdateError as error:
            if not _refused(error):
                raise
        # Neither: the window is open and full (locked), or someone opened a new one since our first try.
    return False


def give_back(key: str) -> None:
    """Return a slot (a successful attempt from a shared address should not count against the others)."""
    try:
        SignInThrottle(key=key).update(actions=[SignInThrottle.attempts.add(-1)], condition=SignInThrottle.attempts > 0)
    except UpdateError as error:
        if not _refused(error):
            raise


def clear(key: str) -> None:
    """Start the count afresh (after the right password). Deleting a count that is not there is no error; if
    DynamoDB fails here the sign-in still stands, and the old count only runs out with its window."""
    try:
        SignInThrottle(key=key).delete()
    except DeleteError:
        logger.warning("a sign-in count was not cleared")
