"""What SES says happened to the email Lantern sent: hard bounces and complaints.

Every email goes out with the stack's SES configuration set, whose event destination publishes bounces and
complaints to an SNS topic; `handle` (app.py `email_feedback`) reads each notification. An address that bounced
for good (the mailbox does not exist) or whose owner marked Lantern as spam is marked on the account
(`Staff.email_problem`): the outbox stops sending to it (each send would bounce again and hurt every school's
sending reputation), the admins are told at once so they can correct it, the admin page shows it, and the DSL
team's digest lists it (that person gets no alert by email). The admin's "Emails work again" clears it; a
corrected address comes from the MIS as a new account (staff files are matched by email), and a whole-roster import
disables the old one. Transient bounces (a full mailbox) change nothing: SES retries those.

Nothing here logs an address: only counts.

>>> problems_in({"notificationType": "Bounce", "bounce": {"bounceType": "Permanent",
...     "bouncedRecipients": [{"emailAddress": "Old.Teacher@School.example.org"}]}})
[('old.teacher@school.example.org', 'bounced')]
>>> problems_in({"eventType": "Bounce", "bounce": {"bounceType": "Transient", "bouncedRecipients": []}})
[]
"""

from __future__ import annotations

import json
from datetime import datetime

from chalicelib import audit
from chalicelib.clock import utcnow
from chalicelib.log import logger
from chalicelib.models import Staff
from chalicelib.settings import SchoolSettings

BOUNCED, COMPLAINED = "bounced", "marked as spam"
# SES's own name, as the audit trail's actor (no person did this).
SES_SOURCE = {"ip": "-", "user_agent": "Amazon SES feedback"}


def problems_in(notification: dict) -> list[tuple[str, str]]:
    """(address in lower case, problem) for each recipient the notification says Lantern must stop emailing.
    Reads both SES's identity notifications (`notificationType`) and configuration-set events (`eventType`)."""
    kind = notification.get("notificationType") or notification.get("eventType")
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        recipients, problem = bounce.get("bouncedRecipients") or [], BOUNCED
    elif kind == "Complaint":
        recipients, problem = (notification.get("complaint") or {}).get("complainedRecipients") or [], COMPLAINED
    else:
        return []
    return [
        (recipient["emailAddress"].strip().lower(), problem)
        for recipient in recipients
        if isinstance(recipient, dict) and isinstance(recipient.get("emailAddress"), str)
    ]


def handle(school: SchoolSettings, message: str, now: datetime | None = None) -> int:
    """One SNS message from SES: mark each account concerned and tell the admins. Returns how many accounts were
    newly marked. A message that is not SES feedback is logged and dropped (SNS would only redeliver it)."""
    now = now or utcnow()
    try:
        notification = json.loads(message)
    except (TypeError, ValueError):
        logger.warning("email feedback: the message is not JSON; dropped")
        return 0
    if not isinstance(notification, dict):
        return 0
    marked = 0
    for address, problem in problems_in(notification):
        for member in _accounts_with(address):
            if _mark(member, address, problem, now):
                marked += 1
                _tell_admins(member, problem, now)
    logger.info("email feedback read", extra={"accounts_marked": marked})
    return marked


def clear(member: Staff, admin: Staff, source: dict) -> None:
    """An admin says the address works again (a complaint made by mistake, a mailbox restored): audited."""
    member.update(actions=[Staff.email_problem.remove(), Staff.email_problem_at.remove()])
    audit.record(f"staff#{member.staff_id}", admin.staff_id, "cleared the email problem", source)


def _accounts_with(address: str) -> list[Staff]:
    found = []
    for key in Staff.by_email.query(address):
        try:
            found.append(Staff.get(key.staff_id, consistent_read=True))
        except Staff.DoesNotExist:
            continue
    return found


def _mark(member: Staff, address: str, problem: str, now: datetime) -> bool:
    """Mark once (SNS may deliver a message twice), and only while the account still has that address."""
    from pynamodb.exceptions import UpdateError

    try:
        member.update(
            actions=[Staff.email_problem.set(problem), Staff.email_problem_at.set(now)],
            condition=(Staff.email == address) & Staff.email_problem.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    audit.record(f"staff#{member.staff_id}", "ses", f"email {problem}", SES_SOURCE, now)
    return True


def _tell_admins(member: Staff, problem: str, now: datetime) -> None:
    """An email to each active admin (whose own address works): who, and what to do. Never the address."""
    from pynamodb.exceptions import PutError

    from chalicelib import outbox

    for admin in Staff.in_directory.query("active", filter_condition=Staff.role == "admin"):
        if admin.staff_id == member.staff_id:
            continue
        item = outbox.item(
            "email_problem",
            admin.staff_id,
            f"email-problem#{member.staff_id}#{now.date().isoformat()}",
            {"staff_name": member.name, "problem": problem},
            now,
        )
        try:
            item.save(condition=outbox.OutboxItem.outbox_id.does_not_exist())
        except PutError as error:  # told already today
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
