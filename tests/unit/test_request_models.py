"""The request models (chalicelib/web/requests.py): strict, closed, bounded, clean text; problems in the pages'
words on the pages' field ids. Every model, every field: a model added later is covered by the walk below (and
fails `test_every_model_has_an_example` until it has one)."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import BeforeValidator

from chalicelib.errors import InvalidInputError, TooLargeError
from chalicelib.validation import MAX_BODY_BYTES, MAX_DEPTH, NOT_EXPECTED
from chalicelib.web import requests, roster_requests
from chalicelib.web.requests import Ask, ListRule, TextRule, read_body, read_query, validate
from chalicelib.web.routing import page_ids, status_of

ID = str(uuid.UUID(int=7))
KEY = "form-key-0001"
MODELS = {
    name: model
    for module in (requests, roster_requests)
    for name, model in vars(module).items()
    if isinstance(model, type) and issubclass(model, requests.Form) and model is not requests.Form
}
VALID = {
    "SignIn": {"email": "sam@school.org", "password": "a long harbour morning"},
    "PasswordLinkRequest": {"email": "sam@school.org"},
    "NewPassword": {"token": "t0ken", "password": "a long harbour morning"},
    "Code": {"code": "123 456"},
    "PasskeySignIn": {"id": "aWQ", "client_data": "Y2Q", "authenticator_data": "YWQ", "signature": "c2ln"},
    "NewPasskey": {"id": "aWQ", "client_data": "Y2Q", "attestation_object": "YXR0", "label": "iPad"},
    "BodyMarkIn": {"view": "front", "region": "front-head", "x": 10, "y": 20.5, "note": "bruise"},
    "PlannerIn": {"date": "2026-12-03", "time": "08:00", "note": "Call home"},
    "NewIncident": {
        "idempotency_key": KEY,
        "pupil_id": ID,
        "linked_pupil_ids": [f"{'a' * 32}.3"],
        "categories": ["Behaviour"],
        "subcategories": {"Behaviour": ["Damage"]},
        "answers": {"outcomes": ["Detention"], "notes": "text"},
        "date": "2026-12-02",
        "time": "10:30",
        "day": "Wednesday",
        "session": "Lunchtime",
        "location": "Hall",
        "account": "What happened.",
        "body_marks": [{"view": "front", "region": "front-head", "x": 10, "y": 20}],
        "status": "Active",
        "assigned_ids": [ID],
        "alerted_ids": [],
        "agencies": ["Police"],
        "planner": {"date": "2026-12-03", "time": "08:00", "note": ""},
        "upload_ids": [ID],
    },
    "NewUpload": {"name": "letter.pdf", "type": "application/pdf", "size": 1000},
    "Change": {"idempotency_key": KEY},
    "NewAction": {"text": "Called home.", "date": "2026-12-02", "tagged_ids": [ID], "follow_up": "2026-12-09"},
    "Recategorisation": {"categories": ["Bullying"], "subcategories": {"Bullying": ["Verbal"]}, "reason": "Why."},
    "ConcernLevel": {"level": "high", "reason": "Why."},
    "Assignment": {"assigned_ids": [ID], "reason": ""},
    "StatusChange": {"status": "Closed", "decision": "Done.", "reason": "Why."},
    "AgenciesChange": {"agencies": ["Police"]},
    "ActionDone": {"note": "Done.", "idempotency_key": KEY},
    "AlertRead": {"incident_id": ID},
    "NewReminder": {"date": "2026-12-03", "time": "08:00", "note": "Call", "incident_id": ID},
    "ReminderChange": {"id": "2026-12-03T08:00:00+00:00#abc", "date": "2026-12-03", "time": "09:00", "note": ""},
    "ReminderDelete": {"id": "2026-12-03T08:00:00+00:00#abc"},
    "RosterUpload": {"kind": "pupils", "csv": "UPN,Forename\n", "full": True},
    "RosterStep": {"job_id": ID},
    "AlertsQuery": {"cursor": "abc"},
    "ChronologyFilters": {"category": "Behaviour", "from": "2026-09-01", "to": "2026-12-01", "order": "oldest"},
    "ChronologyQuery": {"category": "", "from": "", "to": "", "order": "", "cursor": "abc"},
    "ReportQuery": {"preset": "custom", "from": "2026-09-01", "to": "2026-12-01", "interval": "week"},
    "ExportQuery": {"preset": "term", "names": "1", "account": ""},
}


def rules(model):
    """Each field's name (as sent), the rule that checks it (TextRule, ListRule or None: pydantic's own type) and
    its FieldInfo; not a field whose problem is the whole answer (a form out of date: tested on its own)."""
    for name, info in model.model_fields.items():
        if any(isinstance(m, Ask) and m.whole for m in info.metadata):
            continue
        rule = next((m.func for m in info.metadata if isinstance(m, BeforeValidator)), None)
        yield info.alias or name, rule, info


def ask_of(info) -> Ask:
    return next(m for m in info.metadata if isinstance(m, Ask))


def refused(model, data) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as error:
        validate(model, data)
    return error.value


def test_every_model_has_an_example_and_reads_it():
    assert set(MODELS) == set(VALID)
    for name, model in MODELS.items():
        validate(model, VALID[name])


@pytest.mark.parametrize("name", sorted(VALID))
def test_a_field_nobody_asked_for_is_refused(name):
    error = refused(MODELS[name], {**VALID[name], "surprise": "x"})
    assert error.fields == {"surprise": NOT_EXPECTED}


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_field_refuses_the_wrong_type(name):
    model = MODELS[name]
    for field, rule, info in rules(model):
        if isinstance(rule, TextRule):
            wrong = [12, 1.5, True, ["text"], {"a": "b"}]
        elif str(info.annotation).startswith("dict"):
            wrong = ["text", [], 12]
        elif isinstance(rule, ListRule):
            wrong = ["text", 12, {"a": "b"}]
        elif info.annotation is bool:
            wrong = ["true", 1, "1"]
        elif info.annotation in (int, float):
            wrong = ["12", True, [12]]
        else:  # a fixed word, or a nested form
            wrong = [12, True, ["x"], {"x": 1}] if "Literal" in str(info.annotation) else ["x", 12, [1]]
        for value in wrong:
            error = refused(model, {**VALID[name], field: value})
            (where,) = error.fields  # one problem, on this field (or a key inside it: "subcategories.a")
            assert where == field or where.startswith(f"{field}."), (field, value, error.fields)
            assert error.fields[where].endswith((".", "uk")), error.fields[where]


@pytest.mark.parametrize("name", sorted(VALID))
def test_text_refuses_nul_controls_and_lone_surrogates_and_is_bounded(name):
    model = MODELS[name]
    for field, rule, info in rules(model):
        if not isinstance(rule, TextRule):
            continue
        for dirty in ("a\x00b", "a\x07b", "a\x1bb", "\ud800", "a\udfffb"):
            assert field in refused(model, {**VALID[name], field: dirty}).fields, (field, repr(dirty))
        too_long = "7" * (rule.max_length + 1)
        error = refused(model, {**VALID[name], field: too_long})
        assert field in error.fields, field
        if "{max_length" in ask_of(info).too_long:  # else the field says what to choose instead
            assert error.fields[field].startswith(ask_of(info).label.replace(" {number}", ""))
            assert f"{rule.max_length} characters or fewer" in error.fields[field].replace(",", "")
        if rule.required:
            assert field in refused(model, {**VALID[name], field: "   "}).fields, field
            absent = {k: v for k, v in VALID[name].items() if k != field}
            assert field in refused(model, absent).fields, field


@pytest.mark.parametrize("name", sorted(VALID))
def test_lists_are_bounded_and_ids_are_listed_once(name):
    model = MODELS[name]
    for field, rule, _ in rules(model):
        if not isinstance(rule, ListRule):
            continue
        example = VALID[name].get(field) or [ID]
        error = refused(model, {**VALID[name], field: example[:1] * (rule.max_items + 1)})
        assert field in error.fields, field
        if rule.unique:
            assert "listed twice" in refused(model, {**VALID[name], field: example[:1] * 2}).fields[field]


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        ("NewUpload", "size", "12"),  # text is not a number
        ("NewUpload", "size", 12.0),  # nor is a decimal a whole number of bytes
        ("NewUpload", "size", True),
        ("SignIn", "email", 12),  # a number is not text
        ("RosterUpload", "full", 1),  # 1 is not true
        ("RosterUpload", "full", "yes"),
        ("BodyMarkIn", "x", "10"),
        ("BodyMarkIn", "x", True),
        ("BodyMarkIn", "x", float("nan")),
        ("BodyMarkIn", "x", float("inf")),
        ("BodyMarkIn", "x", 10**400),
        ("NewIncident", "status", "active"),
        ("ReportQuery", "interval", "day"),
        ("ExportQuery", "names", "yes"),
        ("NewIncident", "date", "2026-02-30"),  # not a day that exists
        ("NewIncident", "date", "9999-12-31"),
        ("NewIncident", "time", "25:00"),
        ("NewIncident", "pupil_id", f"{ID} "),  # ids are not trimmed into shape
        ("NewIncident", "idempotency_key", "short"),
    ],
)
def test_types_are_strict(model, field, value):
    error = refused(MODELS[model], {**VALID[model], field: value})
    assert error.fields == {field: error.fields.get(field)} or error.fields == {}  # {} for a whole-form problem
    assert error.fields or error.message.startswith("The form is out of date")


def test_text_is_trimmed_but_passwords_are_kept_as_typed():
    form = validate(requests.SignIn, {"email": "  sam@school.org ", "password": "  spaced  "})
    assert (form.email, form.password) == ("sam@school.org", "  spaced  ")


def test_absent_lists_are_empty_and_absent_optional_text_blank():
    form = validate(requests.NewIncident, {k: v for k, v in VALID["NewIncident"].items() if not isinstance(v, list)})
    assert form.linked_pupil_ids == [] and form.upload_ids == [] and form.categories == []
    assert validate(requests.ExportQuery, {}).names == ""


def test_too_deep_oversized_and_unclean_bodies_are_refused_before_the_model():
    deep = '{"email": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}"
    with pytest.raises(InvalidInputError, match="could not be read"):
        read_body(requests.SignIn, deep)
    with pytest.raises(InvalidInputError, match="could not be read"):
        read_body(requests.SignIn, '{"email": "a\\u0000@b.org", "password": "x"}')
    with pytest.raises(InvalidInputError, match="could not be read"):
        read_body(requests.SignIn, '{"email": "\\udc80", "password": "x"}')
    with pytest.raises(TooLargeError) as error:
        read_body(requests.SignIn, '{"email": "' + "a" * MAX_BODY_BYTES + '"}')
    assert status_of(error.value) == 413
    roster = roster_requests.RosterUpload
    body = json.dumps({"kind": "pupils", "csv": "x" * MAX_BODY_BYTES})  # over the usual limit, within the roster's
    assert read_body(roster, body).kind == "pupils"
    with pytest.raises(TooLargeError, match="at most 2 MB"):
        read_body(roster, " " * (roster.max_bytes + 1))


def on_page(model, data) -> dict:
    error = refused(model, data)
    return page_ids(model.on_page, error.fields)


def test_problems_are_on_the_pages_field_ids_in_the_pages_words():
    incident = VALID["NewIncident"]
    assert on_page(requests.NewIncident, {**incident, "pupil_id": ""}) == {
        "pupil": "Choose the student from the list: start typing their first name."
    }
    assert on_page(requests.NewIncident, {**incident, "linked_pupil_ids": ["Ama Boateng"]}) == {
        "linked-pupils": "Choose linked students from the list."
    }
    assert on_page(requests.NewIncident, {**incident, "linked_pupil_ids": [ID] * 16}) == {
        "linked-pupils": "Choose 15 linked students or fewer."
    }
    assert on_page(requests.NewIncident, {**incident, "alerted_ids": [ID, ID]}) == {
        "alert": "People to alert are listed twice."
    }
    assert on_page(requests.NewIncident, {**incident, "account": "x" * 10_001}) == {
        "account": "Incident must be 10,000 characters or fewer. It has 10,001."
    }
    assert on_page(requests.NewIncident, {**incident, "account": ""}) == {
        "account": "Write what happened in the incident box."
    }
    assert on_page(requests.NewIncident, {**incident, "time": "10:3"}) == {
        "date": "Enter the date and time of the incident, like 27/11/2026 and 10:30."
    }
    assert on_page(requests.NewIncident, {**incident, "subcategories": {"Behaviour": [12]}}) == {
        "subcategories-Behaviour": "Choose the sub-categories from the list."
    }
    assert on_page(requests.NewIncident, {**incident, "answers": {"outcomes": 12}}) == {
        "question-outcomes": "Answer the questions from the list."
    }
    marks = [{"view": "front", "region": "r", "x": 1, "y": 1}, {"view": "front", "region": "r", "x": "1", "y": 1}]
    assert on_page(requests.NewIncident, {**incident, "body_marks": marks}) == {
        "body-map": "Mark 2 is outside the body map. Remove it and mark again."
    }
    assert on_page(requests.NewIncident, {**incident, "body_marks": [{"view": "front", "tail": 1}]}) == {
        "body-map": "Mark 1 is not on the body map. Remove it and mark again."
    }
    assert on_page(requests.NewIncident, {**incident, "planner": {"date": "", "time": "", "note": "x" * 501}}) == {
        "planner-date": "Enter the date and time for your reminder.",
        "planner-note": "Planner note must be 500 characters or fewer. It has 501.",
    }
    assert on_page(requests.NewIncident, {**incident, "planner": {"date": "2026-12-03", "time": "08:00", "x": 1}}) == {
        "planner-date": "The planner reminder could not be read. Choose its date and time again."
    }
    assert on_page(requests.NewAction, {**VALID["NewAction"], "text": " "}) == {"action-text": "Enter the action."}
    assert on_page(requests.StatusChange, {**VALID["StatusChange"], "status": None}) == {
        "status-status": "Choose Active or Closed."
    }
    assert on_page(requests.NewReminder, {**VALID["NewReminder"], "time": "9am"}) == {
        "planner-date": "Enter the date and time for your reminder."
    }
    assert on_page(requests.SignIn, {"email": 42, "password": "", "remember": True}) == {
        "email": "Email address must be text.",
        "password": "Enter your password.",
        "remember": NOT_EXPECTED,
    }


def test_a_form_out_of_date_is_the_whole_answer():
    error = refused(requests.NewIncident, {**VALID["NewIncident"], "idempotency_key": "", "account": ""})
    assert error.message.startswith("The form is out of date") and error.fields == {}


def test_the_domains_names_go_on_the_same_field_ids():
    """Domain code keys its problems by the names of what was sent; the route's model places them."""
    domain = {
        "pupil_id": "a",
        "linked_pupil_ids": "b",
        "subcategories.Behaviour": "c",
        "answers.bullying_other": "d",
        "occurred_at": "e",
        "planner.due_at": "f",
        "upload_ids": "g",
        "location": "h",
    }
    assert page_ids(requests.NewIncident.on_page, domain) == {
        "pupil": "a",
        "linked-pupils": "b",
        "subcategories-Behaviour": "c",
        "question-bullying_other": "d",
        "time": "e",
        "planner-time": "f",
        "files": "g",
        "location": "h",
    }
    recategorised = {"categories": "first", "subcategories": "second", "reason": "why"}
    assert page_ids(requests.Recategorisation.on_page, recategorised) == {
        "recategorise-categories": "first",  # the first problem of a field is the one shown
        "recategorise-reason": "why",
    }


def test_queries_name_their_own_problems():
    error = refused(requests.ChronologyQuery, {"from": "1/9/2026"})
    assert error.message == "Check the dates." and error.fields == {"from": "Enter a date, like 27/11/2026."}
    with pytest.raises(InvalidInputError) as error:
        read_query(requests.ChronologyQuery, {"order": "sideways", "page": "2"})
    assert error.value.fields == {"order": "Choose newest or oldest first.", "page": NOT_EXPECTED}
    assert read_query(requests.ExportQuery, {"names": "1"}).names == "1"


def test_messages_are_in_the_pages_tone():
    """Every message a model can give is a sentence a person can act on: none is pydantic's own wording."""
    for name, model in MODELS.items():
        for field, _, _ in rules(model):
            for value in (12, None, "x" * 20_000, ["x"] * 100, {"x": 1}, "\x00"):
                try:
                    validate(model, {**VALID[name], field: value})
                except InvalidInputError as error:
                    for message in [error.message, *error.fields.values()]:
                        assert message[:1].isupper() and "Input should" not in message, (name, field, message)
                        assert "{" not in message, (name, field, message)
