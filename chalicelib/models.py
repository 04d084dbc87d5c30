"""PynamoDB models. One table per kind of record, named `<prefix><kind>` where the prefix is the school's stack
(`lantern-themead-`), so no school can ever read another's data. Every request path is GetItem, Query or a
transaction: the key design of each table is in its docstring.

Tables are bound to their names on first use (`bind`), never at import: importing creates no connection.
"""

from __future__ import annotations

import os
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
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model


class StaffByEmail(GlobalSecondaryIndex):
    """GSI `by-email`. PK: email (lower case) → the account for sign-in and set-password requests."""

    class Meta:
        index_name = "by-email"
        projection = KeysOnlyProjection()

    email = UnicodeAttribute(hash_key=True)


class StaffDirectory(GlobalSecondaryIndex):
    """GSI `directory`, sparse. PK: directory = "active" on active accounts only → every active member of staff
    (the Alert and Assign to lists) in one Query; never projects password hashes."""

    class Meta:
        index_name = "directory"
        projection = IncludeProjection(["name", "title", "role", "email"])

    directory = UnicodeAttribute(hash_key=True)


class Staff(Model):
    """A member of staff with a Lantern account.

    Table `<prefix>staff`. PK: `staff_id` (random UUID). GSI `by-email` finds an account by its email; sparse GSI
    `directory` lists active accounts. `failed_logins` counts failed sign-ins since `failed_logins_since`
    (a 15-minute window).
    """

    class Meta:
        table_name = "staff"

    staff_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    title = UnicodeAttribute(default="")
    active = BooleanAttribute(default=True)
    password_hash = UnicodeAttribute(null=True)
    password_changed_at = UTCDateTimeAttribute(null=True)
    failed_logins = NumberAttribute(default=0)
    failed_logins_since = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    directory = UnicodeAttribute(null=True)
    by_email = StaffByEmail()
    in_directory = StaffDirectory()


class SessionsByStaff(GlobalSecondaryIndex):
    """GSI `by-staff`. PK: staff_id → every session of one account (to end them all)."""

    class Meta:
        index_name = "by-staff"
        projection = KeysOnlyProjection()

    staff_id = UnicodeAttribute(hash_key=True)


class LoginSession(Model):
    """A signed-in browser.

    Table `<prefix>sessions`. PK: `token_hash` (SHA-256 of the cookie's random token; the token itself is never
    stored). GSI `by-staff`. Idle and absolute limits are checked in code; `expires_at` (TTL) only tidies up.
    """

    class Meta:
        table_name = "sessions"

    token_hash = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    by_staff = SessionsByStaff()


class PasswordLink(Model):
    """A single-use set-password link.

    Table `<prefix>password-links`. PK: `token_hash` (SHA-256 of the emailed token). Deleted when used, in the
    same transaction that sets the password; expiry is checked in code, `expires_at` (TTL) only tidies up.
    """

    class Meta:
        table_name = "password-links"

    token_hash = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


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


class Incident(Model):
    """A concern as the member of staff recorded it. Append-only: nothing later overwrites what they wrote.

    Table `<prefix>incidents`. PK: `incident_id` (random UUID) → incident by id (the review page).
    Times are UTC; `day` and `session` are as the reporter confirmed them.
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
    version = VersionAttribute()


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


class Alert(Model):
    """Someone was alerted to, or assigned, an incident.

    Table `<prefix>alerts`. PK: `staff_id`; SK: `alert` = `<recorded_at ISO UTC>#<incident_id>` → my alerts.
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


class PlannerReminder(Model):
    """A reporter's own reminder to follow a concern up, emailed when due.

    Table `<prefix>planner`. PK: `due_day` (YYYY-MM-DD, UTC); SK: `due` = `<due_at ISO UTC>#<reminder_id>` →
    reminders due now: Query today's partition for SK <= now (the reminder job of a later issue).
    """

    class Meta:
        table_name = "planner"

    due_day = UnicodeAttribute(hash_key=True)
    due = UnicodeAttribute(range_key=True)
    staff_id = UnicodeAttribute()
    incident_id = UnicodeAttribute()
    note = UnicodeAttribute(default="")
    sent = BooleanAttribute(default=False)

    @classmethod
    def due_for(cls, due_at, staff_id: str, incident_id: str, note: str, key: str) -> PlannerReminder:
        """A reminder due at `due_at` (converted to UTC, as the keys need); `key` makes the sort key unique."""

        due = due_at.astimezone(UTC)
        return cls(
            due_day=due.date().isoformat(),
            due=f"{due.isoformat()}#{key}",
            staff_id=staff_id,
            incident_id=incident_id,
            note=note,
        )


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
    "Who has viewed this" for one record (one Query).
    """

    class Meta:
        table_name = "audit"

    subject = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    actor_id = UnicodeAttribute()
    action = UnicodeAttribute()
    ip = UnicodeAttribute(default="")
    user_agent = UnicodeAttribute(default="")


MODELS: dict[str, type[Model]] = {
    "staff": Staff,
    "sessions": LoginSession,
    "password-links": PasswordLink,
    "pupils": Pupil,
    "incidents": Incident,
    "chronology": ChronologyEntry,
    "alerts": Alert,
    "planner": PlannerReminder,
    "incident-events": IncidentEvent,
    "audit": AuditEntry,
}
IDEMPOTENCY_TABLE = "idempotency"  # Powertools' own record: PK `id`, TTL `expiration`

_bound_prefix: str | None = None


def bind(prefix: str | None = None) -> str:
    """Name every table `<prefix><kind>`; the prefix defaults to `LANTERN_TABLE_PREFIX`. Idempotent."""
    global _bound_prefix
    prefix = prefix if prefix is not None else os.environ.get("LANTERN_TABLE_PREFIX", "")
    if not prefix:
        raise RuntimeError("LANTERN_TABLE_PREFIX is not set: it names the school's tables, like 'lantern-themead-'")
    if prefix != _bound_prefix:
        for kind, model in MODELS.items():
            model.Meta.table_name = f"{prefix}{kind}"
            model._connection = None
        _bound_prefix = prefix
    return prefix


def table_name(kind: str) -> str:
    return f"{bind()}{kind}"


def create_tables() -> None:
    """Create any missing table (local mode and tests; deployed stacks get theirs from the template)."""
    bind()
    for model in MODELS.values():
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    import boto3

    client = boto3.client("dynamodb")
    if table_name(IDEMPOTENCY_TABLE) not in client.list_tables()["TableNames"]:
        client.create_table(
            TableName=table_name(IDEMPOTENCY_TABLE),
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
