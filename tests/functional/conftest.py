"""Fixtures for the functional tests: a school's staff in every role and a few pupils."""

from __future__ import annotations

import pytest

from tests.functional.incident_data import make_pupil
from tests.helpers import Api, make_staff, session_cookie_for


@pytest.fixture
def people(school):
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


@pytest.fixture
def teacher(client, people):
    return Api(client, session_cookie_for(people["teacher"]))
