"""Fixtures for the functional tests: a school's staff in every role and a few pupils."""

from __future__ import annotations

import pytest

from tests.functional.incident_data import make_people
from tests.helpers import Api, session_cookie_for


@pytest.fixture
def people(school):
    return make_people()


@pytest.fixture
def teacher(client, people):
    return Api(client, session_cookie_for(people["teacher"]))
