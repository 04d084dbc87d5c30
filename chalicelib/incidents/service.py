"""Adding an incident: checked against the settings, stored whole in one transaction, then people are emailed.

One transaction writes the incident, one chronology entry per pupil involved (with a check that each pupil is
on roll), one alert per recipient and the reporter's planner reminder: it all exists, or none of it does.
Powertools idempotency makes a double tap, a retry after a timeout or a resubmitted request add one incident.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import files, notify, people
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidInputError, LanternError
from chalicelib.incidents.form import Submission, parse_submission
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
from chalicelib.settings import SchoolSettings

IDEMPOTENCY_HOURS = 24
REASON_ORDER = ("assigned", "alerted", "head of school")


class StillAddingError(LanternError):
    status = 409

    def __init__(self) -> None:
        super().__init__("This incident is still being added. Wait a moment, then choose Try again.")


class DifferentResubmissionError(LanternError):
    status = 422

    def __init__(self) -> None:
        super().__init__("This form was already sent with different details. Reload the page to add a new incident.")


def add_incident(
    school: SchoolSettings, reporter: Staff, body: dict, *, now: datetime | None = None, lambda_context=None
) -> dict:
    """Check a submission and add it once; return the reporter's receipt (the same receipt for a repeat)."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    now = now or utcnow()
    submission = parse_submission(body, school, now)  # every 400 before anything is written
    create, config = _idempotent_create()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    request = {"reporter_id": reporter.staff_id, "idempotency_key": submission.idempotency_key, "payload": body}
    try:
        return create(request=request, school=school, reporter=reporter, submission=submission, now=now)
    except IdempotencyAlreadyInProgressError:
        raise StillAddingError() from None
    except IdempotencyValidationError:
        raise DifferentResubmissionError() from None


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


def _create(*, request: dict, school: SchoolSettings, reporter: Staff, submission: Submission, now: datetime) -> dict:
    staff = people.directory()
    recipients = _recipients(school, staff, reporter, submission)
    attached = [files.check_upload(reporter.staff_id, upload_id) for upload_id in submission.upload_ids]

    incident_id = str(uuid.uuid4())
    reference = f"LAN-{incident_id[:8].upper()}"
    assigned_ids = [staff_id for staff_id, reason in recipients.items() if reason == "assigned"]
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
        state={
            "categories": submission.categories,
            "subcategories": submission.subcategories,
            "answers": submission.answers,
            "status": submission.status,
            "concern_level": None,
            "assigned_ids": assigned_ids,
            "agencies": submission.agencies,
            "tagged_ids": [],
        },
    )
    pupils = [(submission.pupil_id, "subject")] + [(pid, "linked") for pid in submission.linked_pupil_ids]
    entry_key = f"{submission.occurred_at.isoformat()}#{incident_id}"
    alert_key = f"{now.isoformat()}#{incident_id}"

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
                transaction.save(
                    Alert(
                        staff_id=staff_id,
                        alert=alert_key,
                        incident_id=incident_id,
                        reason=reason,
                        raised_by=reporter.staff_id,
                        raised_by_name=reporter.name,
                        categories=submission.categories,
                        reference=reference,
                        occurred_at=submission.occurred_at,
                    )
                )
            if submission.planner:
                planner = submission.planner
                transaction.save(
                    PlannerReminder.due_for(
                        planner.due_at, reporter.staff_id, incident_id, planner.note, key=incident_id
                    )
                )
    except TransactWriteError as error:
        raise _explain(
            error, ["pupil" if involvement == "subject" else "linked-pupils" for _, involvement in pupils]
        ) from None

    logger.info("incident added", extra={"incident_id": incident_id, "recipients": len(recipients)})
    notify.alert_by_email(
        school,
        [(staff[staff_id], reason) for staff_id, reason in recipients.items()],
        "incident_alert",
        incident_id,
        reporter=reporter.name,
        categories=" and ".join(incident.categories),
        reference=reference,
    )
    return {
        "reference": reference,
        "recorded_at": now.isoformat(),
        "assigned": [staff[i].name for i in assigned_ids],
        "alerted": [staff[i].name for i, reason in recipients.items() if reason != "assigned"],
    }


def _recipients(school: SchoolSettings, staff: dict[str, Staff], reporter: Staff, submission: Submission) -> dict:
    """{staff_id: reason} for everyone who gets an alert; the reporter is never alerted to their own report."""
    problems: dict[str, str] = {}
    categories = [school.category(name) for name in submission.categories]

    def may_read_all(member: Staff) -> bool:
        return all(member.role in category.readable_by for category in categories)

    for staff_id in submission.alerted_ids:
        if staff_id not in staff:
            problems["alert"] = "Choose the people to alert from the list."
    for staff_id in submission.assigned_ids:
        member = staff.get(staff_id)
        if member is None or member.role not in people.LEADERSHIP_ROLES:
            problems["assign-to"] = "Choose who to assign from the leadership team in the list."
        elif not may_read_all(member):
            kinds = " and ".join(submission.categories)
            problems["assign-to"] = f"{member.name} cannot be assigned a {kinds} concern. Choose someone else."
    if problems:
        raise InvalidInputError("There is a problem with the incident. Nothing has been saved yet.", problems)

    assigned = list(submission.assigned_ids)
    if not assigned:  # the school's defaults, so nobody has to remember who deals with what
        titles = {title for category in categories for title in category.assign_by_default}
        assigned = [i for i, member in staff.items() if member.title in titles and may_read_all(member)]
    heads = [i for i, member in staff.items() if member.title == school.head_of_school_title]
    reasons: dict[str, str] = {}
    for staff_id in assigned:
        reasons.setdefault(staff_id, "assigned")
    for staff_id in submission.alerted_ids:
        reasons.setdefault(staff_id, "alerted")
    for staff_id in heads:
        reasons.setdefault(staff_id, "head of school")
    reasons.pop(reporter.staff_id, None)
    return reasons


def _explain(error: TransactWriteError, pupil_fields: list[str]) -> LanternError:
    """Turn a cancelled transaction into a message for the form (nothing was written).

    PynamoDB sends condition checks first, so the first reasons are the pupils' checks, in order."""
    reasons = error.cancellation_reasons or []
    for reason, field in zip(reasons, pupil_fields, strict=False):
        if reason is not None and reason.code == "ConditionalCheckFailed":
            return InvalidInputError(
                "There is a problem with the incident. Nothing has been saved yet.",
                {field: "This student is not on the school's roll. Choose the student from the list."},
            )
    logger.error("incident transaction cancelled", extra={"reasons": [r.code if r else None for r in reasons]})
    return LanternError("The incident could not be saved. Nothing has been saved yet: choose Try again.", status=503)
