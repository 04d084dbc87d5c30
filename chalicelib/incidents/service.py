"""Adding an incident: checked against the settings, stored whole in one transaction with its emails.

One transaction writes the incident, one chronology entry per pupil involved (with a check that each pupil is
on roll), one alert and one outbox email per recipient and the reporter's planner reminder: it all exists, or
none of it does, and the outbox sends the emails after (the request never waits for SES).

A double tap, a retry after a timeout or a resubmitted request adds one incident: the incident's id is made from
the reporter and the form's idempotency key, so a retry's transaction can only find the incident already there,
and answers with its receipt. Powertools idempotency in front of it answers repeats without a second attempt.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import access, audit, files, notify, outbox, people
from chalicelib.clock import utcnow
from chalicelib.errors import ConflictError, InvalidInputError, RepeatMismatchError, UnavailableError
from chalicelib.incidents.form import PROBLEM, Submission, parse_submission
from chalicelib.log import logger
from chalicelib.models import (
    IDEMPOTENCY_TABLE,
    Alert,
    BodyMark,
    ChronologyEntry,
    FileRef,
    Incident,
    PlannerReminder,
    Pupil,
    Staff,
    table_name,
)
from chalicelib.reports import patterns
from chalicelib.reports.keys import groups_of, report_month
from chalicelib.settings import SchoolSettings

if TYPE_CHECKING:
    from chalicelib.web.requests import NewIncident

IDEMPOTENCY_HOURS = 24
REASON_ORDER = ("assigned", "alerted", "head of school")
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems
_INCIDENT_IDS = uuid.UUID("5b0f6a52-8e0e-4c57-9a39-4c1f3f1f6a10")  # namespace of incident ids


def incident_id_for(reporter_id: str, idempotency_key: str) -> str:
    """The incident a form adds: the same reporter and form always give the same id."""
    return str(uuid.uuid5(_INCIDENT_IDS, f"{reporter_id}#{idempotency_key}"))


class StillAddingError(ConflictError):
    def __init__(self) -> None:
        super().__init__("This incident is still being added. Wait a moment, then choose Try again.")


class DifferentResubmissionError(RepeatMismatchError):
    def __init__(self) -> None:
        super().__init__("This form was already sent with different details. Reload the page to add a new incident.")


def add_incident(
    school: SchoolSettings,
    reporter: Staff,
    form: NewIncident,
    *,
    now: datetime | None = None,
    lambda_context=None,
    source: dict | None = None,
) -> dict:
    """Check a submission and add it once; return the reporter's receipt (the same receipt for a repeat)."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    now = now or utcnow()
    submission = resolve_pupils(parse_submission(form, school, now))  # every refusal before anything is written
    create, config = _idempotent_create()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    payload = form.model_dump(mode="json")  # a repeat must send the same (a changed one is refused)
    request = {"reporter_id": reporter.staff_id, "idempotency_key": submission.idempotency_key, "payload": payload}
    try:
        return create(
            request=request, school=school, reporter=reporter, submission=submission, now=now, source=source or {}
        )
    except IdempotencyAlreadyInProgressError:
        # Either another request is adding it right now, or one added it and then failed to record its answer
        # (a timeout, a lost write): the incident's own id tells which.
        try:
            return receipt(
                Incident.get(incident_id_for(reporter.staff_id, submission.idempotency_key)), people.directory()
            )
        except Incident.DoesNotExist:
            raise StillAddingError() from None
    except IdempotencyValidationError:
        raise DifferentResubmissionError() from None


UNKNOWN_PUPIL = "Lantern cannot find this student. Clear the box and choose the student from the list again."
UNKNOWN_LINKED = "Lantern cannot find a linked student. Remove them and choose them from the list again."


def resolve_pupils(submission: Submission) -> Submission:
    """The submission with each pupil reference replaced by the id of the pupil it names (chalicelib/people.py).

    A reference names exactly the pupil its roster answer offered, so a roster changed since the page loaded (a
    pupil added, one who left) never makes it name another child; one who has left since is refused by the
    transaction's on-roll check. A reference that names nobody is refused here, on its field, and so is the same
    pupil twice (two references from the page's answer and a restored draft's can name one child)."""
    ids = people.pupil_ids([submission.pupil_id, *submission.linked_pupil_ids])
    pupil_id = ids[submission.pupil_id]
    linked = [ids[ref] for ref in submission.linked_pupil_ids]
    problems = {}
    if pupil_id is None:
        problems["pupil_id"] = UNKNOWN_PUPIL
    if None in linked:
        problems["linked_pupil_ids"] = UNKNOWN_LINKED
    elif len(set(linked)) != len(linked):
        problems["linked_pupil_ids"] = "Linked students are listed twice."
    elif pupil_id in linked:
        problems["linked_pupil_ids"] = "The student this incident is about cannot also be a linked student."
    if problems:
        raise InvalidInputError(PROBLEM, problems)
    return submission._replace(pupil_id=pupil_id, linked_pupil_ids=linked)


@cache
def _idempotent_create():
    """Built on first use: Powertools' persistence layer creates its DynamoDB client when constructed."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    config = IdempotencyConfig(
        event_key_jmespath="[reporter_id, idempotency_key]",
        payload_validation_jmespath="payload",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_HOURS * 3600,
    )
    layer = DynamoDBPersistenceLayer(table_name=table_name(IDEMPOTENCY_TABLE))
    create = idempotent_function(data_keyword_argument="request", persistence_store=layer, config=config)(_create)
    return create, config


def _create(
    *, request: dict, school: SchoolSettings, reporter: Staff, submission: Submission, now: datetime, source: dict
) -> dict:
    staff = people.directory()
    recipients = _recipients(school, staff, reporter, submission)
    incident_id = incident_id_for(reporter.staff_id, submission.idempotency_key)
    taken: list[str] = []  # the uploads this try moved from pending to attached
    try:
        attached = [files.check_upload(reporter.staff_id, upload_id, taken) for upload_id in submission.upload_ids]
        return _save(school, reporter, submission, now, source, staff, recipients, attached, incident_id)
    except Exception:
        _release_unless_saved(incident_id, taken)
        raise


def _save(
    school: SchoolSettings,
    reporter: Staff,
    submission: Submission,
    now: datetime,
    source: dict,
    staff: dict[str, Staff],
    recipients: dict[str, str],
    attached: list,
    incident_id: str,
) -> dict:
    """The incident, its chronology entries, alerts, emails, pattern alerts, audit and reminder: one transaction."""
    reference = f"LAN-{incident_id[:8].upper()}"
    assigned_ids = [staff_id for staff_id, reason in recipients.items() if reason == "assigned"]
    # The pupils as they are now: their year group, class and flags go with the incident into reports, and the
    # school's pattern alerts are checked for the pupil it is about.
    involved = {p.pupil_id: p for p in Pupil.batch_get({submission.pupil_id, *submission.linked_pupil_ids})}
    rules = patterns.fired(school, submission.categories, submission.occurred_at, involved.get(submission.pupil_id))
    dsl_team = [staff_id for staff_id, member in staff.items() if member.role == "dsl"] if rules else []
    incident = Incident(
        incident_id=incident_id,
        reference=reference,
        reporter_id=reporter.staff_id,
        recorded_at=now,
        occurred_at=submission.occurred_at,
        day=submission.day,
        session=submission.session,
        location=submission.location,
        pupil_id=submission.pupil_id,
        linked_pupil_ids=submission.linked_pupil_ids,
        categories=submission.categories,
        subcategories=submission.subcategories,
        answers=submission.answers,
        account=submission.account,
        body_marks=[BodyMark(**mark) for mark in submission.body_marks],
        status=submission.status,
        assigned_ids=assigned_ids,
        alerted_ids=[staff_id for staff_id in recipients if staff_id not in assigned_ids],
        agencies=submission.agencies,
        files=[FileRef(**item._asdict()) for item in attached],
        open="open" if submission.status == "Active" else None,
        report_month=report_month(submission.occurred_at),
        pupil_groups=groups_of(list(involved.values())),
        state={
            "categories": submission.categories,
            "subcategories": submission.subcategories,
            "answers": submission.answers,
            "status": submission.status,
            "concern_level": None,
            "assigned_ids": assigned_ids,
            "agencies": submission.agencies,
            "tagged_ids": [],
            "revoked_ids": [],
        },
    )
    pupils = [(submission.pupil_id, "subject")] + [(pid, "linked") for pid in submission.linked_pupil_ids]
    entry_key = f"{submission.occurred_at.isoformat()}#{incident_id}"
    alert_key = f"{now.isoformat()}#{incident_id}"
    email = {
        "link": notify.incident_link(school, incident_id),
        "reporter": reporter.name,
        "categories": " and ".join(incident.categories),
        "reference": reference,
    }
    size = 1 + 2 * len(pupils) + 2 * len(recipients) + 2 * len(rules) * len(dsl_team)
    size += 1 if submission.planner else 0
    if size > MAX_TRANSACTION_ITEMS:
        too_many = "Too many people and students for one incident: alert fewer people or link fewer students."
        raise InvalidInputError(PROBLEM, {"alerted_ids": too_many})

    def alert_for(staff_id: str, key: str, reason: str) -> Alert:
        """An unread alert about this incident, in its recipient's open work."""
        return Alert(
            staff_id=staff_id,
            alert=key,
            incident_id=incident_id,
            reason=reason,
            raised_by=reporter.staff_id,
            raised_by_name=reporter.name,
            categories=submission.categories,
            reference=reference,
            occurred_at=submission.occurred_at,
        ).open_up()

    try:
        with TransactWrite(connection=Connection()) as transaction:
            transaction.save(incident, condition=Incident.incident_id.does_not_exist())
            for pupil_id, involvement in pupils:
                transaction.condition_check(Pupil, pupil_id, condition=Pupil.roll == "on")
                transaction.save(
                    ChronologyEntry(
                        pupil_id=pupil_id,
                        entry=entry_key,
                        incident_id=incident_id,
                        categories=submission.categories,
                        involvement=involvement,
                        reference=reference,
                        location=submission.location,
                        status=submission.status,
                    )
                )
            for staff_id, reason in recipients.items():
                transaction.save(alert_for(staff_id, alert_key, reason))
                transaction.save(
                    outbox.item("incident_alert", staff_id, f"alert#{incident_id}", {**email, "reason": reason}, now)
                )
            for number, rule in enumerate(rules):
                for staff_id in dsl_team:
                    transaction.save(
                        alert_for(staff_id, f"{alert_key}#pattern-{number}", f"pattern alert: {rule.name}")
                    )
                    context = {"link": email["link"], "rule": rule.name, "reference": reference}
                    transaction.save(
                        outbox.item("pattern_alert", staff_id, f"pattern#{incident_id}#{number}", context, now)
                    )
            audit.add_to(transaction, f"incident#{incident_id}", reporter.staff_id, "added the incident", source, now)
            if submission.planner:
                planner = submission.planner
                transaction.save(
                    PlannerReminder.due_for(
                        planner.due_at, reporter.staff_id, incident_id, planner.note, key=incident_id
                    )
                )
    except TransactWriteError as error:
        if _already_added(error, len(pupils)):
            return receipt(Incident.get(incident_id, consistent_read=True), staff)
        raise _explain(
            error, ["pupil_id" if involvement == "subject" else "linked_pupil_ids" for _, involvement in pupils]
        ) from None

    counts = {"recipients": len(recipients), "pattern_alerts": len(rules)}
    logger.info("incident added", extra={"incident_id": incident_id, **counts})
    return receipt(incident, staff)


def _release_unless_saved(incident_id: str, taken: list[str]) -> None:
    """The files were tagged attached before the transaction (so a saved incident never loses one to the bucket's
    clean-up); it failed. Unless it was saved after all (only its answer lost), tag them pending again, so files
    of an incident never saved do not stay for ever. When even that cannot be told, they stay: a record's file is
    never put at risk."""
    if not taken:
        return
    try:
        Incident.get(incident_id, consistent_read=True)
        return  # saved: the files are its
    except Incident.DoesNotExist:
        pass
    except Exception:  # noqa: BLE001 - unknown: keep the files
        logger.warning("files of a failed incident kept attached: could not tell whether it was saved")
        return
    try:
        files.release(taken)
    except Exception:  # noqa: BLE001 - the incident's own error is the one to report
        logger.warning("files of a failed incident could not be tagged pending again")


def receipt(incident: Incident, staff: dict[str, Staff]) -> dict:
    """What the reporter sees once it is saved: the reference, when, who was assigned and who alerted."""

    def name(staff_id: str) -> str:
        return staff[staff_id].name if staff_id in staff else "A former member of staff"

    return {
        "reference": incident.reference,
        "recorded_at": incident.recorded_at.isoformat(),
        "assigned": [name(i) for i in incident.assigned_ids],
        "alerted": [name(i) for i in incident.alerted_ids],
    }


def _already_added(error: TransactWriteError, pupil_checks: int) -> bool:
    """Did the transaction fail only because this incident is already there (a retry after a commit)?
    PynamoDB sends condition checks first, then puts: the incident's put comes right after the pupils' checks."""
    reasons = error.cancellation_reasons or []
    mine = reasons[pupil_checks] if len(reasons) > pupil_checks else None
    return mine is not None and mine.code == "ConditionalCheckFailed"


def _recipients(school: SchoolSettings, staff: dict[str, Staff], reporter: Staff, submission: Submission) -> dict:
    """{staff_id: reason} for everyone who gets an alert; the reporter is never alerted to their own report."""
    problems: dict[str, str] = {}
    categories = [school.category(name) for name in submission.categories]

    def may_read_all(member: Staff) -> bool:
        return all(member.role in category.readable_by for category in categories)

    for staff_id in submission.alerted_ids:
        if staff_id not in staff or not access.may_be_alerted(staff[staff_id].role):
            problems["alerted_ids"] = "Choose the people to alert from the list."
    for staff_id in submission.assigned_ids:
        member = staff.get(staff_id)
        if member is None or member.role not in people.LEADERSHIP_ROLES:
            problems["assigned_ids"] = "Choose who to assign from the leadership team in the list."
        elif not may_read_all(member):
            kinds = " and ".join(submission.categories)
            problems["assigned_ids"] = f"{member.name} cannot be assigned a {kinds} concern. Choose someone else."
    if problems:
        raise InvalidInputError(PROBLEM, problems)

    assigned = list(submission.assigned_ids)
    if not assigned:  # the school's defaults, so nobody has to remember who deals with what
        titles = {title for category in categories for title in category.assign_by_default}
        assigned = [i for i, member in staff.items() if member.title in titles and may_read_all(member)]
    heads = [
        i
        for i, member in staff.items()
        if member.title == school.head_of_school_title and access.may_be_alerted(member.role)
    ]
    reasons: dict[str, str] = {}
    for staff_id in assigned:
        reasons.setdefault(staff_id, "assigned")
    for staff_id in submission.alerted_ids:
        reasons.setdefault(staff_id, "alerted")
    for staff_id in heads:
        reasons.setdefault(staff_id, "head of school")
    reasons.pop(reporter.staff_id, None)
    return reasons


def _explain(error: TransactWriteError, pupil_fields: list[str]) -> InvalidInputError | UnavailableError:
    """Turn a cancelled transaction into a message for the form (nothing was written).

    PynamoDB sends condition checks first, so the first reasons are the pupils' checks, in order."""
    reasons = error.cancellation_reasons or []
    for reason, field in zip(reasons, pupil_fields, strict=False):
        if reason is not None and reason.code == "ConditionalCheckFailed":
            return InvalidInputError(
                PROBLEM, {field: "This student is not on the school's roll. Choose the student from the list."}
            )
    logger.error("incident transaction cancelled", extra={"reasons": [r.code if r else None for r in reasons]})
    return UnavailableError("The incident could not be saved. Nothing has been saved yet: choose Try again.")
