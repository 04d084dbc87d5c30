"""The second factor for every role that reads records (leader, DSL, Head, admin): an authenticator app's code.

Signing in is then two steps. The password opens a *pending* session that can do only the second step (enrol or
enter a code) for ten minutes; every other route answers 401 with `next`. A code is used once: the time step it
belongs to is stored with a conditional update, so the same code (or an older one) never works twice, even sent
twice at once. Ten recovery codes, shown once at enrolment, are stored as argon2 hashes and each works once.
Attempts are counted like passwords (chalicelib/auth/throttle.py). A set-password link never skips this step:
setting a password signs nobody in.

A passkey (chalicelib/auth/passkeys.py) is the quicker way through the same step, for an account that has added
one: it is counted, accepted and refused here too (`take_attempt`, `accept`, `refuse`), so a code, a recovery code
and a passkey each end the step the same way, each in the account's audit trail (`staff#<id>`) and the log.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import NoReturn

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import audit
from chalicelib.auth import passwords, sessions, throttle
from chalicelib.clock import utcnow
from chalicelib.errors import ConflictError, InvalidInputError
from chalicelib.log import logger
from chalicelib.models import LoginSession, Staff
from chalicelib.settings import ROLES_WITH_SECOND_FACTOR

MAX_CODE_ATTEMPTS = 10  # per account per 15 minutes
RECOVERY_CODES = 10
ISSUER = "Lantern"
WRONG_CODE = "The code is not right or has already been used. Enter the newest code from your authenticator app."
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied by hand


def required(role: str) -> bool:
    return role in ROLES_WITH_SECOND_FACTOR


def next_step(staff: Staff) -> str:
    """What a pending session must do: "code" (enrolled) or "enrol"."""
    return "code" if staff.totp_secret else "enrol"


def start_pending(staff: Staff, now: datetime | None = None) -> str:
    """After the right password: a session that can only complete the second factor."""
    return sessions.start(staff.staff_id, now, stage=next_step(staff))


def _totp(secret: str):
    import pyotp

    return pyotp.TOTP(secret)


def enrolment(school_name: str, token: str | None, now: datetime | None = None) -> dict:
    """A new secret for the pending session (the same one until enrolment ends), as text, URI and QR code."""
    import segno

    session, staff = sessions.resume(token, now or utcnow(), stage="enrol")
    secret = session.pending_secret
    if not secret:
        import pyotp

        secret = pyotp.random_base32()
        session.update(actions=[LoginSession.pending_secret.set(secret)], condition=LoginSession.stage == "enrol")
    uri = _totp(secret).provisioning_uri(name=staff.email, issuer_name=f"{ISSUER} ({school_name})")
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#0b0c0c", light="#ffffff", omitsize=True)
    return {"secret": secret, "uri": uri, "qr_svg": svg}


def _code_text(value: str) -> str:
    """The code as typed (request model Code: text of at most 32 characters), without spaces, in lower case."""
    return "".join(value.split()).lower()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (of now, or one either side, for a slow phone clock) whose code this is."""
    totp = _totp(secret)
    here = totp.timecode(now)
    for step in (here - 1, here, here + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def take_attempt(staff: Staff, now: datetime) -> None:
    """Count one try at the second step (a code or a passkey), before it is checked."""
    if not throttle.take_slot(f"code#{staff.staff_id}", MAX_CODE_ATTEMPTS, timedelta(minutes=15), now):
        raise InvalidInputError(
            "Too many codes were tried. Wait 15 minutes, then try again.", {"code": "Wait 15 minutes."}
        )


def _use_step(staff: Staff, step: int) -> bool:
    """Mark a time step used; False if it (or a later one) already was: a code works once."""
    try:
        staff.update(
            actions=[Staff.totp_last_step.set(step)],
            condition=Staff.totp_last_step.does_not_exist() | (Staff.totp_last_step < step),
        )
        return True
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def _use_recovery_code(staff: Staff, code: str) -> bool:
    for index, stored in enumerate(staff.recovery_hashes or []):
        if passwords.verify_password(stored, code):
            try:
                staff.update(
                    actions=[Staff.recovery_hashes[index].remove()],
                    condition=Staff.recovery_hashes[index] == stored,
                )
                return True
            except UpdateError:
                return False  # used a moment ago by another request
    return False


def accept(session: LoginSession, staff: Staff, method: str, source: dict | None = None) -> Staff:
    """The second step is done (`method`: "a code", "a recovery code" or "a passkey"): audited, then the pending
    sign-in becomes a full session. The one way a sign-in gets past this step."""
    audit.record(f"staff#{staff.staff_id}", staff.staff_id, f"signed in with {method}", source or {})
    sessions.upgrade(session)
    logger.info("second factor accepted", extra={"staff_id": staff.staff_id, "method": method})
    return staff


def refuse(staff: Staff, reason: str, message: str, source: dict | None = None, field: str = "code") -> NoReturn:
    """A try at the second step that failed: audited and logged (`reason`, never a code), answered with `message`."""
    audit.record(f"staff#{staff.staff_id}", staff.staff_id, f"second factor refused: {reason}", source or {})
    logger.info("second factor refused", extra={"staff_id": staff.staff_id, "reason": reason})
    raise InvalidInputError(message, {field: message})


def complete(token: str, value: str, now: datetime | None = None, source: dict | None = None) -> Staff:
    """Check a code (or a recovery code) for a pending "code" session and make it a full session."""
    now = now or utcnow()
    session, staff = sessions.resume(token, now, stage="code")
    code = _code_text(value)
    take_attempt(staff, now)
    step = _matching_step(staff.totp_secret, code, now) if code.isdigit() and len(code) == 6 else None
    ok = _use_step(staff, step) if step is not None else (len(code) > 6 and _use_recovery_code(staff, code))
    if not ok:
        refuse(staff, "wrong or used code", WRONG_CODE, source)
    return accept(session, staff, "a code" if step is not None else "a recovery code", source)


def enrol(token: str, value: str, now: datetime | None = None, source: dict | None = None) -> tuple[Staff, list[str]]:
    """Confirm enrolment with a first code: store the secret and ten recovery codes, make the session full."""
    now = now or utcnow()
    session, staff = sessions.resume(token, now, stage="enrol")
    code = _code_text(value)
    take_attempt(staff, now)
    secret = session.pending_secret
    step = _matching_step(secret, code, now) if secret and code.isdigit() and len(code) == 6 else None
    if step is None:
        raise InvalidInputError(WRONG_CODE, {"code": WRONG_CODE})
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    try:
        with TransactWrite(connection=Connection()) as transaction:
            transaction.update(
                staff,
                actions=[
                    Staff.totp_secret.set(secret),
                    Staff.totp_last_step.set(step),
                    Staff.recovery_hashes.set([passwords.hash_password(c) for c in codes]),
                    Staff.second_factor_at.set(now),
                ],
                condition=Staff.totp_secret.does_not_exist(),
            )
            transaction.update(
                session,
                actions=[LoginSession.stage.set("full"), LoginSession.pending_secret.remove()],
                condition=LoginSession.stage == "enrol",
            )
    except TransactWriteError:
        raise ConflictError("Your authenticator app was set up a moment ago. Log in again.") from None
    audit.record(f"staff#{staff.staff_id}", staff.staff_id, "set up an authenticator app", source or {}, now)
    logger.info("second factor enrolled", extra={"staff_id": staff.staff_id})
    return staff, codes


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def reset(staff: Staff, now: datetime | None = None) -> None:
    """An admin's reset (a lost phone): the account enrols again at its next sign-in, its passkeys are removed
    too, and its sessions end."""
    staff.update(
        actions=[
            Staff.totp_secret.remove(),
            Staff.passkeys.remove(),
            Staff.totp_last_step.remove(),
            Staff.recovery_hashes.remove(),
            Staff.second_factor_at.remove(),
            Staff.sessions_ended_at.set(now or utcnow()),
        ]
    )
    sessions.end_all(staff.staff_id)
