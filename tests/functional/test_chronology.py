"""The chronology a DSL runs a meeting from: each entry whole, its actions beneath it in their own time order,
backdated incidents in their place, oldest first on request, a reader told which categories they see, and the PDF."""

from __future__ import annotations

import base64
import io

import pytest
from pypdf import PdfReader

from chalicelib.models import AuditEntry
from tests.functional.incident_data import safeguarding, submission
from tests.functional.test_reports import put
from tests.functional.test_review import add
from tests.helpers import Api, session_cookie_for


@pytest.fixture
def as_(client, people):
    return lambda who: Api(client, session_cookie_for(people[who]))


def test_an_entry_shows_what_a_meeting_needs_with_its_actions_beneath_it(as_, people):
    concern = add(as_, people, safeguarding(people))
    dsl = as_("dsl")
    dsl.post(f"/incidents/{concern}/actions", {"text": "Met with parent.", "date": "2026-11-27"})
    dsl.post(f"/incidents/{concern}/concern-level", {"level": "high", "reason": "Injury seen"})
    page = dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology").data
    (entry,) = page["entries"]
    assert entry["categories"] == ["Safeguarding"]
    assert entry["subcategories"] == {"Safeguarding": ["Neglect", "Physical abuse"]}  # in the settings’ order
    assert (entry["location"], entry["session"]) == ("Classroom", "Morning")
    assert entry["reporter"] == people["teacher"].name
    assert (entry["status"], entry["concern_level"]) == ("Active", "high")
    assert entry["account"].startswith("Ama pushed a chair")
    assert entry["body_marks"][0].endswith(", front: bruise")
    assert [(p["name"], p["involvement"], p["this"]) for p in entry["pupils"]] == [
        ("Ama Boateng", "subject", True),
        ("Rory Campbell", "linked", False),
        ("Will Cooper", "linked", False),
    ]
    # Beneath it, in their own time order (oldest first), whatever order the entries are in.
    assert [t["kind"] for t in entry["timeline"]] == ["action", "concern level"]
    assert entry["timeline"][0]["text"] == "Action: Met with parent." and entry["timeline"][0]["by"]
    assert page["all_categories"] is True and page["order"] == "newest"


def test_entries_are_in_the_order_things_happened_and_can_be_read_oldest_first(as_, people):
    october = put(
        people,
        "2026-10-05T12:10+01:00",
        {"Behaviour": ["Disruption"]},
        day="Monday",
        session="Lunchtime",
        location="Playground",
    )
    today = add(as_, people, submission(people))
    backdated = put(
        people, "2026-11-02T09:00+00:00", {"Behaviour": ["Defiance"]}, day="Monday", session="Morning", location="Hall"
    )  # recorded last, happened in between
    dsl = as_("dsl")
    newest = [e["incident_id"] for e in dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology").data["entries"]]
    assert newest == [today, backdated.incident_id, october.incident_id]
    oldest = dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology?order=oldest").data
    assert [e["incident_id"] for e in oldest["entries"]] == newest[::-1] and oldest["order"] == "oldest"
    assert dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology?order=sideways").status_code == 400


def test_a_leader_is_told_what_they_see_and_never_offered_safeguarding(as_, people):
    add(as_, people, safeguarding(people))
    add(as_, people, safeguarding(people))
    leader = as_("dht")
    page = leader.get(f"/pupils/{people['ama'].pupil_id}/chronology").data
    assert page["entries"] == [] and page["next"] is None
    assert page["all_categories"] is False
    assert page["readable_categories"] == ["Behaviour", "Bullying", "Prejudicial"]
    refused = leader.get(f"/pupils/{people['ama'].pupil_id}/chronology?category=Safeguarding")
    unknown = leader.get(f"/pupils/{people['ama'].pupil_id}/chronology?category=Nonsense")
    assert refused.status_code == unknown.status_code == 400 and refused.data == unknown.data


def pdf_text(data: dict) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(base64.b64decode(data["pdf"])))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_the_pdf_names_the_pupil_on_every_page_with_accounts_in_full(as_, people):
    long_account = "MARKER-START " + "The account goes on. " * 400 + "MARKER-END"
    add(as_, people, submission(people, account=long_account))
    add(as_, people, safeguarding(people))
    dsl = as_("dsl")
    response = dsl.get(f"/pupils/{people['ama'].pupil_id}/chronology/pdf")
    assert response.status_code == 200, response.data
    data = response.data
    assert data["content_type"] == "application/pdf" and data["filename"].endswith(".pdf")
    assert "Ama" not in data["filename"]
    text, pages = pdf_text(data)
    assert pages >= 2
    assert text.count("Chronology: Ama Boateng") == pages and text.count("CONFIDENTIAL") == pages
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "MARKER-END" in text and "Safeguarding" in text
    assert f"Made by {people['dsl'].name}" in text
    actions = [e.action for e in AuditEntry.query(f"pupil#{people['ama'].pupil_id}")]
    assert "downloaded the chronology (PDF)" in actions

    leader_text, _ = pdf_text(as_("dht").get(f"/pupils/{people['ama'].pupil_id}/chronology/pdf").data)
    assert "Safeguarding" not in leader_text and "Physical abuse" not in leader_text
    assert "Behaviour" in leader_text and "has access to" in leader_text
    assert as_("teacher").get(f"/pupils/{people['ama'].pupil_id}/chronology/pdf").status_code == 403
