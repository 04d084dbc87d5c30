"""My planner: a person's own reminders (and their actions' follow-ups), emailed when due by the reminder job.

Nobody sees another person's planner: every read is a Query of the owner's own `by-owner` index, and a reminder
is found for a change or a delete only within it. A reminder's id is its `due` sort key (no pupil data in it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import access
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidInputError, LanternError, NotFoundError
from chalicelib.incidents import review
from chalicelib.incidents.form import Problems, read_planner
from chalicelib.models import Incident, PlannerReminder, Staff, refused_by_a_condition
from chalicelib.settings import SchoolSettings

if TYPE_CHECKING:
    from chalicelib.web.requests import NewReminder, ReminderChange, ReminderDelete

PROBLEM = "There is a problem with the reminder. Nothing has been saved yet."
_REMINDER_IDS = uuid.UUID("0d3f2b9e-5a7c-4f61-8a2e-6c1b9e4d7a35")
PAST_SHOWN = 50
ID_MAX = 120  # a reminder's id (its `due` sort key)


class NoSuchReminderError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("This reminder is not in your planner any more. Reload the page.")


def row(school: SchoolSettings, reminder: PlannerReminder, references: dict[str, str] | None = None) -> dict:
    """A reminder as the planner and the dashboard show it: school time, the incident by reference only."""
    local = reminder.due_at.astimezone(school.zone)
    incident = None
    if reminder.incident_id:
        reference = (references or {}).get(reminder.incident_id) or f"LAN-{reminder.incident_id[:8].upper()}"
        incident = {"id": reminder.incident_id, "reference": reference}
    return {
        "id": reminder.due,
        "due_at": reminder.due_at.isoformat(),
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "note": reminder.note,
        "kind": reminder.kind,
        "incident": incident,
        "sent": reminder.queued_at is not None,
    }


def due_between(staff_id: str, start: datetime, end: datetime) -> list[PlannerReminder]:
    """One person's reminders due in [start, end], newest first (one Query of `by-owner`)."""
    return list(
        PlannerReminder.by_owner.query(
            staff_id,
            PlannerReminder.due.between(start.isoformat(), f"{end.isoformat()}#~"),
            scan_index_forward=False,
        )
    )


def my_planner(school: SchoolSettings, user: Staff, now: datetime | None = None) -> dict:
    """Upcoming reminders (soonest first) and the most recent past ones (newest first)."""
    now = now or utcnow()
    cut = now.isoformat()
    upcoming = list(PlannerReminder.by_owner.query(user.staff_id, PlannerReminder.due > cut))
    past = list(
        PlannerReminder.by_owner.query(
            user.staff_id, PlannerReminder.due <= cut, scan_index_forward=False, limit=PAST_SHOWN
        )
    )
    return {"upcoming": [row(school, r) for r in upcoming], "past": [row(school, r) for r in past]}


def _readable_incident(school: SchoolSettings, user: Staff, incident_id: str, check: Problems, source: dict):
    """The incident a reminder is about, if the user may read it (else a problem, audited as a refusal)."""
    if not incident_id:
        return None
    try:
        incident, level = review.load_for(school, user, incident_id, source, what="added a planner reminder")
    except LanternError:
        check.fail("incident_id", "You cannot add a reminder about this incident. Remove it and try again.")
        return None
    if level != access.FULL:
        check.fail("incident_id", "You cannot add a reminder about this incident. Remove it and try again.")
        return None
    return incident


def add(school: SchoolSettings, user: Staff, form: NewReminder, source: dict, now: datetime | None = None) -> dict:
    """Add a reminder: a date and time (school time), a note, and the incident it is about, if any."""
    now = now or utcnow()
    check = Problems()
    planned = read_planner(check, form, school, now)
    form_key = form.idempotency_key
    incident: Incident | None = _readable_incident(school, user, form.incident_id, check, source)
    check.raise_any(PROBLEM)
    # The same form's key makes the same reminder: a retry after a lost answer finds it already there.
    key = str(uuid.uuid5(_REMINDER_IDS, f"{user.staff_id}#{form_key}")) if form_key else str(uuid.uuid4())
    reminder = PlannerReminder.due_for(
        planned.due_at,
        user.staff_id,
        incident.incident_id if incident else None,
        planned.note,
        key=key,
        created_at=now,
    )
    try:
        reminder.save(condition=PlannerReminder.due.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    references = {incident.incident_id: incident.reference} if incident else {}
    return {"reminder": row(school, reminder, references)}


def change(
    school: SchoolSettings, user: Staff, form: ReminderChange, source: dict, now: datetime | None = None
) -> dict:
    """Move or reword one of my reminders that has not been sent. The due time is the key, so the reminder is
    re-keyed in one transaction (the old one removed only if still unsent)."""
    now = now or utcnow()
    check = Problems()
    current = _mine(user, form.id)
    planned = read_planner(check, form, school, now)
    check.raise_any(PROBLEM)
    key = current.due.split("#", 1)[1]
    moved = PlannerReminder.due_for(
        planned.due_at,
        user.staff_id,
        current.incident_id,
        planned.note,
        key=key,
        action_id=current.action_id,
        kind=current.kind,
        created_at=current.created_at or now,
    )
    try:
        with TransactWrite(connection=Connection()) as transaction:
            unsent = PlannerReminder.queued_at.does_not_exist()
            if moved.due == current.due:
                transaction.update(current, actions=[PlannerReminder.note.set(planned.note)], condition=unsent)
            else:
                transaction.delete(current, condition=unsent)
                transaction.save(moved, condition=PlannerReminder.due.does_not_exist())
    except TransactWriteError as error:
        if not refused_by_a_condition(error):
            raise  # DynamoDB did not answer: not the person's doing (the page says try again)
        sent = "This reminder has just been sent, so it cannot be changed. Add a new one."
        raise InvalidInputError(sent, {"date": sent}) from None
    return {"reminder": row(school, moved)}


def delete(user: Staff, form: ReminderDelete) -> dict:
    """Delete one of my reminders (sent or not)."""
    _mine(user, form.id).delete()
    return {"deleted": True}


def _mine(user: Staff, reminder_id: str) -> PlannerReminder:
    """One of the user's own reminders by id, found only in their own planner."""
    if not reminder_id:
        raise NoSuchReminderError()
    for reminder in PlannerReminder.by_owner.query(user.staff_id, PlannerReminder.due == reminder_id, limit=1):
        return reminder
    raise NoSuchReminderError()
