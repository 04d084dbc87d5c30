"""Signing in: attempts counted per email and source address, and set-password links. Only the sign-in and
password routes use them, so no other request builds these models.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models import name_tables


class SignInThrottle(Model):
    """Sign-in attempts in a 15-minute window, per email (known or not, so a lock-out reveals nothing) and per
    source address. Each attempt takes a slot with one conditional update *before* its password is checked, so
    parallel guesses cannot outrun the count.

    Table `<prefix>throttle`. PK: `key` = `email#<SHA-256 of the address>` or `ip#<address>`. `expires_at` (TTL)
    only tidies up; the window is checked in code.
    """

    class Meta:
        table_name = "throttle"

    key = UnicodeAttribute(hash_key=True)
    attempts = NumberAttribute(default=0)
    window_start = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


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


name_tables({"password-links": PasswordLink, "throttle": SignInThrottle})
