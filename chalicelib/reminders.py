"""The reminder job: every minute, hand each planner reminder now due to the outbox, exactly once.

It Queries each UTC day's partition of the planner from its checkpoint (less an overlap, for writes that landed
late) to now: never a Scan, one Query per day bucket. Each due reminder is queued in one transaction that sets
its `queued_at` (on condition it was not set) and writes its outbox email, so two overlapping runs, or a run
after a crash, cannot send it twice; a job that was down catches up from its checkpoint and sends late, once.

The email carries the owner's note and a link to the incident only if they may still read it; never a pupil's
name or the account. An action's follow-up is not sent once the action is done.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import access, notify, outbox
from chalicelib.clock import utcnow
from chalicelib.incidents import review
from chalicelib.log import logger
from chalicelib.models import Incident, JobCheckpoint, PlannerReminder, Staff, refused_by_a_condition
from chalicelib.settings import SchoolSettings

JOB = "reminders"
OVERLAP = timedelta(minutes=10)  # re-read a little before the checkpoint: a reminder saved late is still found
FIRST_RUN_LOOKBACK = timedelta(days=1)
LONGEST_CATCH_UP = timedelta(days=31)  # after a longer outage, reminders older than this are not sent


def _days(start: datetime, end: datetime) -> list[str]:
    first, last = start.date(), end.date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def due_now(start: datetime, end: datetime) -> list[PlannerReminder]:
    """Reminders due in (start, end] not yet queued: one Query per UTC day between them."""
    found = []
    for day in _days(start, end):
        found += PlannerReminder.query(
            day,
            PlannerReminder.due.between(start.isoformat(), f"{end.isoformat()}#~"),
            filter_condition=PlannerReminder.queued_at.does_not_exist(),
            consistent_read=True,
        )
    return found


def queue_due(school: SchoolSettings, now: datetime | None = None) -> dict[str, int]:
    """Queue every reminder due since the checkpoint; move the checkpoint to now. Returns counts by outcome."""
    now = now or utcnow()
    checkpoint = _checkpoint(now)
    outcomes: dict[str, int] = {}
    due = due_now(checkpoint - OVERLAP, now)
    owners = {m.staff_id: m for m in Staff.batch_get({r.staff_id for r in due})} if due else {}
    incident_ids = {r.incident_id for r in due if r.incident_id}
    incidents = {i.incident_id: i for i in Incident.batch_get(incident_ids)} if incident_ids else {}
    for reminder in due:
        context = _email(school, reminder, owners.get(reminder.staff_id), incidents.get(reminder.incident_id or ""))
        try:
            outcome = queue_one(reminder, context, now)
        except Exception as error:  # noqa: BLE001 - the others go on; this one is tried again next run
            logger.error("reminder not queued; it will be tried again", extra={"error": type(error).__name__})
            outcome = "failed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if outcomes.get("failed"):  # a reminder must never be lost: the checkpoint stays until every one is queued
        return outcomes
    try:  # never moves back: an overlapping run that started earlier leaves a later checkpoint alone
        JobCheckpoint(job=JOB, done_until=now.isoformat()).save(
            condition=JobCheckpoint.done_until.does_not_exist() | (JobCheckpoint.done_until < now.isoformat())
        )
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    if outcomes:
        logger.info("reminders queued", extra={"outcomes": outcomes})
    return outcomes


def _checkpoint(now: datetime) -> datetime:
    try:
        done_until = JobCheckpoint.get(JOB, consistent_read=True).done_until
    except JobCheckpoint.DoesNotExist:
        done_until = None
    if done_until is None:
        return now - FIRST_RUN_LOOKBACK
    return max(datetime.fromisoformat(done_until), now - LONGEST_CATCH_UP)


def queue_one(reminder: PlannerReminder, context: dict | None, now: datetime) -> str:
    """Hand one reminder to the outbox with its email (None: no longer needed, only marked); "queued",
    "not needed" or "already queued"."""
    mark = [PlannerReminder.queued_at.set(now)]
    try:
        with TransactWrite(connection=Connection()) as transaction:
            transaction.update(reminder, actions=mark, condition=PlannerReminder.queued_at.does_not_exist())
            if context is not None:
                change_key = f"reminder#{reminder.due_day}#{reminder.due}"
                transaction.save(outbox.item("planner_reminder", reminder.staff_id, change_key, context, now))
    except TransactWriteError as error:
        if refused_by_a_condition(error):
            return "already queued"  # another run has it
        raise
    return "queued" if context is not None else "not needed"


def _email(
    school: SchoolSettings, reminder: PlannerReminder, owner: Staff | None, incident: Incident | None
) -> dict | None:
    """The reminder email's context, or None when it is no longer needed (owner gone, action done)."""
    if owner is None or not owner.active:
        return None
    link = None
    reference = None
    if reminder.incident_id:
        if incident is not None:
            if reminder.action_id and review.completion_of(reminder.action_id, review.events(incident.incident_id)):
                return None
            level = access.incident_access(
                owner.staff_id, owner.role, review.state_of(incident), list(incident.alerted_ids), school
            )
            if level != access.NONE:
                link, reference = notify.incident_link(school, incident.incident_id), incident.reference
    local = reminder.due_at.astimezone(school.zone)
    return {
        "note": reminder.note,
        "kind": reminder.kind,
        "due": f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}",
        "link": link,
        "reference": reference,
    }
