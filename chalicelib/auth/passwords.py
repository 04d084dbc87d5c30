"""Password policy and hashing (argon2id).

The policy is NCSC-style: length, not composition. At least 12 characters; refused when it is one of the most
common passwords, contains the school's name or the user's email, or is one character pattern repeated.

>>> password_problem("correct horse battery", school_name="The Mead", email="a.b@themead.example.org")
>>> password_problem("password1234", school_name="The Mead", email="a.b@themead.example.org")
'This is one of the most common passwords. Choose something harder to guess.'
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@cache
def _hasher():
    from argon2 import PasswordHasher  # argon2id with RFC 9106 defaults

    return PasswordHasher()


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _squashed(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def password_problem(password: str, *, school_name: str, email: str) -> str | None:
    """The reason a new password is refused, in words for the person choosing it, or None if it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. You have used {len(password)}."
    if len(password) > MAX_LENGTH:
        return f"Use {MAX_LENGTH} characters or fewer."
    lowered = password.lower()
    if lowered in common_passwords() or lowered.rstrip("0123456789!.?") in common_passwords():
        return "This is one of the most common passwords. Choose something harder to guess."
    squashed = _squashed(password)
    if _squashed(school_name) and _squashed(school_name) in squashed:
        return "Do not use the school's name in your password."
    local_part = _squashed(email.split("@")[0])
    if (len(local_part) >= 4 and local_part in squashed) or email.lower() in lowered:
        return "Do not use your email address in your password."
    if len(set(lowered)) < 5:
        return "This password repeats a few characters and is easy to guess. Choose something less predictable."
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, do the same work against a dummy so timing gives nothing away."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher().hash("lantern-timing-equaliser")
