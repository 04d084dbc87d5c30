"""Access follows escalation: someone alerted on a Behaviour incident stops reading it once the DSL makes it
Safeguarding, unless the DSL keeps them on it; the history records both, and their alert says only that it was
passed to the DSL team."""

from __future__ import annotations

import pytest

from chalicelib.models import Incident
from tests.functional.incident_data import submission
from tests.helpers import Api, session_cookie_for


@pytest.fixture
def as_(client, people):
    return lambda who: Api(client, session_cookie_for(people[who]))


@pytest.fixture
def behaviour_alerting_the_ta(as_, people):
    response = as_("teacher").post("/incidents", submission(people, alerted_ids=[people["ta"].staff_id]))
    assert response.status_code == 201, response.data
    return next(i.incident_id for i in Incident.scan() if i.reference == response.data["reference"])


def escalate(as_, incident_id, **extra):
    body = {"categories": ["Safeguarding"], "subcategories": {"Safeguarding": ["Neglect"]}, "reason": "Disclosure"}
    response = as_("dsl").post(f"/incidents/{incident_id}/recategorise", {**body, **extra})
    assert response.status_code == 200, response.data
    return response.data


def test_an_alerted_teacher_stops_reading_it_once_it_becomes_safeguarding(as_, people, behaviour_alerting_the_ta):
    ta = as_("ta")
    assert ta.get(f"/incidents/{behaviour_alerting_the_ta}").status_code == 200
    page = escalate(as_, behaviour_alerting_the_ta)
    assert "No longer open to " + people["ta"].name in page["history"][-1]["summary"]
    assert ta.get(f"/incidents/{behaviour_alerting_the_ta}").status_code == 403
    as_("dsl").post(
        f"/incidents/{behaviour_alerting_the_ta}/actions", {"text": "Referral to MASH.", "date": "2026-11-27"}
    )
    assert ta.get(f"/incidents/{behaviour_alerting_the_ta}").status_code == 403  # nor the DSL's later actions
    (alert,) = ta.get("/alerts").data["alerts"]
    assert alert["passed_on"] is True and alert["categories"] == []  # no trace of "Safeguarding"


def test_the_dsl_can_keep_them_on_it_and_that_is_recorded(as_, people, behaviour_alerting_the_ta):
    page = escalate(as_, behaviour_alerting_the_ta, keep_ids=[people["ta"].staff_id])
    assert "Kept on it: " + people["ta"].name in page["history"][-1]["summary"]
    assert as_("ta").get(f"/incidents/{behaviour_alerting_the_ta}").status_code == 200


def test_a_change_within_what_they_may_read_keeps_their_access(as_, people, behaviour_alerting_the_ta):
    body = {
        "categories": ["Bullying"],
        "subcategories": {"Bullying": ["Having personal possessions taken or damaged"]},
        "reason": "It was bullying",
    }
    response = as_("dsl").post(f"/incidents/{behaviour_alerting_the_ta}/recategorise", body)
    assert response.status_code == 200, response.data
    assert as_("ta").get(f"/incidents/{behaviour_alerting_the_ta}").status_code == 200


def test_try_again_after_a_saved_change_whose_answer_was_lost_adds_nothing(
    as_, people, behaviour_alerting_the_ta, monkeypatch
):
    """The change is saved, then reading the page back fails (a 500); the form's Try again, with the same
    idempotency key, finds its receipt: one action, not two."""
    from chalicelib.incidents import changes

    body = {"text": "Called home.", "date": "2026-11-27", "idempotency_key": "form-7f3a9c10"}
    real_page = changes._page_after
    with monkeypatch.context() as patch:
        patch.setattr(changes, "_page_after", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("lost")))
        first = as_("dsl").post(f"/incidents/{behaviour_alerting_the_ta}/actions", body)
    assert first.status_code == 500
    assert changes._page_after is real_page
    again = as_("dsl").post(f"/incidents/{behaviour_alerting_the_ta}/actions", body)
    assert again.status_code == 200, again.data
    assert [a["text"] for a in again.data["actions"]] == ["Called home."]
    other = as_("dsl").post(f"/incidents/{behaviour_alerting_the_ta}/actions", {**body, "idempotency_key": "form-8b1c"})
    assert [a["text"] for a in other.data["actions"]] == ["Called home.", "Called home."]  # a new form: a new action
