"""What an admin does to an account (a lost phone, a leaver): each ends the account's sessions and is audited."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib import audit, people
from chalicelib.auth import accounts, second_factor
from chalicelib.models import Staff


def _act(staff_id: str, admin: Staff, source: dict, what: str, apply: Callable[[Staff], object]) -> dict:
    member = people.account(staff_id)
    apply(member)
    audit.record(f"staff#{member.staff_id}", admin.staff_id, what, source)
    return {"staff": people.admin_row(people.account(staff_id))}


def reset_second_factor(staff_id: str, admin: Staff, source: dict) -> dict:
    """The account sets up its authenticator app again at its next sign-in."""
    return _act(staff_id, admin, source, "reset the second factor", second_factor.reset)


def email_works_again(staff_id: str, admin: Staff, source: dict) -> dict:
    """SES's bounce or complaint is dealt with: Lantern emails the account again (chalicelib/email_feedback.py)."""
    from chalicelib import email_feedback

    member = people.account(staff_id)
    email_feedback.clear(member, admin, source)
    return {"staff": people.admin_row(people.account(staff_id))}


def disable_account(staff_id: str, admin: Staff, source: dict) -> dict:
    """The account can no longer sign in and gets no more email."""
    return _act(staff_id, admin, source, "disabled the account", accounts.disable)
