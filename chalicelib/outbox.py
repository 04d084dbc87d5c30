"""The one way Lantern sends email: an outbox.

A change writes its emails as `OutboxItem`s in the same transaction as the change (`item(...)` makes one), so an
email exists exactly when its change does, and a retried change writes the same item (its id comes from the
change) instead of a second one. The request never waits for SES.

Sending (`deliver`): claim the item with one conditional update, send, mark it sent. The outbox table's stream
hands each new item to `handle_stream` at once (alerts arrive within seconds); `sweep`, every two minutes,
Queries the items still pending (a failed send waiting for its retry, a claim whose sender died) and sends them.
A failure is retried with backoff and parked after MAX_ATTEMPTS, where the DSL's digest and trust IT's alarm
see it. A sender that dies between SES accepting and the mark leaves its claim to lapse, so the email is sent
again: a rare duplicate is the lesser harm; an email is never lost. docs/decisions/outbox.md says why.

>>> item("incident_alert", "staff-id", "alert#<incident id>", {"link": "..."}, now).outbox_id
'alert#<incident id>#staff-id'
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib import notify
from chalicelib.clock import utcnow
from chalicelib.log import logger
from chalicelib.models import OutboxItem, Staff
from chalicelib.settings import SchoolSettings

MAX_ATTEMPTS = 6
CLAIM_LEASE = timedelta(minutes=5)  # longer than one send can take; after it, another sender may try
BACKOFF = (timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=5), timedelta(minutes=15))
KEEP_SENT = timedelta(days=90)  # a sent item is history: DynamoDB's TTL removes it after this
SWEEP_PAGE = 100
PENDING, PARKED = "pending", "parked"
# Emails whose context holds a secret (a set-password token): the context is erased once sent.
SECRET_TEMPLATES = frozenset({"set_password"})


def item(template: str, staff_id: str, change_key: str, context: dict, now: datetime) -> OutboxItem:
    """An email to `staff_id`, to be saved in the change's own transaction. `change_key` names the change
    (`alert#<incident id>`, `reminder#<due>`, ...): the same change always makes the same item."""
    return OutboxItem(
        outbox_id=f"{change_key}#{staff_id}",
        template=template,
        staff_id=staff_id,
        context=context,
        created_at=now,
        queue=PENDING,
        queue_at=now.isoformat(),
    )


def _stamp(moment: datetime) -> str:
    return moment.isoformat()


def deliver(school: SchoolSettings, entry: OutboxItem, now: datetime | None = None) -> str:
    """Claim, send and mark one item as last seen (the stream's image, the sweep's Query); return what happened
    ("sent", "skipped", "retry", "parked", "not due"). The claim fails if anyone has moved it on since."""
    from pynamodb.exceptions import UpdateError

    now = now or utcnow()
    outbox_id = entry.outbox_id
    first = entry.attempts == 0  # a new item is due at once, whatever the clocks of writer and sender say
    if entry.queue != PENDING or (not first and entry.queue_at > _stamp(now)):
        return "not due"
    try:  # the claim: only one sender gets past this for each attempt
        entry.update(
            actions=[
                OutboxItem.queue_at.set(_stamp(now + CLAIM_LEASE)),
                OutboxItem.attempts.set(OutboxItem.attempts + 1),
            ],
            condition=(OutboxItem.queue == PENDING)
            & (OutboxItem.attempts == entry.attempts)
            & ((OutboxItem.queue_at <= _stamp(now)) | (OutboxItem.attempts == 0)),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return "not due"  # another sender has it
        raise
    done = {"outbox_id": outbox_id, "template": entry.template, "attempt": entry.attempts}

    try:
        recipient = Staff.get(entry.staff_id, consistent_read=True)
    except Staff.DoesNotExist:
        recipient = None
    if recipient is None or not recipient.active:
        _finish(entry, "skipped", now)
        logger.info("email not sent: the account is disabled", extra=done)
        return "skipped"

    if recipient.email_problem:  # SES said it bounced for good or was marked as spam: sending again would too
        _finish(entry, "skipped", now)
        logger.info("email not sent: the address bounced or complained", extra=done)
        return "skipped"
    context = notify.plain(entry.context)
    try:
        notify.send_email(school, recipient.email, entry.template, name=recipient.name, **context)
    except Exception as error:  # noqa: BLE001 - any failure of SES is retried, then parked
        return _retry(entry, now, type(error).__name__, done)
    _finish(entry, "sent", now)
    return "sent"


def _finish(entry: OutboxItem, outcome: str, now: datetime) -> None:
    actions = [
        OutboxItem.queue.remove(),
        OutboxItem.queue_at.remove(),
        OutboxItem.outcome.set(outcome),
        OutboxItem.sent_at.set(now),
        OutboxItem.expires_at.set(now + KEEP_SENT),
    ]
    if entry.template in SECRET_TEMPLATES:
        actions.append(OutboxItem.context.set({}))
    entry.update(actions=actions)


def _retry(entry: OutboxItem, now: datetime, error: str, done: dict) -> str:
    if entry.attempts >= MAX_ATTEMPTS:
        entry.update(
            actions=[
                OutboxItem.queue.set(PARKED),
                OutboxItem.queue_at.set(_stamp(now)),
                OutboxItem.outcome.set(PARKED),
                OutboxItem.last_error.set(error),
            ]
        )
        logger.error("email parked after repeated failures", extra={**done, "error": error})
        return "parked"
    wait = BACKOFF[min(entry.attempts, len(BACKOFF)) - 1]
    entry.update(actions=[OutboxItem.queue_at.set(_stamp(now + wait)), OutboxItem.last_error.set(error)])
    logger.warning("email failed; it will be retried", extra={**done, "error": error})
    return "retry"


def handle_stream(school: SchoolSettings, event: dict, context=None) -> dict:
    """The outbox table's stream: send each newly written item. A record whose handling raises (DynamoDB
    unreachable) is reported back to Lambda to be retried; SES failures are the item's own retries."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecordEventName

    def record_handler(record) -> None:
        if record.event_name == DynamoDBRecordEventName.INSERT:  # claims and marks are MODIFYs: not new mail
            deliver(school, OutboxItem.from_raw_data(record.raw_event["dynamodb"]["NewImage"]))

    return process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
        context=context,
    )


def sweep(school: SchoolSettings, now: datetime | None = None) -> dict[str, int]:
    """Send every pending item that is due: retries, and anything the stream missed. One Query a page."""
    now = now or utcnow()
    outcomes: dict[str, int] = {}
    due = OutboxItem.waiting.query(PENDING, OutboxItem.queue_at <= _stamp(now), limit=SWEEP_PAGE)
    for entry in list(due):
        outcome = deliver(school, entry, now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if outcomes:
        logger.info("outbox swept", extra={"outcomes": outcomes})
    return outcomes


def parked(limit: int = 50) -> list[OutboxItem]:
    """Emails that kept failing, newest first: for the DSL's digest and trust IT."""
    return list(OutboxItem.waiting.query(PARKED, scan_index_forward=False, limit=limit))
