"""Staff accounts: created by an admin, passwords set by an emailed single-use link, sign-in with a lock-out.

There is no self-registration. The same answer (and a similar time) is given whether or not an email is known.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import NamedTuple

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import outbox
from chalicelib.auth import passwords, second_factor, sessions, throttle
from chalicelib.clock import no_sooner_than, utcnow
from chalicelib.errors import ConflictError, InvalidInputError, NotSignedInError
from chalicelib.log import logger
from chalicelib.models import PasswordLink, Staff, refused_by_a_condition
from chalicelib.settings import ROLES, SchoolSettings

LINK_LIFETIME = timedelta(minutes=60)
LOCKOUT_WINDOW = timedelta(minutes=15)
MAX_FAILED_LOGINS = 10
MAX_PER_ADDRESS = 100  # a school's staff may all sign in from one address at 8:30
# Both branches of a set-password request take at least this long, so timing does not reveal who has an account.
FORGOT_RESPONSE_SECONDS = 0.5

SIGN_IN_REFUSED = (
    "The email or password is not right, or the account is locked for a few minutes. Try again, or reset your password."
)
LINK_UNUSABLE = (
    "This link has expired or has already been used. Ask for a new link from the log in page "
    "(Forgotten your password or using Lantern for the first time?)."
)


class SignInRefusedError(NotSignedInError):
    def __init__(self) -> None:
        super().__init__(SIGN_IN_REFUSED)


class AccountExistsError(ConflictError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Staff | None:
    """The account with this email, or None (one Query on `by-email`, one GetItem)."""
    for key in Staff.by_email.query(normalise_email(email), limit=1):
        try:
            return Staff.get(key.staff_id, consistent_read=True)
        except Staff.DoesNotExist:
            return None
    return None


def create_staff(
    *,
    email: str,
    name: str,
    role: str,
    title: str = "",
    now: datetime | None = None,
    link_from: SchoolSettings | None = None,
) -> Staff:
    """Create an account with no password; the person sets one through an emailed link. With `link_from` (the
    school), the account and its first set-password link are written in one transaction: an account is never
    left without the email that lets its owner in, whatever fails."""
    if role not in ROLES:
        raise InvalidInputError(f"Role must be one of {', '.join(ROLES)}.", {"role": "Choose a role."})
    if find_by_email(email) is not None:
        raise AccountExistsError(f"An account with the email {normalise_email(email)} already exists.")
    now = now or utcnow()
    staff = Staff(
        staff_id=str(uuid.uuid4()),
        email=normalise_email(email),
        name=name.strip(),
        role=role,
        title=title.strip(),
        created_at=now,
        directory="active",
    )
    if link_from is None:
        staff.save()
        return staff
    with TransactWrite(connection=Connection()) as transaction:
        hashed = _add_link(transaction, link_from, staff, now)
        staff.link_hash = hashed
        transaction.save(staff, condition=Staff.staff_id.does_not_exist())
    return staff


def send_password_link(school: SchoolSettings, staff: Staff, now: datetime | None = None) -> None:
    """Email `staff` a single-use set-password link, built from the school's configured URL."""
    now = now or utcnow()
    with TransactWrite(connection=Connection()) as transaction:  # the link exists exactly when its email does
        hashed = _add_link(transaction, school, staff, now)
        # Only the newest link works: this one replaces any sent before.
        transaction.update(staff, actions=[Staff.link_hash.set(hashed)], condition=Staff.staff_id.exists())


def _add_link(transaction: TransactWrite, school: SchoolSettings, staff: Staff, now: datetime) -> str:
    """A new link and its email, in the caller's transaction; returns the token's hash (the account's link_hash)."""
    token, hashed = sessions.new_token()
    context = {
        "link": f"{school.url}/set-password.html#token={token}",
        "minutes": int(LINK_LIFETIME.total_seconds() // 60),
    }
    transaction.save(
        PasswordLink(token_hash=hashed, staff_id=staff.staff_id, created_at=now, expires_at=now + LINK_LIFETIME)
    )
    # Keyed by the token's hash (not the token): the outbox erases the link from the item once sent.
    transaction.save(outbox.item("set_password", staff.staff_id, f"password-link#{hashed}", context, now))
    return hashed


def request_password_link(school: SchoolSettings, email: str, now: datetime | None = None) -> None:
    """'Forgotten your password or using Lantern for the first time?': email a link if the account exists."""
    with no_sooner_than(FORGOT_RESPONSE_SECONDS):
        staff = find_by_email(email)
        if staff is not None and staff.active:
            send_password_link(school, staff, now)
            logger.info("set-password link sent", extra={"staff_id": staff.staff_id})
        else:
            logger.info("set-password link requested for an unknown or inactive account")


def set_password(school: SchoolSettings, token: str, password: str, now: datetime | None = None) -> Staff:
    """Use a set-password link: check it, check the password, store its hash and use up the link in one
    transaction, then end every session of the account and email a notice."""
    now = now or utcnow()
    try:
        link = PasswordLink.get(sessions.token_hash(token), consistent_read=True)
    except PasswordLink.DoesNotExist:
        link = None
    if link is None or now - link.created_at > LINK_LIFETIME:
        raise InvalidInputError(LINK_UNUSABLE, {"token": LINK_UNUSABLE})
    try:
        staff = Staff.get(link.staff_id, consistent_read=True)
    except Staff.DoesNotExist:
        raise InvalidInputError(LINK_UNUSABLE, {"token": LINK_UNUSABLE}) from None
    if not staff.active or staff.link_hash != link.token_hash:  # a newer link was sent, or one was used
        raise InvalidInputError(LINK_UNUSABLE, {"token": LINK_UNUSABLE})
    problem = passwords.password_problem(password, school_name=school.name, email=staff.email)
    if problem:
        raise InvalidInputError(problem, {"password": problem})

    try:
        with TransactWrite(connection=Connection()) as transaction:
            transaction.delete(link, condition=PasswordLink.token_hash.exists())
            transaction.update(
                staff,
                actions=[
                    Staff.password_hash.set(passwords.hash_password(password)),
                    Staff.password_changed_at.set(now),
                    Staff.sessions_ended_at.set(now),
                    Staff.link_hash.remove(),  # every link sent so far is now used up
                ],
                condition=Staff.link_hash == link.token_hash,
            )
            transaction.save(
                outbox.item("password_changed", staff.staff_id, f"password-changed#{link.token_hash}", {}, now)
            )
    except TransactWriteError as error:
        if not refused_by_a_condition(error):
            raise  # DynamoDB did not answer: the link still works, and the page says try again
        # Someone used the same link a moment ago: nothing was written.
        raise InvalidInputError(LINK_UNUSABLE, {"token": LINK_UNUSABLE}) from None
    sessions.end_all(staff.staff_id)
    logger.info("password set", extra={"staff_id": staff.staff_id})
    return staff


class SignedIn(NamedTuple):
    staff: Staff
    token: str
    next: str | None = None  # "code" or "enrol" while the second factor is still to do


def sign_in(email: str, password: str, now: datetime | None = None, source_ip: str = "") -> SignedIn:
    """Check email and password: at most `MAX_FAILED_LOGINS` attempts per email address and `MAX_PER_ADDRESS` per
    source address in 15 minutes, each counted before its password is checked (so parallel guesses gain nothing).

    Unknown email, wrong password and a locked account all give the same `SignInRefusedError`, after the same work.
    """
    now = now or utcnow()
    email_key = throttle.email_key(normalise_email(email))
    allowed = throttle.take_slot(email_key, MAX_FAILED_LOGINS, LOCKOUT_WINDOW, now)
    if source_ip:
        allowed = throttle.take_slot(f"ip#{source_ip}", MAX_PER_ADDRESS, LOCKOUT_WINDOW, now) and allowed
    staff = find_by_email(email)
    # Always run the (slow) hash check, even when the answer is already no, so timing tells nothing.
    password_ok = passwords.verify_password(staff.password_hash if staff else None, password)
    if not allowed or staff is None or not staff.active or not password_ok:
        logger.info("sign-in refused", extra={"staff_id": staff.staff_id if staff else None, "locked": not allowed})
        raise SignInRefusedError()
    throttle.clear(email_key)  # the right password: this address's count starts afresh
    if source_ip:
        throttle.give_back(f"ip#{source_ip}")  # a school's staff share one address: count only failures there
    if second_factor.required(staff.role):
        token = second_factor.start_pending(staff, now)
        logger.info("password accepted; second factor next", extra={"staff_id": staff.staff_id})
        return SignedIn(staff=staff, token=token, next=second_factor.next_step(staff))
    token = sessions.start(staff.staff_id, now)
    logger.info("signed in", extra={"staff_id": staff.staff_id})
    return SignedIn(staff=staff, token=token)


def disable(staff: Staff, now: datetime | None = None) -> Staff:
    """An admin disables an account: it can no longer sign in, gets no email, and every session of it ends."""
    staff.update(
        actions=[
            Staff.active.set(False),
            Staff.directory.remove(),
            Staff.link_hash.remove(),
            Staff.sessions_ended_at.set(now or utcnow()),
        ]
    )
    sessions.end_all(staff.staff_id)
    return staff
