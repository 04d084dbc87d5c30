"""Add Incident through the API: every field, every validation rule, the transaction, idempotency, emails."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import requests

from chalicelib.body_map import body_regions
from chalicelib.clock import utcnow
from chalicelib.models import Alert, ChronologyEntry, Incident, PlannerReminder, Pupil
from tests.functional.incident_data import region, safeguarding, submission
from tests.helpers import Api, sent_emails, session_cookie_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def only_incident() -> Incident:
    (incident,) = list(Incident.scan())
    return incident


def test_a_safeguarding_concern_with_linked_pupils_marks_and_alerts(teacher, people, school):
    response = teacher.post("/incidents", safeguarding(people))
    assert response.status_code == 201, response.data
    receipt = response.data
    assert receipt["reference"].startswith("LAN-")
    assert sorted(receipt["assigned"]) == sorted([people["dsl"].name, people["ddsl"].name])  # the DSL team by default
    assert sorted(receipt["alerted"]) == sorted([people["ta"].name, people["head"].name])  # Head always included

    incident = only_incident()
    assert incident.reporter_id == people["teacher"].staff_id
    assert incident.categories == ["Safeguarding"]
    assert incident.subcategories.as_dict() == {"Safeguarding": ["Neglect", "Physical abuse"]}  # the guidance's order
    assert [m.note for m in incident.body_marks] == ["bruise", ""]
    assert incident.body_marks[0].region == region("front")["id"]

    entries = {e.pupil_id: e.involvement for e in ChronologyEntry.scan()}
    assert entries == {
        people["ama"].pupil_id: "subject",
        people["rory"].pupil_id: "linked",
        people["will"].pupil_id: "linked",
    }
    alerts = {a.staff_id: a.reason for a in Alert.scan()}
    assert alerts == {
        people["dsl"].staff_id: "assigned",
        people["ddsl"].staff_id: "assigned",
        people["ta"].staff_id: "alerted",
        people["head"].staff_id: "head of school",
    }

    emails = sent_emails()
    assert sorted(e.destinations["ToAddresses"][0] for e in emails) == sorted(
        people[k].email for k in ("dsl", "ddsl", "ta", "head")
    )
    for email in emails:
        assert f"{school.url}/incident.html?id={incident.incident_id}" in email.body
        assert people["teacher"].name in email.body and "Safeguarding" in email.subject
        for secret in ("Ama", "Boateng", "Rory", "bruise", "Physical abuse"):
            assert secret not in email.body + email.subject


def test_behaviour_goes_to_the_dht_and_the_head(teacher, people):
    response = teacher.post("/incidents", submission(people))
    assert response.status_code == 201, response.data
    assert response.data["assigned"] == [people["dht"].name]
    assert response.data["alerted"] == [people["head"].name]
    assert only_incident().answers.as_dict() == {
        "deescalation": ["Take-up time given"],
        "outcomes": ["Accidental harm"],
    }


def test_chosen_assignees_replace_the_defaults(teacher, people):
    body = submission(people, categories=["Behaviour", "Bullying"], assigned_ids=[people["dsl"].staff_id])
    body["subcategories"]["Bullying"] = ["Other (please specify)"]
    body["answers"]["bullying_other"] = "Hiding his reading book every morning."
    body["answers"]["further_measures"] = "Seating plan changed."
    response = teacher.post("/incidents", body)
    assert response.status_code == 201, response.data
    assert response.data["assigned"] == [people["dsl"].name]
    assert only_incident().answers.as_dict()["further_measures"] == "Seating plan changed."


def test_answers_for_unticked_categories_are_discarded(teacher, people):
    body = submission(
        people, categories=["Prejudicial"], subcategories={"Prejudicial": ["Race"], "Behaviour": ["Damage"]}
    )
    assert teacher.post("/incidents", body).status_code == 201
    incident = only_incident()
    assert incident.subcategories.as_dict() == {"Prejudicial": ["Race"]}
    assert incident.answers.as_dict() == {}


def test_a_leader_cannot_be_assigned_safeguarding(teacher, people):
    response = teacher.post("/incidents", safeguarding(people, assigned_ids=[people["dht"].staff_id]))
    assert response.status_code == 400
    assert "cannot be assigned a Safeguarding concern" in response.data["fields"]["assign-to"]
    assert list(Incident.scan()) == []


def test_staff_and_unknown_people_cannot_be_assigned(teacher, people):
    for who in (people["ta"].staff_id, str(uuid.uuid4())):
        response = teacher.post("/incidents", submission(people, assigned_ids=[who]))
        assert response.status_code == 400 and "assign-to" in response.data["fields"]
    response = teacher.post("/incidents", submission(people, alerted_ids=[str(uuid.uuid4())]))
    assert response.status_code == 400 and "alert" in response.data["fields"]


def test_a_pupil_not_on_roll_stores_nothing(teacher, people):
    """The transaction checks every pupil: a failure part-way leaves nothing written."""
    for changes, field in [
        ({"pupil_id": str(uuid.uuid4())}, "pupil"),
        ({"pupil_id": people["leaver"].pupil_id}, "pupil"),
        ({"linked_pupil_ids": [people["rory"].pupil_id, str(uuid.uuid4())]}, "linked-pupils"),
    ]:
        response = teacher.post("/incidents", submission(people, **changes))
        assert response.status_code == 400, changes
        assert "not on the school's roll" in response.data["fields"][field]
    assert list(Incident.scan()) == [] and list(ChronologyEntry.scan()) == [] and list(Alert.scan()) == []
    assert sent_emails() == []


def test_double_submit_creates_exactly_one_incident(teacher, people):
    body = submission(people)
    first = teacher.post("/incidents", body)
    again = teacher.post("/incidents", body)  # a double tap, or a retry after a timeout
    assert first.status_code == again.status_code == 201
    assert first.data == again.data
    assert len(list(Incident.scan())) == 1
    assert len(sent_emails()) == 2  # DHT and Head, once each

    changed = dict(body, account="Something else entirely")
    assert teacher.post("/incidents", changed).status_code == 422


def test_the_same_key_from_another_reporter_is_another_incident(client, teacher, people):
    body = submission(people)
    assert teacher.post("/incidents", body).status_code == 201
    other = Api(client, session_cookie_for(people["ta"]))
    assert other.post("/incidents", body).status_code == 201
    assert len(list(Incident.scan())) == 2


def test_a_planner_reminder_is_stored_for_the_reporter(teacher, people):
    later = (utcnow() + timedelta(days=2)).date().isoformat()
    response = teacher.post(
        "/incidents", submission(people, planner={"date": later, "time": "09:00", "note": "Check in"})
    )
    assert response.status_code == 201
    (reminder,) = list(PlannerReminder.scan())
    assert reminder.staff_id == people["teacher"].staff_id and reminder.note == "Check in"
    assert reminder.due_day == later


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"pupil_id": ""}, "pupil", "Choose the student from the list"),
        ({"categories": []}, "categories", "Choose at least one category"),
        ({"categories": ["Gossip"]}, "categories", "'Gossip' is not one of the choices"),
        ({"subcategories": {"Behaviour": []}}, "subcategories-Behaviour", "at least one Behaviour sub-category"),
        ({"subcategories": {"Behaviour": ["Biting"]}}, "subcategories-Behaviour", "'Biting' is not one of"),
        ({"answers": {"outcomes": ["Fun"]}}, "question-outcomes", "'Fun' is not one of the choices"),
        ({"answers": {"mood": ["Sad"]}}, "question-mood", "not a question Lantern asks"),
        ({"date": "2026-13-40"}, "date", "Enter the date and time"),
        ({"time": "25:00"}, "date", "Enter the date and time"),
        ({"date": "2099-01-01"}, "time", "cannot be in the future"),
        ({"day": "Funday"}, "day", "Choose the day of the week"),
        ({"session": "Elevenses"}, "session", "Choose the session"),
        ({"location": "Moon"}, "location", "Choose the location"),
        ({"account": "   "}, "account", "Write what happened"),
        ({"account": "x" * 10_001}, "account", "10,000 characters or fewer"),
        ({"status": "Open"}, "status", "Choose Active or Closed"),
        ({"agencies": ["MI5"]}, "agencies", "'MI5' is not one of the choices"),
        ({"body_marks": [{"view": "front", "region": "nowhere", "x": 1, "y": 1}]}, "body-map", "not on the body map"),
        ({"body_marks": [{"view": "front", "region": "X", "x": 1, "y": 1}] * 41}, "body-map", "40 marks or fewer"),
        ({"planner": {"date": "2020-01-01", "time": "09:00", "note": ""}}, "planner-time", "in the future"),
        ({"planner": {"date": "", "time": "", "note": ""}}, "planner-date", "Enter the date and time"),
        ({"linked_pupil_ids": ["not-an-id"]}, "linked-pupils", "Choose linked students from the list"),
        ({"alerted_ids": [str(uuid.UUID(int=1))] * 2}, "alert", "listed twice"),
        ({"upload_ids": [str(uuid.uuid4()) for _ in range(11)]}, "files", "10 files or fewer"),
        ({"colour": "red"}, "colour", "not a field Lantern expects"),
    ],
)
def test_every_rule_answers_on_its_field_and_stores_nothing(teacher, people, changes, field, message):
    response = teacher.post("/incidents", submission(people, **changes))
    assert response.status_code == 400, response.data
    assert message in response.data["fields"][field], response.data
    assert list(Incident.scan()) == []


def test_a_mark_in_the_wrong_view_or_outside_the_outline_is_refused(teacher, people):
    front = region("front")
    width, height = body_regions()["viewBox"][2:]
    for mark in (
        {"view": "back", "region": front["id"], "x": 1, "y": 1},
        {"view": "front", "region": front["id"], "x": width + 5, "y": 1},
        {"view": "front", "region": front["id"], "x": float("nan"), "y": 1},
        {"view": "front", "region": front["id"], "x": "10", "y": 1},
    ):
        raw = json.dumps(submission(people, body_marks=[mark]), allow_nan=True)
        response = teacher.post("/incidents", raw=raw)
        assert response.status_code == 400, mark
        assert "body-map" in response.data["fields"]


def test_a_missing_idempotency_key_asks_for_a_reload(teacher, people):
    response = teacher.post("/incidents", submission(people, idempotency_key=""))
    assert response.status_code == 400 and "Reload the page" in response.data["error"]


def test_admins_cannot_add_incidents(client, people):
    admin = Api(client, session_cookie_for(people["admin"]))
    assert admin.post("/incidents", submission(people)).status_code == 403
    assert admin.get("/roster").status_code == 403


def test_the_roster_lists_pupils_on_roll_without_ids_and_staff_without_emails(teacher, people):
    response = teacher.get("/roster")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert set(response.data) == {"roster", "groups", "pupils", "staff"}
    names = [name for name, _group in response.data["pupils"]]
    assert names == ["Ama Boateng", "Rory Campbell", "Will Cooper"]  # by surname; the leaver is hidden
    assert response.data["groups"] == [["Year 3", "Oak"]]  # each year group and class once
    assert [group for _name, group in response.data["pupils"]] == [0, 0, 0]
    pupil_ids = {p.pupil_id for p in people.values() if isinstance(p, Pupil)}
    assert not any(pupil_id[:8] in json.dumps(response.data) for pupil_id in pupil_ids)  # references, not ids
    staff = {s["name"]: s for s in response.data["staff"]}
    assert staff[people["head"].name]["title"] == "Head of School"
    assert "email" not in json.dumps(response.data["staff"])


class TestFiles:
    def upload(self, api, name="photo.png", content_type="image/png", content=PNG):
        start = api.post("/uploads", {"name": name, "type": content_type, "size": len(content)})
        assert start.status_code == 201, start.data
        post = start.data
        sent = requests.post(post["url"], data=post["fields"], files={"file": (name, content)}, timeout=10)
        assert sent.status_code in (200, 204), sent.text
        return post["upload_id"]

    def test_a_photo_is_attached_after_the_server_checks_it(self, teacher, people):
        upload_id = self.upload(teacher, name="Arm photo.png")
        response = teacher.post("/incidents", submission(people, upload_ids=[upload_id]))
        assert response.status_code == 201, response.data
        (attached,) = only_incident().files
        assert attached.name == "Arm photo.png" and attached.content_type == "image/png" and attached.size == len(PNG)
        assert attached.key == f"uploads/{people['teacher'].staff_id}/{upload_id}"
        from chalicelib import aws, files

        tags = aws.s3().get_object_tagging(Bucket=files.files_bucket(), Key=attached.key)["TagSet"]
        assert tags == [{"Key": "lantern-state", "Value": "attached"}]  # kept by the lifecycle rule

    def test_the_presigned_post_limits_size_type_and_key(self, teacher):
        from chalicelib import files

        start = teacher.post("/uploads", {"name": "note.pdf", "type": "application/pdf", "size": 1000})
        policy = json.loads(__import__("base64").b64decode(start.data["fields"]["policy"]))
        conditions = policy["conditions"]
        assert ["content-length-range", 1, 20 * 1024 * 1024] in conditions
        assert {"Content-Type": "application/pdf"} in conditions
        assert any(c.get("key", "").startswith("uploads/") for c in conditions if isinstance(c, dict))
        # Uploads start tagged pending (the lifecycle rule deletes files never attached). moto ignores POST
        # tagging, so the policy is what can be checked here.
        assert {"tagging": files.PENDING_TAGGING} in conditions
        assert start.data["fields"]["tagging"] == files.PENDING_TAGGING

    @pytest.mark.parametrize(
        ("name", "content_type", "size", "message"),
        [
            ("virus.exe", "application/x-msdownload", 10, "cannot be uploaded"),
            ("huge.pdf", "application/pdf", 20 * 1024 * 1024 + 1, "larger than 20 MB"),
            ("empty.txt", "text/plain", 0, "is empty"),
        ],
    )
    def test_refused_before_upload(self, teacher, name, content_type, size, message):
        response = teacher.post("/uploads", {"name": name, "type": content_type, "size": size})
        assert response.status_code == 400 and message in response.data["fields"]["files"]

    def test_a_file_that_is_not_what_it_claims_is_refused_and_deleted(self, teacher, people):
        upload_id = self.upload(teacher, name="photo.png", content=b"MZ\x90\x00 not a png at all")
        response = teacher.post("/incidents", submission(people, upload_ids=[upload_id]))
        assert response.status_code == 400
        assert "is not a real PNG image" in response.data["fields"]["files"]
        assert list(Incident.scan()) == []

    def test_someone_elses_upload_cannot_be_attached(self, client, teacher, people):
        upload_id = self.upload(teacher)
        other = Api(client, session_cookie_for(people["ta"]))
        response = other.post("/incidents", submission(people, upload_ids=[upload_id]))
        assert response.status_code == 400 and "did not finish uploading" in response.data["fields"]["files"]


def test_bullying_other_please_specify_needs_its_box_and_keeps_it(teacher, people):
    from tests.functional.incident_data import submission

    other = "Other (please specify)"
    body = submission(people, categories=["Bullying"], subcategories={"Bullying": [other]}, answers={})
    missing = teacher.post("/incidents", body)
    assert missing.status_code == 400
    assert missing.data["fields"]["question-bullying_other"] == "Say what the other kind of bullying was."
    body["answers"] = {"bullying_other": "Taking turns to hide his coat every day."}
    assert teacher.post("/incidents", body).status_code == 201
    (incident,) = Incident.scan()
    assert incident.answers["bullying_other"] == "Taking turns to hide his coat every day."
    unticked = submission(people, answers={"bullying_other": "stray text from an unticked box"})
    assert teacher.post("/incidents", unticked).status_code == 201  # not asked: dropped, not refused
