"""Accounts: staff and their sessions. Every signed-in request reads both first (the session, then its account), so
they are all the models a cold start builds.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models import name_tables


class StaffByEmail(GlobalSecondaryIndex):
    """GSI `by-email`. PK: email (lower case) → the account for sign-in and set-password requests."""

    class Meta:
        index_name = "by-email"
        projection = KeysOnlyProjection()

    email = UnicodeAttribute(hash_key=True)


class StaffDirectory(GlobalSecondaryIndex):
    """GSI `directory`, sparse. PK: directory = "active" on active accounts only → every active member of staff
    (the Alert and Assign to lists) in one Query; never projects password hashes."""

    class Meta:
        index_name = "directory"
        projection = IncludeProjection(["name", "title", "role", "email"])

    directory = UnicodeAttribute(hash_key=True)


class Passkey(MapAttribute):
    """One passkey (WebAuthn credential) of an account, kept in its `Staff.passkeys` list (chalicelib/auth/passkeys.py).
    Ids and the public key are base64url text; `sign_count` is the authenticator's counter, which must go up."""

    passkey_id = UnicodeAttribute()  # random, for the page's Remove button (never the credential id)
    credential_id = UnicodeAttribute()
    public_key = UnicodeAttribute()  # COSE key: public, nothing secret
    sign_count = NumberAttribute(default=0)
    label = UnicodeAttribute(default="Passkey")
    transports = ListAttribute(of=UnicodeAttribute, null=True)
    created_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)


class Staff(Model):
    """A member of staff with a Lantern account.

    Table `<prefix>staff`. PK: `staff_id` (random UUID). GSI `by-email` finds an account by its email; sparse GSI
    `directory` lists active accounts. Sign-in attempts are counted in `SignInThrottle`, not here.

    Passkeys live on the account (`passkeys`, a list of at most ten `Passkey` maps), not in a table of their own:
    the second step of signing in already knows the account from the pending session, so one GetItem finds its
    passkeys, and another account's passkey is never even looked at (no index by credential id is needed). A use
    moves its `sign_count` on with a conditional update of that list element; an admin's reset removes the list.
    """

    class Meta:
        table_name = "staff"

    staff_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    title = UnicodeAttribute(default="")
    active = BooleanAttribute(default=True)
    password_hash = UnicodeAttribute(null=True)
    password_changed_at = UTCDateTimeAttribute(null=True)
    link_hash = UnicodeAttribute(null=True)  # the one set-password link that works: the newest, until used
    sessions_ended_at = UTCDateTimeAttribute(null=True)  # sessions started before this have ended
    email_problem = UnicodeAttribute(null=True)  # SES said "bounced" or "marked as spam" (chalicelib/email_feedback)
    email_problem_at = UTCDateTimeAttribute(null=True)
    totp_secret = UnicodeAttribute(null=True)  # the authenticator app's shared secret (the table is KMS-encrypted)
    totp_last_step = NumberAttribute(null=True)  # the newest code's time step: no code works twice
    recovery_hashes = ListAttribute(of=UnicodeAttribute, null=True)  # argon2 hashes; each code works once
    second_factor_at = UTCDateTimeAttribute(null=True)  # when the authenticator app was set up
    passkeys = ListAttribute(of=Passkey, null=True)  # the quicker second factor, added once signed in
    created_at = UTCDateTimeAttribute()
    directory = UnicodeAttribute(null=True)
    by_email = StaffByEmail()
    in_directory = StaffDirectory()


class SessionsByStaff(GlobalSecondaryIndex):
    """GSI `by-staff`. PK: staff_id → every session of one account (to end them all)."""

    class Meta:
        index_name = "by-staff"
        projection = KeysOnlyProjection()

    staff_id = UnicodeAttribute(hash_key=True)


class LoginSession(Model):
    """A signed-in browser.

    Table `<prefix>sessions`. PK: `token_hash` (SHA-256 of the cookie's random token; the token itself is never
    stored). GSI `by-staff`. Idle and absolute limits are checked in code; `expires_at` (TTL) only tidies up.
    A passkey challenge is kept here, hashed, so it belongs to this browser's sign-in and ends with it.
    """

    class Meta:
        table_name = "sessions"

    token_hash = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    stage = UnicodeAttribute(default="full")  # "code" or "enrol" until the second factor is done
    pending_secret = UnicodeAttribute(null=True)  # the secret shown while enrolling, until confirmed
    # The one WebAuthn challenge this browser may answer (adding a passkey, or signing in with one): its SHA-256,
    # what it is for ("register" or "sign-in") and when it was made. Any answer uses it up.
    challenge_hash = UnicodeAttribute(null=True)
    challenge_purpose = UnicodeAttribute(null=True)
    challenge_at = UTCDateTimeAttribute(null=True)
    by_staff = SessionsByStaff()


name_tables({"staff": Staff, "sessions": LoginSession})
