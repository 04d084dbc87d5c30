"""The password policy: length, not composition; common, school-name and email passwords refused."""

from __future__ import annotations

import pytest

from chalicelib.auth.passwords import common_passwords, hash_password, password_problem, verify_password

SCHOOL, EMAIL = "The Mead", "hannah.lewis@themead.example.org"


@pytest.mark.parametrize(
    "password",
    ["kettle orchard lantern swim", "correct horse battery staple", "Bluebell_Tuesday_1987", "ÉtéàLondres2026!"],
)
def test_long_uncommon_passwords_pass_without_composition_rules(password):
    assert password_problem(password, school_name=SCHOOL, email=EMAIL) is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("elevenchars", "at least 12 characters. You have used 11"),
        ("x" * 257, "256 characters or fewer"),
        ("password1234", "most common"),
        ("PASSWORD1234", "most common"),
        ("iloveyou12345678", "most common"),  # a common word with digits added
        ("monkey12345678!", "most common"),
        ("themead-is-great", "school's name"),
        ("TheMeadRocks2026", "school's name"),
        ("hannahlewis-2026", "email address"),
        ("aaaaaaaaaaaaaaaa", "easy to guess"),
        ("abcabcabcabcabc", "easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, reason):
    assert reason in password_problem(password, school_name=SCHOOL, email=EMAIL)


def test_the_shipped_list_is_loaded_lower_case_without_comments():
    words = common_passwords()
    assert len(words) > 9000
    assert "password1234" in words
    assert not any(word.startswith("#") for word in words)
    assert all(word == word.lower() for word in words)


def test_hashes_are_argon2id_and_verify():
    stored = hash_password("kettle orchard lantern swim")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "kettle orchard lantern swim")
    assert not verify_password(stored, "kettle orchard lantern swam")
    assert not verify_password(None, "anything at all")  # no account: still does the work, still no
    assert not verify_password("not a hash", "anything at all")
