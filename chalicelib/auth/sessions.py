"""Sign-in sessions: an opaque random token in a cookie; only its SHA-256 is stored.

Limits are enforced here, in code (DynamoDB's TTL deletes late, if at all): 30 minutes idle, 12 hours in all.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from chalicelib.clock import utcnow
from chalicelib.errors import NotSignedInError, SecondFactorNeededError
from chalicelib.models import LoginSession, Staff

IDLE_LIMIT = timedelta(minutes=30)
ABSOLUTE_LIMIT = timedelta(hours=12)
# Writing last_seen_at on every request would double the writes; a minute's slack on a 30-minute limit is fine.
TOUCH_EVERY = timedelta(minutes=1)
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh random token (256 bits) and its hash."""
    import secrets  # only signing in makes a token: off the cold start of every other request

    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


PENDING_LIMIT = timedelta(minutes=10)  # to complete the second factor after the password
FULL = "full"


def start(staff_id: str, now: datetime | None = None, *, stage: str = FULL) -> str:
    """Open a session for `staff_id`; return the token for the cookie. A session in any `stage` but "full" (the
    second factor still to do: "code" or "enrol") can only complete that step."""
    now = now or utcnow()
    token, hashed = new_token()
    LoginSession(
        token_hash=hashed,
        staff_id=staff_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + (ABSOLUTE_LIMIT if stage == FULL else PENDING_LIMIT),
        stage=stage,
    ).save()
    return token


def upgrade(session: LoginSession) -> None:
    """The second factor is done: the pending session becomes a full one (its limits count from now on)."""
    session.update(
        actions=[LoginSession.stage.set(FULL), LoginSession.pending_secret.remove()],
        condition=LoginSession.stage != FULL,
    )


def resume(token: str | None, now: datetime | None = None, *, stage: str = FULL) -> tuple[LoginSession, Staff]:
    """The live session and its account for a cookie's token, or `NotSignedInError`; a session that has not
    completed the second factor only for that step (`stage`), else `SecondFactorNeededError`."""
    now = now or utcnow()
    if not token or len(token) > 100:
        raise NotSignedInError("Log in to carry on.")
    try:
        session = LoginSession.get(token_hash(token), consistent_read=True)
    except LoginSession.DoesNotExist:
        raise NotSignedInError("Log in to carry on.") from None
    pending = session.stage != FULL
    if pending and now - session.created_at > PENDING_LIMIT:
        session.delete()
        raise NotSignedInError("The time to enter your code has run out. Log in again.")
    if now - session.last_seen_at > IDLE_LIMIT or now - session.created_at > ABSOLUTE_LIMIT:
        session.delete()
        raise NotSignedInError()
    if session.stage != stage:
        if pending and stage == FULL:
            raise SecondFactorNeededError(session.stage)
        raise NotSignedInError("Log in to carry on.")
    try:
        staff = Staff.get(session.staff_id, consistent_read=True)
    except Staff.DoesNotExist:
        session.delete()
        raise NotSignedInError() from None
    ended = staff.sessions_ended_at
    if not staff.active or (ended is not None and session.created_at < ended):
        # Disabled, or signed in before the password was last set, the second factor reset or every session
        # ended: every older session ends with that change, even if ending them one by one (end_all) did not.
        session.delete()
        raise NotSignedInError()
    if now - session.last_seen_at >= TOUCH_EVERY:
        session.update(actions=[LoginSession.last_seen_at.set(now)])
    return session, staff


def end(token: str | None) -> None:
    """Log out: delete the session server-side (a no-op if it is already gone)."""
    if token and len(token) <= 100:
        LoginSession(token_hash=token_hash(token)).delete()


def end_all(staff_id: str) -> int:
    """End every session of one account (after a password change); return how many ended."""
    ended = 0
    for key in LoginSession.by_staff.query(staff_id):
        LoginSession(token_hash=key.token_hash).delete()
        ended += 1
    return ended
