"""Every request body and query string Lantern reads, as one pydantic model each: the one way a request is read.

A model says what a form may send: which fields (nothing else: `extra="forbid"`), their types (strict: `"12"` is
not a number, `12` is not text, `1` is not true), how long text may be and how many items a list may hold (the
limits are the domain's own constants), and that no text holds NUL, another C0 control or a lone surrogate.
What depends on the school's settings (its categories, questions, sessions, locations, agencies) or on the clock
(a date in the past) is checked by the domain code the model is handed to.

Each field carries an `Ask`: how the page asks for it, so a problem is answered in the page's words ("Enter …",
"… must be N characters or fewer", "Choose … from the list"). `on_page` maps the names of what was sent to the
ids of the page's fields, for the model's problems and the domain's alike (chalicelib/web/routing.py applies it).

Loaded on first use (by chalicelib/web/routing.py), never at the app's import: importing pydantic and declaring
these models takes ~65 ms here, which a cold start that reads no body or query does not pay; each model's validator
is built when it first reads something (`defer_build`: ~5 ms, once), not for every model at once.

>>> read_body(SignIn, b'{"email": " sam@school.org ", "password": "a long harbour morning"}').email
'sam@school.org'
"""

import re
from dataclasses import dataclass, replace
from datetime import date, time
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from chalicelib.auth.passkeys import MAX_CREDENTIAL_TEXT
from chalicelib.errors import InvalidInputError
from chalicelib.files import ALLOWED_LIST
from chalicelib.incidents.changes import ACTION_MAX, DONE_NOTE_MAX, MAX_KEPT, MAX_TAGGED, REASON_MAX
from chalicelib.incidents.form import (
    ACCOUNT_MAX,
    MARK_NOTE_MAX,
    MAX_ALERTED,
    MAX_ASSIGNED,
    MAX_FILES,
    MAX_LINKED,
    MAX_MARKS,
    PLANNER_NOTE_MAX,
    STATUSES,
    TEXT_ANSWER_MAX,
    WEEKDAYS,
)
from chalicelib.incidents.review import CONCERN_LEVELS
from chalicelib.paging import MAX_CURSOR
from chalicelib.planner import ID_MAX as REMINDER_ID_MAX
from chalicelib.validation import EMAIL_PATTERN, MAX_BODY_BYTES, NOT_EXPECTED, clean_text, read_json_object

# Patterns (matched whole, with Python's `re`, compiled on first use).
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# A pupil: their id, or a reference from the typeahead's roster (`<answer>.<n>`), which the service resolves to the
# pupil that answer offered (chalicelib/people.py `pupil_ids`).
PUPIL = rf"{UUID}|[0-9a-f]{{32}}\.(?:0|[1-9][0-9]{{0,4}})"
FORM_KEY = r"[A-Za-z0-9-]{8,64}"  # the add-incident form's idempotency key
CHANGE_KEY = r".{8,100}"  # the other forms' idempotency keys
EMAIL = EMAIL_PATTERN
DAY = "day"  # a date, YYYY-MM-DD, that exists (checked by `date.fromisoformat`, not a pattern)
CLOCK = "clock"  # a time of day, HH:MM
CHOICE_MAX = 200  # a category, sub-category, agency or option: the settings' own names are far shorter
CHOICES_MAX = 50


@dataclass(frozen=True)
class Ask:
    """How a page asks for one field, for the messages of its problems. Every message may use {label},
    {lower} (the label in lower case), {max_length}, {length}, {max_items} and {number} (of a list's item)."""

    label: str
    empty: str = "Enter the {lower}."  # required, and blank or missing
    not_text: str | None = None  # text was wanted (default: `invalid`, else "{label} must be text.")
    invalid: str | None = None  # anything else: a wrong type, not one of the choices, not a date
    too_long: str = "{label} must be {max_length:,} characters or fewer. It has {length:,}."
    too_many: str = "Choose {max_items} {lower} or fewer."
    duplicates: str = "{Label} are listed twice."
    item: str | None = None  # an item of a list that is not right (default: `invalid`)
    problem: str | None = None  # the answer's message when this field is its first problem (default: the model's)
    whole: bool = False  # a problem here is the whole answer: its message, no fields (a form out of date)

    def say(self, kind: str, **values: Any) -> str:
        """The message for a problem of this `kind` ("empty", "not_text", "too_long", "too_many", "duplicates",
        "item", "invalid")."""
        label = self.label
        template = (
            {
                "empty": self.empty,
                "not_text": self.not_text or self.invalid or "{Label} must be text.",
                "too_long": self.too_long,
                "too_many": self.too_many,
                "duplicates": self.duplicates,
                "item": self.item or self.invalid or "Choose {lower} from the list.",
            }.get(kind)
            or self.invalid
            or "{Label} must be text."
        )
        number = values.get("number")
        label = label.replace("{number}", str(number)) if number is not None else label.replace(" {number}", "")
        return template.format(label=label, lower=label.lower(), Label=label[:1].upper() + label[1:], **values)


def _fail(kind: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(f"lantern_{kind}", kind, context)


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _well_formed(value: str, pattern: str) -> bool:
    if pattern == DAY:
        try:
            return len(value) == 10 and 1900 <= date.fromisoformat(value).year <= 2200
        except ValueError:
            return False
    if pattern == CLOCK:
        try:
            return len(value) == 5 and time.fromisoformat(value) is not None
        except ValueError:
            return False
    return _compiled(pattern).fullmatch(value) is not None


@dataclass(frozen=True)
class TextRule:
    """Text: None is blank; trimmed unless `strip` is false (passwords); blank refused when `required`; at most
    `max_length` characters; matching `pattern` (whole) when given; never NUL, C0 controls or lone surrogates."""

    max_length: int
    required: bool = True
    strip: bool = True
    pattern: str | None = None

    def __call__(self, value):
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise _fail("not_text")
        if not clean_text(value):  # NUL, another C0 control, a lone surrogate
            raise _fail("invalid")
        if self.strip:
            value = value.strip()
        if not value.strip():
            if self.required:
                raise _fail("empty")
            return ""
        if len(value) > self.max_length:
            raise _fail("too_long", max_length=self.max_length, length=len(value))
        if self.pattern is not None and not _well_formed(value, self.pattern):
            raise _fail("invalid")
        return value


def _text_check(max_length: int, required: bool, strip: bool, pattern: str | None) -> BeforeValidator:
    return BeforeValidator(TextRule(max_length, required, strip, pattern))


def Text(  # noqa: N802 - a type, used as one
    ask: Ask, max_length: int, *, required: bool = True, strip: bool = True, pattern: str | None = None
) -> Any:
    """Text, as `TextRule` checks it, asked for as `ask`."""
    return Annotated[str, _text_check(max_length, required, strip, pattern), Field(default=""), ask]


@dataclass(frozen=True)
class ListRule:
    """A list (None is empty) of at most `max_items` items; no item twice when `unique`."""

    max_items: int
    unique: bool = False

    def __call__(self, value):
        if value is None:
            return []
        if not isinstance(value, list):
            raise _fail("invalid")
        if len(value) > self.max_items:
            raise _fail("too_many", max_items=self.max_items)
        if self.unique and all(isinstance(item, str) for item in value) and len(set(value)) != len(value):
            raise _fail("duplicates")
        return value


def _list_check(max_items: int, unique: bool) -> BeforeValidator:
    return BeforeValidator(ListRule(max_items, unique))


def List(item: Any, ask: Ask, max_items: int, *, unique: bool = False) -> Any:  # noqa: N802
    """A list (None is empty) of at most `max_items` items, each checked as `item`; no item twice when `unique`."""
    return Annotated[list[item], _list_check(max_items, unique), Field(default_factory=list), ask]


def _from_the_list(ask: Ask) -> Ask:
    return ask if ask.invalid else replace(ask, invalid="Choose {lower} from the list.")


def Ids(ask: Ask, max_items: int, pattern: str = UUID) -> Any:  # noqa: N802
    """People or pupils chosen from the page's lists: ids (or roster references), each once."""
    item = Annotated[str, _text_check(38 if pattern == PUPIL else 36, True, False, pattern)]  # 32 hex, ".", 5
    return List(item, _from_the_list(ask), max_items, unique=True)


Choice = Annotated[str, _text_check(CHOICE_MAX, True, False, None)]  # a name from the settings' lists


def Items(item: Any, max_items: int) -> Any:  # noqa: N802
    """A list of at most `max_items` items inside another value (an object's values): no default of its own."""
    return Annotated[list[item], _list_check(max_items, False)]


def Choices(ask: Ask, max_items: int = CHOICES_MAX) -> Any:  # noqa: N802
    """Names ticked from one of the settings' lists (which names exist is the domain's to check)."""
    return List(Choice, _from_the_list(ask), max_items)


def _object_check(value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail("invalid")
    return value


def Mapping(value: Any, ask: Ask) -> Any:  # noqa: N802
    """An object of names (the settings' categories, questions) to values checked as `value`."""
    return Annotated[dict[Choice, value], BeforeValidator(_object_check), Field(default_factory=dict), ask]


def _answer_check(value):
    """An answer to a category's question: text (a text question) or the options ticked (the others)."""
    if isinstance(value, list):
        return ListRule(CHOICES_MAX)([TextRule(CHOICE_MAX, strip=False)(v) for v in value])
    return TextRule(TEXT_ANSWER_MAX, required=False)(value)


Answer = Annotated[str | list[str], BeforeValidator(_answer_check)]


def Flag(ask: Ask) -> Any:  # noqa: N802
    """Yes or no, as JSON's true or false (never "yes", 1 or null)."""
    return Annotated[bool, Field(default=False), ask]


def Number(ask: Ask) -> Any:  # noqa: N802
    """A finite number (JSON's integers and decimals; never text, true or NaN)."""
    return Annotated[float, Field(default=None, allow_inf_nan=False), ask]


def OneOf(choices: tuple[str, ...], ask: Ask) -> Any:  # noqa: N802
    """One of a fixed list of words (none of them from the settings)."""
    return Annotated[Literal[choices], Field(default=None), ask]  # type: ignore[valid-type]


class Form(BaseModel):
    """A request model: strict, closed, checked whole (defaults too), never changed once read."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, validate_default=True, hide_input_in_errors=True, defer_build=True
    )

    problem: ClassVar[str] = "There is a problem with what was entered."  # the answer's message for its fields
    on_page: ClassVar[dict[str, str]] = {}  # the names of what was sent → the page's field ids (`page_ids`)
    max_bytes: ClassVar[int] = MAX_BODY_BYTES
    empty_body: ClassVar[str | None] = None  # the answer to an empty body (default: "The request was empty…")
    too_large: ClassVar[str | None] = None  # the answer to a body over `max_bytes`


# --- Signing in ------------------------------------------------------------------------------------------------


def yours(label: str, **changes: Any) -> Ask:
    """A sign-in page's field: "Enter your email address.", "Password must be 256 characters or fewer."."""
    too_long = "{label} must be {max_length} characters or fewer."
    return Ask(label, empty="Enter your {lower}.", too_long=too_long, **changes)


BAD_EMAIL = "Enter an email address in the correct format, like name@school.org.uk"


class SignIn(Form):
    email: Text(yours("Email address", invalid=BAD_EMAIL, not_text="{label} must be text."), 254, pattern=EMAIL)
    password: Text(yours("Password"), 256, strip=False)


class PasswordLinkRequest(Form):
    email: Text(yours("Work email address", invalid=BAD_EMAIL, not_text="{label} must be text."), 254, pattern=EMAIL)


class NewPassword(Form):
    token: Text(yours("Link"), 100)
    password: Text(yours("New password"), 1024, strip=False)


class Code(Form):
    """A code from the authenticator app (or a recovery code), for enrolment or the second step."""

    code: Text(yours("Code"), 32)


class PasskeySignIn(Form):
    """A passkey's answer to the second step: WebAuthn's binary values as base64url text."""

    id: Text(yours("Passkey"), MAX_CREDENTIAL_TEXT)
    client_data: Text(yours("Client data"), 4096)
    authenticator_data: Text(yours("Authenticator data"), 4096)
    signature: Text(yours("Signature"), 2048)
    user_handle: Text(yours("User handle"), 256, required=False)


class NewPasskey(Form):
    id: Text(yours("Passkey"), MAX_CREDENTIAL_TEXT)
    client_data: Text(yours("Client data"), 4096)
    attestation_object: Text(yours("Attestation"), 16384)
    transports: Text(yours("Transports"), 200, required=False)
    label: Text(yours("Name"), 60, required=False)


# --- Adding an incident ----------------------------------------------------------------------------------------

INCIDENT_PROBLEM = "There is a problem with the incident. Nothing has been saved yet."
OUT_OF_DATE = "The form is out of date. Reload the page (what you typed will be kept) and try again."
CHOOSE_PUPIL = "Choose the student from the list: start typing their first name."
WHEN = "Enter the date and time of the incident, like 27/11/2026 and 10:30."
NOT_ON_MAP = "Mark {number} is not on the body map. Remove it and mark again."
OUTSIDE_MAP = "Mark {number} is outside the body map. Remove it and mark again."
RELOAD = "Reload the page and try again."


class BodyMarkIn(Form):
    """A mark on the body map: where it is (which outline, region and point) is checked against the map itself
    by chalicelib/incidents/form.py."""

    view: Text(Ask("View", empty=NOT_ON_MAP, invalid=NOT_ON_MAP), 10)
    region: Text(Ask("Region", empty=NOT_ON_MAP, invalid=NOT_ON_MAP), 64)
    x: Number(Ask("x", empty=OUTSIDE_MAP, invalid=OUTSIDE_MAP))
    y: Number(Ask("y", empty=OUTSIDE_MAP, invalid=OUTSIDE_MAP))
    note: Text(Ask("The note on mark {number}"), MARK_NOTE_MAX, required=False) = ""


REMINDER_WHEN = "Enter the date and time for your reminder."


class PlannerIn(Form):
    """A reminder for the reporter's planner, added with the incident."""

    date: Text(Ask("Date", empty=REMINDER_WHEN, invalid=REMINDER_WHEN), 10, pattern=DAY)
    time: Text(Ask("Time", empty=REMINDER_WHEN, invalid=REMINDER_WHEN), 5, pattern=CLOCK)
    note: Text(Ask("Planner note"), PLANNER_NOTE_MAX, required=False) = ""


class NewIncident(Form):
    problem = INCIDENT_PROBLEM
    on_page = {
        "pupil_id": "pupil",
        "linked_pupil_ids": "linked-pupils",
        "subcategories": "categories",
        "subcategories.*": "subcategories-{}",
        "answers": "categories",
        "answers.*": "question-{}",
        "time": "date",  # a time that cannot be read is asked for again with the date
        "occurred_at": "time",  # a moment in the future is the time's
        "body_marks": "body-map",
        "assigned_ids": "assign-to",
        "alerted_ids": "alert",
        "planner": "planner-date",
        "planner.date": "planner-date",
        "planner.time": "planner-date",
        "planner.due_at": "planner-time",
        "planner.note": "planner-note",
        "upload_ids": "files",
    }

    idempotency_key: Text(Ask("Form", empty=OUT_OF_DATE, invalid=OUT_OF_DATE, whole=True), 64, pattern=FORM_KEY)
    pupil_id: Text(
        Ask("Student", empty=CHOOSE_PUPIL, invalid=CHOOSE_PUPIL, too_long=CHOOSE_PUPIL), 38, strip=False, pattern=PUPIL
    )
    linked_pupil_ids: Ids(Ask("linked students", invalid="Choose linked students from the list."), MAX_LINKED, PUPIL)
    categories: Choices(Ask("categories", invalid="Choose at least one category."))
    subcategories: Mapping(
        Items(Choice, CHOICES_MAX),
        Ask("sub-categories", invalid="Choose the sub-categories from the list."),
    )
    answers: Mapping(
        Answer,
        Ask("The answer", invalid="Answer the questions from the list."),
    )
    date: Text(Ask("Date", empty=WHEN, invalid=WHEN), 10, pattern=DAY)
    time: Text(Ask("Time", empty=WHEN, invalid=WHEN), 5, pattern=CLOCK)
    day: OneOf(WEEKDAYS, Ask("Day", invalid="Choose the day of the week."))
    session: Text(Ask("Session", empty="Choose the session.", invalid="Choose the session."), CHOICE_MAX)
    location: Text(
        Ask("Location", empty="Choose the location of the incident.", invalid="Choose the location of the incident."),
        CHOICE_MAX,
    )  # noqa: E501
    account: Text(Ask("Incident", empty="Write what happened in the incident box."), ACCOUNT_MAX)
    body_marks: List(
        BodyMarkIn,
        Ask(
            "Body map marks",
            invalid="The body map marks could not be read. Remove them and mark again.",
            too_many="Use {max_items} marks or fewer on the body map.",
            item=NOT_ON_MAP,
        ),
        MAX_MARKS,
    )
    status: OneOf(STATUSES, Ask("Status", invalid="Choose Active or Closed."))
    assigned_ids: Ids(Ask("people to assign"), MAX_ASSIGNED)
    alerted_ids: Ids(Ask("people to alert"), MAX_ALERTED)
    agencies: Choices(Ask("agencies", invalid="Choose agencies from the list."))
    planner: Annotated[
        PlannerIn | None,
        Ask("Planner reminder", invalid="The planner reminder could not be read. Choose its date and time again."),
    ] = None
    upload_ids: Ids(Ask("files"), MAX_FILES)


UNREADABLE_SIZE = "This file's size could not be read. Choose it again."


class NewUpload(Form):
    """What the browser says it will upload (the file itself goes straight to S3: chalicelib/files.py)."""

    problem = "This file cannot be uploaded."
    on_page = {"name": "files", "type": "files", "size": "files"}

    name: Text(
        Ask(
            "File name",
            empty="The file needs a name of 255 characters or fewer.",
            too_long="The file needs a name of 255 characters or fewer.",
        ),
        255,
    )  # noqa: E501
    type: Text(Ask("Type", invalid=f"This file cannot be uploaded: choose a {ALLOWED_LIST}."), 200, required=False)
    size: Annotated[int, Field(default=None), Ask("Size", invalid=UNREADABLE_SIZE)]


# --- Changing an incident (the review page) --------------------------------------------------------------------

CHANGE_PROBLEM = "There is a problem. Nothing has been changed."


def ChangeKey() -> Any:  # noqa: N802
    """A form's idempotency key, if it sends one: a retry of a change that was saved changes nothing more."""
    return Text(Ask("Form", invalid=RELOAD, too_long=RELOAD), 100, required=False, strip=False, pattern=CHANGE_KEY)


class Change(Form):
    problem = CHANGE_PROBLEM

    idempotency_key: ChangeKey()


class NewAction(Change):
    on_page = {
        "text": "action-text",
        "date": "action-date",
        "tagged_ids": "action-tagged",
        "follow_up": "action-follow-up",
    }

    text: Text(Ask("Action"), ACTION_MAX)
    date: Text(
        Ask(
            "Date",
            empty="Enter the date of the action as a date, like 27/11/2026.",
            invalid="Enter the date of the action as a date, like 27/11/2026.",
        ),
        10,
        pattern=DAY,
    )
    tagged_ids: Ids(Ask("staff to tag"), MAX_TAGGED)
    follow_up: Text(
        Ask("Follow up", invalid="Enter the follow up date as a date, like 27/11/2026."),
        10,
        required=False,
        pattern=DAY,
    )  # noqa: E501


RECATEGORISE = "Choose at least one category and one sub-category for each."


class Recategorisation(Change):
    on_page = {
        "categories": "recategorise-categories",
        "subcategories": "recategorise-categories",
        "subcategories.*": "recategorise-categories",
        "reason": "recategorise-reason",
        "keep_ids": "recategorise-keep",
    }

    categories: Choices(Ask("categories", invalid=RECATEGORISE))
    subcategories: Mapping(
        Items(Choice, CHOICES_MAX),
        Ask("sub-categories", invalid=RECATEGORISE),
    )  # noqa: E501
    reason: Text(Ask("Reason"), REASON_MAX)
    keep_ids: Ids(Ask("people to keep on it"), MAX_KEPT)


class ConcernLevel(Change):
    on_page = {"level": "concern-level", "reason": "concern-reason"}

    level: OneOf(CONCERN_LEVELS, Ask("Concern level", invalid="Choose low, medium or high."))
    reason: Text(Ask("Reason"), REASON_MAX)


class Assignment(Change):
    on_page = {"assigned_ids": "assign-to", "reason": "assign-reason"}

    assigned_ids: Ids(Ask("people to assign"), MAX_ASSIGNED)
    reason: Text(Ask("Reason"), REASON_MAX, required=False)


class StatusChange(Change):
    on_page = {"status": "status-status", "decision": "status-decision", "reason": "status-reason"}

    status: OneOf(STATUSES, Ask("Status", invalid="Choose Active or Closed."))
    decision: Text(Ask("Decision"), REASON_MAX, required=False)
    reason: Text(Ask("Reason"), REASON_MAX, required=False)


class AgenciesChange(Change):
    agencies: Choices(Ask("agencies", invalid="Choose agencies from the list."))


class ActionDone(Change):
    on_page = {"note": "action-done-note"}

    note: Text(Ask("What was done"), DONE_NOTE_MAX, required=False)


# --- Alerts and the planner ------------------------------------------------------------------------------------


class AlertRead(Form):
    incident_id: Text(yours("Incident"), 36)


REMINDER_PROBLEM = "There is a problem with the reminder. Nothing has been saved yet."
NO_SUCH_REMINDER = "This reminder is not in your planner any more. Reload the page."
REMINDER_PAGE = {
    "date": "planner-date",
    "time": "planner-date",
    "due_at": "planner-time",
    "note": "planner-note",
    "incident_id": "planner-incident",
}


class NewReminder(Form):
    problem = REMINDER_PROBLEM
    on_page = REMINDER_PAGE

    date: Text(Ask("Date", empty=REMINDER_WHEN, invalid=REMINDER_WHEN), 10, pattern=DAY)
    time: Text(Ask("Time", empty=REMINDER_WHEN, invalid=REMINDER_WHEN), 5, pattern=CLOCK)
    note: Text(Ask("Planner note"), PLANNER_NOTE_MAX, required=False)
    incident_id: Text(
        Ask("Incident", invalid="You cannot add a reminder about this incident. Remove it and try again."),
        36,
        required=False,
    )
    idempotency_key: ChangeKey()


class ReminderChange(Form):
    problem = REMINDER_PROBLEM
    on_page = {**REMINDER_PAGE, "id": "planner-date"}

    id: Text(Ask("Reminder", empty=NO_SUCH_REMINDER, invalid=NO_SUCH_REMINDER), REMINDER_ID_MAX)
    date: Text(Ask("Date", empty=REMINDER_WHEN, invalid=REMINDER_WHEN), 10, pattern=DAY)
    time: Text(Ask("Time", empty=REMINDER_WHEN, invalid=REMINDER_WHEN), 5, pattern=CLOCK)
    note: Text(Ask("Planner note"), PLANNER_NOTE_MAX, required=False)


class ReminderDelete(Form):
    problem = REMINDER_PROBLEM

    id: Text(Ask("Reminder", empty=NO_SUCH_REMINDER, invalid=NO_SUCH_REMINDER), REMINDER_ID_MAX)


# --- Query strings (each value is text; a parameter sent twice counts once, the last) -------------------------

LIST_ENDS = "This list could not be continued. Reload the page."
A_DATE = "Enter a date, like 27/11/2026."


def Cursor() -> Any:  # noqa: N802
    return Text(Ask("Cursor", invalid="Reload the page.", problem=LIST_ENDS), MAX_CURSOR, required=False)


class AlertsQuery(Form):
    cursor: Cursor()


CATEGORY = "Choose a category from the list."
ORDER = "Choose newest or oldest first."


class ChronologyFilters(Form):
    """The chronology's filters (its PDF takes the same)."""

    category: Text(Ask("Category", invalid=CATEGORY, problem=CATEGORY), CHOICE_MAX, required=False)
    from_: Annotated[
        Text(Ask("From", invalid=A_DATE, problem="Check the dates."), 10, required=False, pattern=DAY),
        Field(alias="from"),
    ]
    to: Text(Ask("To", invalid=A_DATE, problem="Check the dates."), 10, required=False, pattern=DAY)
    order: OneOf(("", "newest", "oldest"), Ask("Order", invalid=ORDER, problem=ORDER)) = ""


class ChronologyQuery(ChronologyFilters):
    cursor: Cursor()


FROM_THE_LIST = "Choose from the list."
REPORT_TEXT_MAX = 60  # a year group, class or other filter of the reports page


def Filter(label: str) -> Any:  # noqa: N802
    return Text(Ask(label, invalid=FROM_THE_LIST, too_long=FROM_THE_LIST), REPORT_TEXT_MAX, required=False)


class ReportQuery(Form):
    """The reports page's period and filters (which exist is the school's settings': chalicelib/reports)."""

    problem = "Check the filters."

    preset: Text(
        Ask("Period", invalid="Choose a period from the list.", too_long="Choose a period from the list."),
        20,
        required=False,
    )  # noqa: E501
    from_: Annotated[
        Text(Ask("From", invalid=A_DATE, too_long=A_DATE, problem="Check the dates."), 10, required=False),
        Field(alias="from"),
    ]
    to: Text(Ask("To", invalid=A_DATE, too_long=A_DATE, problem="Check the dates."), 10, required=False)
    category: Filter("Category")
    subcategory: Filter("Sub-category")
    year_group: Filter("Year group")
    class_name: Filter("Class")
    flag: Filter("Flag")
    location: Filter("Location")
    session: Filter("Session")
    status: Filter("Status")
    interval: OneOf(("", "week", "month"), Ask("Interval", invalid="Choose weeks or months.")) = ""


YES = ("", "1")


class ExportQuery(ReportQuery):
    """The reports' filters, and whether the export holds pupils' names and what staff wrote."""

    names: OneOf(YES, Ask("Names", invalid="Choose whether to include pupils' names.")) = ""
    account: OneOf(YES, Ask("Account", invalid="Choose whether to include what was written.")) = ""


# --- Reading: the guards, the model, and its problems in the page's words -------------------------------------


def read_body(model: type[Form], raw: bytes | str | None) -> Form:
    """A request body read with the guards (size, depth, one JSON object, clean strings), then `model`; or
    `InvalidInputError` (`TooLargeError`) with a message per field, keyed by the names that were sent."""
    kwargs = {k: v for k, v in (("empty", model.empty_body), ("too_large", model.too_large)) if v}
    data = read_json_object(raw, max_bytes=model.max_bytes, **kwargs)
    return validate(model, data)


def read_query(model: type[Form], params: dict[str, str]) -> Form:
    """A query string (its parameters as text) read with `model`."""
    return validate(model, dict(params))


def validate(model: type[Form], data: dict) -> Form:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise problems(model, error) from None


def problems(model: type[Form], error: ValidationError) -> InvalidInputError:
    """pydantic's errors as Lantern's: one plain-English message per field (the first problem of each)."""
    fields: dict[str, str] = {}
    headline = None
    for line in error.errors(include_url=False, include_input=False):
        name, ask, number = _locate(model, line["loc"], line["type"])
        message = _message(line, ask, number, nested=len(line["loc"]) > 1)
        if ask is not None and ask.whole:
            return InvalidInputError(message)
        if name not in fields:
            fields[name] = message
            if headline is None:
                headline = ask.problem if ask is not None and ask.problem else None
    return InvalidInputError(headline or model.problem, fields)


def _message(line: dict, ask: Ask | None, number: int | None, *, nested: bool) -> str:
    kind = line["type"]
    context = dict(line.get("ctx") or {})
    if kind == "extra_forbidden" and not nested:
        return NOT_EXPECTED
    if ask is None:
        return NOT_EXPECTED if kind == "extra_forbidden" else "Check this field."
    if line["loc"] and isinstance(line["loc"][-1], int):
        kind = "item"  # an item of a list that is not right, whatever is wrong with it
    elif kind.startswith("lantern_"):
        kind = kind.removeprefix("lantern_")
    elif kind == "missing":
        kind = "empty"
    elif kind == "extra_forbidden" and number is not None:
        kind = "item"  # an unknown field inside an item of a list: the item is not right
    else:
        kind = "not_text" if kind == "string_type" else "invalid"
    values = {key: context[key] for key in ("max_length", "length", "max_items") if key in context}
    return ask.say(kind, number=number, **values)


def _locate(model: type[BaseModel], loc: tuple, kind: str) -> tuple[str, Ask | None, int | None]:
    """Where a problem is: the dotted name of what was sent (list positions left out: "planner.date",
    "subcategories.Behaviour", "body_marks"), the deepest field's Ask, and the list item's number (from 1)."""
    names: list[str] = []
    ask: Ask | None = None
    number: int | None = None
    current: type[BaseModel] | None = model
    for position, part in enumerate(loc):
        if isinstance(part, int):
            number = part + 1
            continue
        field = _fields(current).get(part) if current is not None else None
        if field is None:
            last = position == len(loc) - 1
            if not (kind == "extra_forbidden" and last and names):  # an unknown field inside a known one: the known
                names.append(str(part))  # an unknown field, or a key of an object (a category, a question)
            break
        names.append(part)
        ask = next((m for m in field.metadata if isinstance(m, Ask)), ask)
        current = _nested_model(field.annotation)
    return ".".join(names), ask, number


@cache
def _fields(model: type[BaseModel]) -> dict:
    return {(info.alias or name): info for name, info in model.model_fields.items()}


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (itself, in a list, or optional), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None
