"""The typeahead's roster answer names pupils by reference (`<answer>.<n>`, no ids), and the server turns each
reference back into exactly the pupil that answer offered, however the roster changes between the page loading and
the post (docs/decisions/roster-payload.md)."""

from __future__ import annotations

import gzip
import json

import pytest

from chalicelib.incidents.service import UNKNOWN_LINKED, UNKNOWN_PUPIL
from chalicelib.models import ChronologyEntry, Incident, Pupil
from chalicelib.people import roster as pupils_on_roll
from tests.functional.incident_data import make_pupil, submission
from tests.helpers import Api, session_cookie_for

NOT_ON_ROLL = "This student is not on the school's roll. Choose the student from the list."
ROSTER_TARGET = 40 * 1024  # issue 12: the add-incident page's roster at a 2,000-pupil school, gzip


def refs(answer: dict) -> dict[str, str]:
    """{name: reference}, as the page makes them from the answer."""
    return {name: f"{answer['roster']}.{n}" for n, (name, _group) in enumerate(answer["pupils"])}


def leaves(pupil: Pupil) -> None:
    """As a full import makes a leaver: `roll` removed, nothing else."""
    Pupil(pupil_id=pupil.pupil_id).update(actions=[Pupil.roll.remove()])


def test_an_incident_sent_with_references_is_about_the_pupils_chosen(teacher, people):
    chosen = refs(teacher.get("/roster").data)
    assert "Leah Gone" not in chosen  # the leaver is never offered
    body = submission(people, pupil_id=chosen["Ama Boateng"], linked_pupil_ids=[chosen["Will Cooper"]])
    response = teacher.post("/incidents", body)
    assert response.status_code == 201, response.data
    (incident,) = Incident.scan()
    assert incident.pupil_id == people["ama"].pupil_id  # stored by id, as before
    assert incident.linked_pupil_ids == [people["will"].pupil_id]
    assert {entry.pupil_id for entry in ChronologyEntry.scan()} == {people["ama"].pupil_id, people["will"].pupil_id}
    assert teacher.post("/incidents", body).status_code == 201  # a retry: the same receipt, nothing twice
    assert Incident.count() == 1


def test_an_unchanged_roster_gives_the_same_answer_and_a_changed_one_another(teacher, people):
    first = teacher.get("/roster").data
    assert teacher.get("/roster").data == first
    make_pupil("Zac", "Abbott")
    second = teacher.get("/roster").data
    assert second["roster"] != first["roster"]
    assert [name for name, _group in second["pupils"]][:2] == ["Zac Abbott", "Ama Boateng"]


def test_a_roster_changed_after_the_page_loaded_never_makes_a_reference_name_another_child(teacher, people):
    page = teacher.get("/roster").data
    chosen = refs(page)
    assert chosen["Ama Boateng"] == f"{page['roster']}.0"
    # Meanwhile an import adds a pupil who sorts first (position 0 of today's answer is now someone else) and Rory
    # leaves (nobody is left at his position or with his id on roll).
    make_pupil("Zac", "Abbott")
    leaves(people["rory"])
    assert refs(teacher.get("/roster").data)["Zac Abbott"].endswith(".0")

    body = submission(people, pupil_id=chosen["Ama Boateng"], linked_pupil_ids=[chosen["Will Cooper"]])
    assert teacher.post("/incidents", body).status_code == 201
    (incident,) = Incident.scan()
    assert (incident.pupil_id, incident.linked_pupil_ids) == (people["ama"].pupil_id, [people["will"].pupil_id])

    # Rory's reference still names Rory, and he has left the roll: refused on the field it was chosen in.
    for changes, field in (
        ({"pupil_id": chosen["Rory Campbell"]}, "pupil"),
        ({"linked_pupil_ids": [chosen["Will Cooper"], chosen["Rory Campbell"]]}, "linked-pupils"),
    ):
        response = teacher.post("/incidents", submission(people, **changes))
        assert response.status_code == 400, response.data
        assert response.data["fields"] == {field: NOT_ON_ROLL}
    assert Incident.count() == 1


@pytest.mark.parametrize("which", ["an answer never given", "past the answer's end"])
def test_a_reference_that_names_nobody_is_refused_on_its_field(teacher, people, which):
    answer = teacher.get("/roster").data
    ref = f"{'0' * 32}.0" if which == "an answer never given" else f"{answer['roster']}.{len(answer['pupils'])}"
    response = teacher.post("/incidents", submission(people, pupil_id=ref))
    assert response.status_code == 400
    assert response.data["fields"] == {"pupil": UNKNOWN_PUPIL}
    response = teacher.post("/incidents", submission(people, linked_pupil_ids=[refs(answer)["Will Cooper"], ref]))
    assert response.status_code == 400
    assert response.data["fields"] == {"linked-pupils": UNKNOWN_LINKED}
    assert Incident.count() == 0


def test_one_child_named_through_two_answers_is_still_one_child(teacher, people):
    """A restored draft keeps the references of the page it was typed on; the page now has a newer answer."""
    before = refs(teacher.get("/roster").data)
    make_pupil("Zac", "Abbott")
    after = refs(teacher.get("/roster").data)
    assert before["Rory Campbell"] != after["Rory Campbell"]
    twice = submission(
        people, pupil_id=after["Ama Boateng"], linked_pupil_ids=[before["Rory Campbell"], after["Rory Campbell"]]
    )
    response = teacher.post("/incidents", twice)
    assert response.data["fields"] == {"linked-pupils": "Linked students are listed twice."}
    also = submission(people, pupil_id=before["Rory Campbell"], linked_pupil_ids=[after["Rory Campbell"]])
    response = teacher.post("/incidents", also)
    assert response.data["fields"] == {
        "linked-pupils": "The student this incident is about cannot also be a linked student."
    }
    assert Incident.count() == 0


def test_find_a_pupil_turns_a_reference_into_the_pupils_id_for_leaders_only(client, teacher, people):
    chosen = refs(teacher.get("/roster").data)
    dsl = Api(client, session_cookie_for(people["dsl"]))
    assert dsl.get(f"/roster/{chosen['Will Cooper']}").data == {"id": people["will"].pupil_id}
    for nobody in (f"{'0' * 32}.0", "Ama%20Boateng", people["will"].pupil_id[:8]):
        response = dsl.get(f"/roster/{nobody}")
        assert response.status_code == 404 and "could not be found" in response.data["error"]
    assert teacher.get(f"/roster/{chosen['Will Cooper']}").status_code == 403


def test_a_2000_pupil_roster_answer_is_at_most_40_kb_gzipped(client, teacher, people):
    from tools.demo import demo_pupils

    with Pupil.batch_write() as batch:
        for pupil in demo_pupils("themead", 2000 - 3):  # with Ama, Rory and Will: 2,000 on roll
            batch.save(Pupil(**pupil))
    response = teacher.get("/roster")
    assert response.status_code == 200
    answer = response.data
    assert len(answer["pupils"]) == 2000
    size = len(gzip.compress(response.body, 6))
    assert size <= ROSTER_TARGET, f"{size / 1024:.1f} KB"
    # What the page got before (every pupil's id, year group and class): the same roster, over the target.
    before = {"pupils": pupils_on_roll(), "staff": answer["staff"]}
    assert len(gzip.compress(json.dumps(before).encode(), 6)) > ROSTER_TARGET

    # Every reference of the big answer still names the pupil it was shown as.
    dsl = Api(client, session_cookie_for(people["dsl"]))
    for n in (0, 1234, 1999):
        pupil_id = dsl.get(f"/roster/{answer['roster']}.{n}").data["id"]
        assert Pupil.get(pupil_id).full_name == answer["pupils"][n][0]
