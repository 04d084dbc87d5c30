"""Invented people and incident submissions for the functional tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from chalicelib.body_map import body_regions
from chalicelib.clock import utcnow
from chalicelib.models import Pupil


def make_pupil(first: str, last: str, *, on_roll: bool = True) -> Pupil:
    pupil = Pupil(
        pupil_id=str(uuid.uuid4()),
        upn="A865200126001",
        first_name=first,
        preferred_name=first,
        last_name=last,
        date_of_birth="2018-05-01",
        year_group="Year 3",
        class_name="Oak",
        roll="on" if on_roll else None,
    )
    pupil.save()
    return pupil


def london_now(minutes_ago: int = 10) -> tuple[str, str]:
    from zoneinfo import ZoneInfo

    moment = (utcnow() - timedelta(minutes=minutes_ago)).astimezone(ZoneInfo("Europe/London"))
    return moment.date().isoformat(), moment.strftime("%H:%M")


def region(view: str) -> dict:
    return next(r for r in body_regions()["regions"] if r["view"] == view)


def submission(people, **changes) -> dict:
    day, clock = london_now()
    body = {
        "idempotency_key": str(uuid.uuid4()),
        "pupil_id": people["ama"].pupil_id,
        "linked_pupil_ids": [],
        "categories": ["Behaviour"],
        "subcategories": {"Behaviour": ["Disruption"]},
        "answers": {"deescalation": ["Take-up time given"], "outcomes": ["Accidental harm"]},
        "date": day,
        "time": clock,
        "day": datetime.fromisoformat(day).strftime("%A"),
        "session": "Morning",
        "location": "Classroom",
        "account": "Ama pushed a chair over during maths. Spoken to; missed five minutes of break.",
        "body_marks": [],
        "status": "Active",
        "assigned_ids": [],
        "alerted_ids": [],
        "agencies": [],
        "planner": None,
        "upload_ids": [],
    }
    body.update(changes)
    return body


def safeguarding(people, **changes) -> dict:
    front, back = region("front"), region("back")
    return submission(
        people,
        categories=["Safeguarding"],
        subcategories={"Safeguarding": ["Physical abuse", "Neglect"]},
        answers={},
        linked_pupil_ids=[people["rory"].pupil_id, people["will"].pupil_id],
        body_marks=[
            {
                "view": "front",
                "region": front["id"],
                "x": front["centre"][0],
                "y": front["centre"][1],
                "note": "bruise",
            },
            {"view": "back", "region": back["id"], "x": back["centre"][0], "y": back["centre"][1], "note": ""},
        ],
        alerted_ids=[people["ta"].staff_id],
        **changes,
    )


def make_people() -> dict:
    """A school's staff in every role (with the titles the settings name) and a few pupils, one a leaver."""
    from tests.helpers import make_staff

    return {
        "teacher": make_staff("staff", email="joanna.carter@themead.example.org", title="Class Teacher"),
        "ta": make_staff("staff", email="claire.robinson@themead.example.org", title="Teaching Assistant"),
        "head": make_staff("head", email="gemma.rowe@themead.example.org", title="Head of School"),
        "dsl": make_staff("dsl", email="hannah.lewis@themead.example.org", title="Designated Safeguarding Lead"),
        "ddsl": make_staff("dsl", email="ian.doyle@themead.example.org", title="Deputy Designated Safeguarding Lead"),
        "dht": make_staff("leader", email="grace.mensah@themead.example.org", title="Deputy Head Teacher"),
        "admin": make_staff("admin", email="simon.osborne@themead.example.org", title="Office Manager"),
        "ama": make_pupil("Ama", "Boateng"),
        "rory": make_pupil("Rory", "Campbell"),
        "will": make_pupil("Will", "Cooper"),
        "leaver": make_pupil("Leah", "Gone", on_roll=False),
    }
