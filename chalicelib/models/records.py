"""The records: pupils, incidents and their chronology, alerts, the planner, the outbox, the jobs' checkpoints,
incident events and the audit trail. Loaded by the first request (or function) that reads or writes one of them.
"""

from __future__ import annotations

from datetime import UTC

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.models import name_tables


class PupilRoll(GlobalSecondaryIndex):
    """GSI `roll`, sparse. PK: roll = "on" for pupils on roll only (leavers drop out) → the typeahead roster."""

    class Meta:
        index_name = "roll"
        projection = IncludeProjection(["preferred_name", "first_name", "last_name", "year_group", "class_name"])

    roll = UnicodeAttribute(hash_key=True)


class Pupil(Model):
    """A pupil on the school's roll.

    Table `<prefix>pupils`. PK: `pupil_id` (random UUID). `upn` is the DfE unique pupil number from the MIS.
    Sparse GSI `roll` lists pupils on roll for the typeahead.
    """

    class Meta:
        table_name = "pupils"

    pupil_id = UnicodeAttribute(hash_key=True)
    upn = UnicodeAttribute()
    first_name = UnicodeAttribute()
    preferred_name = UnicodeAttribute()
    last_name = UnicodeAttribute()
    date_of_birth = UnicodeAttribute()
    year_group = UnicodeAttribute()
    class_name = UnicodeAttribute()
    sen = UnicodeAttribute(default="None")
    pupil_premium = BooleanAttribute(default=False)
    eal = BooleanAttribute(default=False)
    looked_after = BooleanAttribute(default=False)
    cp_plan = BooleanAttribute(default=False)
    roll = UnicodeAttribute(null=True, default_for_new="on")  # not filled in when a leaver is read
    on_roll = PupilRoll()

    @property
    def full_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"


class BodyMark(MapAttribute):
    """A mark on the body map: data, not a picture. `region` is an id from chalicelib/data/body_regions.json."""

    view = UnicodeAttribute()
    region = UnicodeAttribute()
    x = NumberAttribute()
    y = NumberAttribute()
    note = UnicodeAttribute(default="")


class FileRef(MapAttribute):
    """A file attached to an incident: its private S3 key and what the uploader said it was (checked)."""

    key = UnicodeAttribute()
    name = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()


class IncidentsOpen(GlobalSecondaryIndex):
    """GSI `open`, sparse. PK: `open` = "open" while the incident's status is Active; SK: `recorded_at` → open
    incidents oldest first (the daily digest), one Query."""

    class Meta:
        index_name = "open"
        projection = IncludeProjection(["reference", "state", "occurred_at"])

    open = UnicodeAttribute(hash_key=True)
    recorded_at = UTCDateTimeAttribute(range_key=True)


class IncidentsByMonth(GlobalSecondaryIndex):
    """GSI `by-month`. PK: `report_month` = the UTC month of `occurred_at` ("2026-11"); SK: `occurred_at` → the
    incidents that happened in a date range (reports): one Query per UTC month the range touches, reading exactly
    the incidents in the range. It projects `state`, so re-categorising or closing moves an incident in every
    report with no second write."""

    class Meta:
        index_name = "by-month"
        projection = IncludeProjection(
            ["reference", "state", "day", "session", "location", "pupil_id", "linked_pupil_ids", "pupil_groups"]
        )

    report_month = UnicodeAttribute(hash_key=True)
    occurred_at = UTCDateTimeAttribute(range_key=True)


class Incident(Model):
    """A concern as the member of staff recorded it. Append-only: nothing later overwrites what they wrote.

    Table `<prefix>incidents`. PK: `incident_id` (a UUID made from the reporter and the form's idempotency key, so
    a retried submission can only meet the incident it already added) → incident by id (the review page). Sparse
    GSI `open` lists open incidents; GSI `by-month` (PK `report_month`, SK `occurred_at`) the incidents in a date
    range, for reports. Times are UTC; `day` and `session` are as the reporter confirmed them; `pupil_groups`
    holds each pupil's year group, class and flags as they were when the incident was added.
    """

    class Meta:
        table_name = "incidents"

    incident_id = UnicodeAttribute(hash_key=True)
    reference = UnicodeAttribute()
    reporter_id = UnicodeAttribute()
    recorded_at = UTCDateTimeAttribute()
    occurred_at = UTCDateTimeAttribute()
    day = UnicodeAttribute()
    session = UnicodeAttribute()
    location = UnicodeAttribute()
    pupil_id = UnicodeAttribute()
    linked_pupil_ids = ListAttribute(of=UnicodeAttribute, default=list)
    categories = ListAttribute(of=UnicodeAttribute)
    subcategories = MapAttribute()
    answers = MapAttribute(default=dict)
    account = UnicodeAttribute()
    body_marks = ListAttribute(of=BodyMark, default=list)
    status = UnicodeAttribute()
    assigned_ids = ListAttribute(of=UnicodeAttribute, default=list)
    alerted_ids = ListAttribute(of=UnicodeAttribute, default=list)
    agencies = ListAttribute(of=UnicodeAttribute, default=list)
    files = ListAttribute(of=FileRef, default=list)
    # What leaders have made of it since: categories, subcategories, answers, status, concern_level,
    # assigned_ids, agencies, tagged_ids. Each change is also an IncidentEvent; the fields above never change.
    state = MapAttribute()
    open = UnicodeAttribute(null=True)  # "open" while the status is Active (GSI `open`)
    report_month = UnicodeAttribute(null=True)  # the UTC month of occurred_at, "YYYY-MM" (GSI `by-month`)
    # {pupil_id: {"year_group", "class_name", "flags": [...]}} when added, for reports by pupil group.
    pupil_groups = MapAttribute(null=True)
    version = VersionAttribute()
    open_incidents = IncidentsOpen()
    by_month = IncidentsByMonth()


class ChronologyEntry(Model):
    """One incident in one pupil's record (the pupil it is about, or a linked pupil).

    Table `<prefix>chronology`. PK: `pupil_id`; SK: `entry` = `<occurred_at ISO UTC>#<incident_id>` → a pupil's
    chronology newest first (Query, ScanIndexForward=false), paged.
    """

    class Meta:
        table_name = "chronology"

    pupil_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    incident_id = UnicodeAttribute()
    categories = ListAttribute(of=UnicodeAttribute)  # the incident's current categories (kept up to date)
    involvement = UnicodeAttribute()  # "subject" or "linked"
    reference = UnicodeAttribute(default="")
    location = UnicodeAttribute(default="")
    status = UnicodeAttribute(default="Active")
    # Actions and changes, appended as they happen, so one Query gives a page of the chronology with its actions.
    timeline = ListAttribute(of=MapAttribute, default=list)


class OpenWork(GlobalSecondaryIndex):
    """GSI `open-work`, sparse. PK: `open_work` = "open" while an alert is unread or an action is not done;
    SK: `open_key` = `<staff_id>#<alert SK>` → one person's open work (begins_with), whatever the history's size;
    the whole school's (the daily digest: unread for days, actions past their follow-up date), one Query."""

    class Meta:
        index_name = "open-work"
        projection = AllProjection()

    open_work = UnicodeAttribute(hash_key=True)
    open_key = UnicodeAttribute(range_key=True)


class Alert(Model):
    """Someone was alerted to, or assigned, an incident, or given an action to do.

    Table `<prefix>alerts`. PK: `staff_id`; SK: `alert` = `<recorded_at ISO UTC>#<incident_id>[#<event_id>]` →
    my alerts, newest first, paged (the read ones). GSI `open-work` holds only what is still to do: unread
    alerts and actions not done (an action stays open after it is read, until someone marks it done).
    """

    class Meta:
        table_name = "alerts"

    staff_id = UnicodeAttribute(hash_key=True)
    alert = UnicodeAttribute(range_key=True)
    incident_id = UnicodeAttribute()
    reason = UnicodeAttribute()  # "assigned", "alerted", "head of school" or "tagged in an action"
    raised_by = UnicodeAttribute()
    raised_by_name = UnicodeAttribute(default="")  # kept here so "my alerts" is one Query
    categories = ListAttribute(of=UnicodeAttribute)
    read = BooleanAttribute(default=False)
    reference = UnicodeAttribute(default="")
    occurred_at = UTCDateTimeAttribute(null=True)
    action_id = UnicodeAttribute(null=True)  # set when tagged in an action
    action_text = UnicodeAttribute(null=True)
    follow_up = UnicodeAttribute(null=True)  # the action's "Follow up by" date, YYYY-MM-DD (school time)
    pupil_id = UnicodeAttribute(null=True)  # whom an action is about: named in the app, never in email
    done_at = UTCDateTimeAttribute(null=True)  # when the action was marked done (by anyone it was given to)
    passed_on = BooleanAttribute(default=False)  # re-categorised beyond their reading: "passed to the DSL team"
    open_work = UnicodeAttribute(null=True)  # "open" while unread or, for an action, not done
    open_key = UnicodeAttribute(null=True)
    open_items = OpenWork()

    def open_up(self) -> Alert:
        """Put this alert in its owner's open work (a new alert, or an action not yet done)."""
        self.open_work, self.open_key = "open", f"{self.staff_id}#{self.alert}"
        return self

    @property
    def is_action(self) -> bool:
        return self.action_id is not None


class PlannerByOwner(GlobalSecondaryIndex):
    """GSI `by-owner`. PK: `staff_id`; SK: `due` → one person's planner in time order (My planner)."""

    class Meta:
        index_name = "by-owner"
        projection = AllProjection()

    staff_id = UnicodeAttribute(hash_key=True)
    due = UnicodeAttribute(range_key=True)


class PlannerReminder(Model):
    """A reminder emailed to its owner when due: one they set ("Add to planner", My planner) or an action's
    follow-up (kind "follow-up", for the action's author and the staff tagged in it).

    Table `<prefix>planner`. PK: `due_day` (YYYY-MM-DD, UTC); SK: `due` = `<due_at ISO UTC>#<key>` → what is due:
    the reminder job Queries each day's partition from its checkpoint to now (never a Scan), and hands each
    reminder to the outbox in one transaction that also sets `queued_at` (so it is sent once). The `due` string
    is the reminder's id in My planner; GSI `by-owner` lists one person's reminders.
    """

    class Meta:
        table_name = "planner"

    due_day = UnicodeAttribute(hash_key=True)
    due = UnicodeAttribute(range_key=True)
    staff_id = UnicodeAttribute()
    incident_id = UnicodeAttribute(null=True)
    action_id = UnicodeAttribute(null=True)  # a follow-up: not sent once the action is done
    kind = UnicodeAttribute(default="planner")  # "planner" or "follow-up"
    note = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute(null=True)
    queued_at = UTCDateTimeAttribute(null=True)  # handed to the outbox (or found no longer needed)
    by_owner = PlannerByOwner()

    @classmethod
    def due_for(cls, due_at, staff_id: str, incident_id: str | None, note: str, key: str, **extra) -> PlannerReminder:
        """A reminder due at `due_at` (converted to UTC, as the keys need); `key` makes the sort key unique."""

        due = due_at.astimezone(UTC)
        return cls(
            due_day=due.date().isoformat(),
            due=f"{due.isoformat()}#{key}",
            staff_id=staff_id,
            incident_id=incident_id,
            note=note,
            **extra,
        )

    @property
    def due_at(self):
        from datetime import datetime

        return datetime.fromisoformat(self.due.split("#", 1)[0])


class OutboxQueue(GlobalSecondaryIndex):
    """GSI `queue`, sparse. PK: `queue` = "pending" or "parked"; SK: `queue_at` (ISO UTC: when the next attempt
    is due, or when it was parked) → what the backstop sweep must (re)send, one Query; what has been parked."""

    class Meta:
        index_name = "queue"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    queue_at = UnicodeAttribute(range_key=True)


class OutboxItem(Model):
    """One email Lantern must send, written in the same transaction as the change that causes it.

    Table `<prefix>outbox`, with a stream (new images): the stream handler sends each new item at once; the
    backstop sweep Queries GSI `queue` for items still pending. PK: `outbox_id` = `<what>#<change id>#<staff_id>`,
    made from the change, so a retried change writes the same item and can never send twice.

    Sending: a sender claims the item with one conditional update (`queue` = "pending" and `queue_at` <= now;
    it moves `queue_at` a lease ahead and counts the attempt), sends, then removes `queue` (sent) or sets the next
    attempt with backoff, parking it (`queue` = "parked") after the last. A sender that dies after SES accepted
    the email but before marking it leaves the lease to run out, and the email is sent again: a rare duplicate,
    never a lost email. The recipient is read when sending: an account disabled meanwhile gets nothing.
    """

    class Meta:
        table_name = "outbox"
        stream_view_type = "NEW_IMAGE"

    outbox_id = UnicodeAttribute(hash_key=True)
    template = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    context = MapAttribute(default=dict)  # what the template needs: never a pupil's name or an account
    created_at = UTCDateTimeAttribute()
    attempts = NumberAttribute(default=0)
    queue = UnicodeAttribute(null=True)
    queue_at = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(default="pending")  # pending, sent, skipped (account disabled) or parked
    sent_at = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)  # the error's type only
    expires_at = TTLAttribute(null=True)  # set once sent: the item is then only history
    waiting = OutboxQueue()


class JobCheckpoint(Model):
    """How far a scheduled job has got, so a job that was down catches up and two runs never repeat work.

    Table `<prefix>jobs`. PK: `job` ("reminders": `done_until`, the time up to which due reminders were queued;
    "digest": `day_done`, the last school day whose digest was sent, claimed with a conditional update).
    """

    class Meta:
        table_name = "jobs"

    job = UnicodeAttribute(hash_key=True)
    done_until = UnicodeAttribute(null=True)
    day_done = UnicodeAttribute(null=True)


class IncidentEvent(Model):
    """Something a leader did to an incident: an action, a re-categorisation, a concern level, an assignment, a
    status change, agencies. Never changed or deleted.

    Table `<prefix>incident-events`. PK: `incident_id`; SK: `event` = `<at ISO UTC>#<event_id>` → an incident's
    history and actions, oldest first (one Query).
    """

    class Meta:
        table_name = "incident-events"

    incident_id = UnicodeAttribute(hash_key=True)
    event = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    reason = UnicodeAttribute(default="")
    details = MapAttribute(default=dict)


class AuditEntry(Model):
    """Who read or changed what, when and from where. No route edits or deletes these.

    Table `<prefix>audit`. PK: `subject` (`incident#<id>`, `pupil#<id>`); SK: `entry` = `<at ISO UTC>#<uuid>` →
    "Who has viewed this" for one record (one Query). Each record's entries form a hash chain (`seq`, `prev_hash`,
    `hash`) whose head is the item with SK `~head` (chalicelib/audit.py).
    """

    class Meta:
        table_name = "audit"

    subject = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    actor_id = UnicodeAttribute()
    action = UnicodeAttribute()
    ip = UnicodeAttribute(default="")
    user_agent = UnicodeAttribute(default="")
    seq = NumberAttribute(null=True)
    prev_hash = UnicodeAttribute(null=True)
    hash = UnicodeAttribute(null=True)


name_tables(
    {
        "pupils": Pupil,
        "incidents": Incident,
        "chronology": ChronologyEntry,
        "alerts": Alert,
        "planner": PlannerReminder,
        "incident-events": IncidentEvent,
        "audit": AuditEntry,
        "outbox": OutboxItem,
        "jobs": JobCheckpoint,
    }
)
