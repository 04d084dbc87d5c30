"""PynamoDB models. One table per kind of record, named `<prefix><kind>` where the prefix is the school's stack
(`lantern-themead-`), so no school can ever read another's data. Every request path is GetItem, Query or a
transaction: the key design of each table is in its docstring.

Tables are bound to their names on first use (`bind`), never at import: importing creates no connection.
"""

from __future__ import annotations

import os

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class StaffByEmail(GlobalSecondaryIndex):
    """GSI `by-email`. PK: email (lower case) → the account for sign-in and set-password requests."""

    class Meta:
        index_name = "by-email"
        projection = KeysOnlyProjection()

    email = UnicodeAttribute(hash_key=True)


class Staff(Model):
    """A member of staff with a Lantern account.

    Table `<prefix>staff`. PK: `staff_id` (random UUID). GSI `by-email` finds an account by its email.
    `failed_logins` counts failed sign-ins since `failed_logins_since` (a 15-minute window).
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
    failed_logins = NumberAttribute(default=0)
    failed_logins_since = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    by_email = StaffByEmail()


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
    """

    class Meta:
        table_name = "sessions"

    token_hash = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    by_staff = SessionsByStaff()


class PasswordLink(Model):
    """A single-use set-password link.

    Table `<prefix>password-links`. PK: `token_hash` (SHA-256 of the emailed token). Deleted when used, in the
    same transaction that sets the password; expiry is checked in code, `expires_at` (TTL) only tidies up.
    """

    class Meta:
        table_name = "password-links"

    token_hash = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class Pupil(Model):
    """A pupil on the school's roll.

    Table `<prefix>pupils`. PK: `pupil_id` (random UUID). `upn` is the DfE unique pupil number from the MIS.
    """

    class Meta:
        table_name = "pupils"

    pupil_id = UnicodeAttribute(hash_key=True)
    upn = UnicodeAttribute()
    first_name = UnicodeAttribute()
    preferred_name = UnicodeAttribute()
    last_name = UnicodeAttribute()
    date_of_birth = UnicodeAttribute()
    year_group = UnicodeAttribute()
    class_name = UnicodeAttribute()
    sen = UnicodeAttribute(default="None")
    pupil_premium = BooleanAttribute(default=False)
    eal = BooleanAttribute(default=False)
    looked_after = BooleanAttribute(default=False)
    cp_plan = BooleanAttribute(default=False)
    on_roll = BooleanAttribute(default=True)


MODELS: dict[str, type[Model]] = {
    "staff": Staff,
    "sessions": LoginSession,
    "password-links": PasswordLink,
    "pupils": Pupil,
}

_bound_prefix: str | None = None


def bind(prefix: str | None = None) -> str:
    """Name every table `<prefix><kind>`; the prefix defaults to `LANTERN_TABLE_PREFIX`. Idempotent."""
    global _bound_prefix
    prefix = prefix if prefix is not None else os.environ.get("LANTERN_TABLE_PREFIX", "")
    if not prefix:
        raise RuntimeError("LANTERN_TABLE_PREFIX is not set: it names the school's tables, like 'lantern-themead-'")
    if prefix != _bound_prefix:
        for kind, model in MODELS.items():
            model.Meta.table_name = f"{prefix}{kind}"
            model._connection = None
        _bound_prefix = prefix
    return prefix


def create_tables() -> None:
    """Create any missing table (local mode and tests; deployed stacks get theirs from the template)."""
    bind()
    for model in MODELS.values():
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
