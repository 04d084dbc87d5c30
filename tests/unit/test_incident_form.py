"""The incident form's rules, without AWS: times in the school's zone, discarded answers, limits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from chalicelib.errors import InvalidInputError
from chalicelib.incidents import form
from chalicelib.settings import load_school
from chalicelib.web.requests import NewIncident, validate
from chalicelib.web.routing import page_ids

SCHOOL = load_school("infra/schools/themead.toml")
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # 13:00 in London (BST)


def parse_submission(data: dict, school, now):
    """As the route reads a submission: its request model, then the settings' and the clock's rules; problems on
    the page's field ids."""
    try:
        return form.parse_submission(validate(NewIncident, data), school, now)
    except InvalidInputError as error:
        error.fields = page_ids(NewIncident.on_page, error.fields)
        raise


def body(**changes) -> dict:
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "pupil_id": str(uuid.uuid4()),
        "categories": ["Behaviour"],
        "subcategories": {"Behaviour": ["Damage"]},
        "date": "2026-07-01",
        "time": "12:30",
        "day": "Wednesday",
        "session": "Lunchtime",
        "location": "Hall",
        "account": "  Invented account.  ",
        "status": "Closed",
    }
    data.update(changes)
    return data


def test_a_minimal_submission_is_read_in_the_schools_time_zone():
    submission = parse_submission(body(), SCHOOL, NOW)
    assert submission.occurred_at == datetime(2026, 7, 1, 11, 30, tzinfo=UTC)  # 12:30 BST
    assert submission.account == "Invented account."
    assert submission.linked_pupil_ids == [] and submission.body_marks == [] and submission.planner is None


def test_winter_times_are_gmt():
    winter = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    submission = parse_submission(body(date="2026-12-01", time="11:00", day="Tuesday"), SCHOOL, winter)
    assert submission.occurred_at == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


def test_a_few_minutes_of_clock_difference_is_tolerated_but_not_more():
    parse_submission(body(time="13:04"), SCHOOL, NOW)  # the device clock is a little ahead
    with pytest.raises(InvalidInputError) as error:
        parse_submission(body(time="13:10"), SCHOOL, NOW)
    assert "future" in error.value.fields["time"]


def test_answers_of_unticked_categories_are_dropped_and_choices_keep_the_settings_order():
    submission = parse_submission(
        body(
            categories=["Safeguarding", "Behaviour"],
            subcategories={
                "Behaviour": ["Other", "Damage"],
                "Safeguarding": ["FGM"],
                "Bullying": ["Other (please specify)"],
            },
            answers={"outcomes": ["Aggressive incident"], "further_measures": "Not asked: Bullying is not ticked"},
        ),
        SCHOOL,
        NOW,
    )
    assert submission.categories == ["Behaviour", "Safeguarding"]
    assert submission.subcategories == {"Behaviour": ["Damage", "Other"], "Safeguarding": ["FGM"]}
    assert submission.answers == {"outcomes": ["Aggressive incident"]}


def test_every_problem_is_reported_at_once():
    """Every problem of the form's shape at once (its request model), then every one of the settings' rules."""
    with pytest.raises(InvalidInputError) as error:
        parse_submission(body(pupil_id=None, location="Roof", account="", status=None), SCHOOL, NOW)
    assert set(error.value.fields) == {"pupil", "account", "status"}
    with pytest.raises(InvalidInputError) as error:
        parse_submission(body(location="Roof", session="Elevenses", categories=["Gossip"]), SCHOOL, NOW)
    assert set(error.value.fields) == {"location", "session", "categories"}


@pytest.mark.parametrize("bad", [[], "Behaviour", [1], None])
def test_categories_must_be_a_list_of_known_names(bad):
    with pytest.raises(InvalidInputError) as error:
        parse_submission(body(categories=bad), SCHOOL, NOW)
    assert "categories" in error.value.fields


def test_a_planner_reminder_is_due_in_the_schools_time_zone():
    submission = parse_submission(
        body(planner={"date": "2026-07-02", "time": "08:00", "note": "Call home"}), SCHOOL, NOW
    )
    assert submission.planner.due_at == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
    assert submission.planner.note == "Call home"


ANSWER = "0123456789abcdef0123456789abcdef"


def test_pupils_may_be_roster_references_and_are_kept_as_sent_for_the_service_to_resolve():
    linked = [f"{ANSWER}.0", f"{ANSWER}.10"]
    submission = parse_submission(body(pupil_id=f"{ANSWER}.1999", linked_pupil_ids=linked), SCHOOL, NOW)
    assert submission.pupil_id == f"{ANSWER}.1999" and submission.linked_pupil_ids == linked


@pytest.mark.parametrize(
    "bad",
    [
        f"{ANSWER}.01",  # a position has no leading zero, so one pupil has one reference per answer
        f"{ANSWER}.",
        f"{ANSWER}.123456",  # more pupils than any answer holds
        f"{ANSWER[:31]}.1",
        f"{ANSWER.upper()}.1",
        f"{ANSWER}.1 ",
        f"{ANSWER}.-1",
        f"{ANSWER}.1.2",
        "0123abcd",  # no prefix of an id names a pupil
        "Ama Boateng",
    ],
)
def test_anything_else_is_not_a_pupil(bad):
    with pytest.raises(InvalidInputError) as error:
        parse_submission(body(pupil_id=bad), SCHOOL, NOW)
    assert error.value.fields["pupil"].startswith("Choose the student from the list")
    with pytest.raises(InvalidInputError) as error:
        parse_submission(body(linked_pupil_ids=[bad]), SCHOOL, NOW)
    assert error.value.fields["linked-pupils"] == "Choose linked students from the list."


def test_the_same_reference_twice_or_the_pupil_also_linked_is_refused_as_for_ids():
    with pytest.raises(InvalidInputError) as error:
        parse_submission(body(pupil_id=f"{ANSWER}.3", linked_pupil_ids=[f"{ANSWER}.3", f"{ANSWER}.4"]), SCHOOL, NOW)
    assert "cannot also be a linked student" in error.value.fields["linked-pupils"]
    with pytest.raises(InvalidInputError) as error:
        parse_submission(body(linked_pupil_ids=[f"{ANSWER}.4", f"{ANSWER}.4"]), SCHOOL, NOW)
    assert "listed twice" in error.value.fields["linked-pupils"]
