"""The static form and the server are built from the same settings: every choice the built page offers is
accepted by the server's checks, and a choice it does not offer is refused."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from chalicelib.errors import InvalidInputError
from chalicelib.incidents.form import parse_submission, specify_id
from chalicelib.settings import load_school
from chalicelib.web.requests import NewIncident, validate
from tools.build_site import render_pages

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Choices(HTMLParser):
    """Every value a person can pick on the page: checkboxes, radios and select options, by field name."""

    def __init__(self) -> None:
        super().__init__()
        self.offered: dict[str, list[str]] = defaultdict(list)
        self.regions: list[tuple[str, str, list[float]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in ("checkbox", "radio") and attrs.get("name"):
            self.offered[attrs["name"]].append(attrs.get("value", "on"))
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and attrs.get("value"):
            self.offered[self._select].append(attrs["value"])
        elif tag == "path" and "data-region-id" in attrs:
            centre = [float(v) for v in attrs["data-centre"].replace(",", " ").split()]
            self.regions.append((attrs["data-region-id"], attrs["data-view"], centre))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


@pytest.fixture(scope="module", params=["themead", "castlemeadtrowbridge", "rivermead"])
def school_and_choices(request):
    school = load_school(f"infra/schools/{request.param}.toml")
    parser = Choices()
    parser.feed(render_pages(school)["add-incident.html"])
    return school, parser


def valid(school, **changes) -> dict:
    body = {
        "idempotency_key": str(uuid.uuid4()),
        "pupil_id": str(uuid.uuid4()),
        "categories": ["Behaviour"],
        "subcategories": {"Behaviour": ["Damage"]},
        "date": "2026-11-30",
        "time": "11:00",
        "day": "Monday",
        "session": school.sessions[0].name,
        "location": school.locations[0],
        "account": "Invented.",
        "status": "Active",
    }
    body.update(changes)
    return body


def accepted(school, **changes) -> bool:
    try:
        parse_submission(validate(NewIncident, valid(school, **changes)), school, NOW)  # as the route reads it
    except InvalidInputError:
        return False
    return True


def test_the_form_offers_exactly_the_settings_lists(school_and_choices):
    school, page = school_and_choices
    offered = page.offered
    assert offered["categories"] == [c.name for c in school.categories]
    for category in school.categories:
        assert offered[f"subcategories-{category.name}"] == list(category.subcategories)
        for question in category.questions:
            if question.kind == "choose-all":
                assert offered[f"question-{question.id}"] == list(question.options)
    assert offered["location"] == list(school.locations)
    assert offered["session"] == [s.name for s in school.sessions] + ["Outside session times"]
    assert offered["agencies"] == list(school.agencies)
    assert offered["status"] == ["Active", "Closed"]
    assert offered["day"] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def test_every_offered_choice_is_accepted_and_an_unoffered_one_refused(school_and_choices):
    school, page = school_and_choices
    offered = page.offered
    for category in school.categories:
        for sub in offered[f"subcategories-{category.name}"]:
            # "Other (please specify)" comes with its box, which the form then requires (the server too).
            answers = {specify_id(category.name): "what it was"} if "(please specify)" in sub else {}
            assert accepted(
                school, categories=[category.name], subcategories={category.name: [sub]}, answers=answers
            ), sub
        assert not accepted(school, categories=[category.name], subcategories={category.name: ["Not offered"]})
        for question in category.questions:
            if question.kind == "choose-all":
                for option in offered[f"question-{question.id}"]:
                    answers = {question.id: [option]}
                    subs = {category.name: [category.subcategories[0]]}
                    assert accepted(school, categories=[category.name], subcategories=subs, answers=answers)
    assert not accepted(school, categories=["Not offered"])
    for field in ("location", "session", "day", "status"):
        for value in offered[field]:
            assert accepted(school, **{field: value}), (field, value)
        assert not accepted(school, **{field: "Not offered"})
    for agency in offered["agencies"]:
        assert accepted(school, agencies=[agency])
    assert not accepted(school, agencies=["Not offered"])


def test_every_body_map_region_on_the_page_is_accepted(school_and_choices):
    school, page = school_and_choices
    assert {view for _, view, _ in page.regions} == {"front", "back"}
    for region_id, view, (x, y) in page.regions:
        assert accepted(school, body_marks=[{"view": view, "region": region_id, "x": x, "y": y, "note": ""}])
    assert not accepted(school, body_marks=[{"view": "front", "region": "front-tail", "x": 1, "y": 1, "note": ""}])
