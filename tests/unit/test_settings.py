"""School settings: the guidance's lists verbatim, and clear errors naming file, key and problem."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from chalicelib.settings import SettingsError, load_school, parse_school

SCHOOLS = {"themead": "The Mead", "castlemeadtrowbridge": "Castle Mead Trowbridge", "rivermead": "River Mead"}
GUIDANCE_SUBCATEGORIES = {
    "Behaviour": [
        "Physical harm pupil",
        "Physical harm adult",
        "Verbal abuse adult",
        "Verbal abuse pupil",
        "Damage",
        "Persistent",
        "Defiance",
        "Disruption",
        "Other",
    ],
    "Bullying": [
        "Having personal possessions taken or damaged",
        "Being forced into something against their will",
        "Being isolated (including being ignored or left out)",
        "Experiencing online bullying (including text, emails, social media etc)",
        "Others spreading rumours / nasty notes",
        "Experiencing physical abuse",
        "Being forced to hand over money",
        "Other (please specify)",
    ],
    "Prejudicial": [
        "Race",
        "Sexual orientation/homophobic",
        "Disability related",
        "Ethnicity",
        "Religion",
        "Gender",
        "Derogatory",
        "Gender re-assignment",
        "Age related",
    ],
    "Safeguarding": [
        "Emotional abuse",
        "Neglect",
        "Sexual abuse",
        "Inappropriate use of technology",
        "Domestic abuse",
        "Drug/alcohol abuse",
        "Self-harm",
        "Family breakdown",
        "Child sexual exploitation",
        "Child criminal exploitation",
        "Mental health",
        "Physical health",
        "Police involvement",
        "Residency issue",
        "FGM",
        "Physical abuse",
        "Other",
    ],
}
GUIDANCE_OUTCOMES = [
    "Someone suffered verbal harm",
    "Someone suffered physical harm",
    "A Positive Handling Intervention was required",
    "First Aid administered to an adult",
    "First Aid was administered to a child",
    "Aggressive incident",
    "Accidental harm",
    "Someone was hurt (near miss)",
]


def school_path(slug: str) -> Path:
    return Path("infra/schools") / f"{slug}.toml"


@pytest.mark.parametrize("slug", SCHOOLS)
def test_each_school_file_loads_with_the_guidance_lists(slug):
    school = load_school(school_path(slug))
    assert school.name == SCHOOLS[slug]
    assert school.time_zone == "Europe/London"
    assert [c.name for c in school.categories] == ["Behaviour", "Bullying", "Prejudicial", "Safeguarding"]
    for category in school.categories:
        assert list(category.subcategories) == GUIDANCE_SUBCATEGORIES[category.name]
    behaviour, bullying = school.category("Behaviour"), school.category("Bullying")
    assert [q.label for q in behaviour.questions] == ["De-escalation strategies used", "Outcomes of incident"]
    assert list(behaviour.questions[1].options) == GUIDANCE_OUTCOMES
    assert [(q.label, q.kind) for q in bullying.questions] == [
        ("Details of investigation", "choose-all"),
        ("Further measures taken", "text"),
    ]
    assert school.category("Safeguarding").readable_by == {"dsl", "head"}
    assert "leader" in behaviour.readable_by
    assert school.category("Safeguarding").assign_by_default  # the DSL team, so staff need not remember
    assert school.sessions and school.locations and school.agencies and school.dsl_names


def good_data() -> dict:
    with school_path("themead").open("rb") as handle:
        return tomllib.load(handle)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("name"), "x.toml: name: is missing"),
        (lambda d: d.update(time_zone="Europe/Londres"), "time_zone: 'Europe/Londres' is not a known time zone"),
        (lambda d: d.update(url="http://themead.example.org"), "url: must use https"),
        (lambda d: d.update(locations=[]), "locations: must not be empty"),
        (lambda d: d.update(locations=["Hall", "Hall"]), "locations: 'Hall' is listed twice"),
        (lambda d: d.update(colour="blue"), "colour: is not a setting Lantern knows"),
        (lambda d: d["sessions"][1].update(start="9am"), "sessions[1].start: '9am' is not valid (use 24-hour HH:MM)"),
        (lambda d: d["sessions"][1].update(start="08:00"), "sessions[1].start: overlaps 'Before school'"),
        (lambda d: d["categories"][0].update(readable_by=["teacher"]), "categories[0].readable_by: 'teacher' is not"),
        (lambda d: d["categories"][3].update(readable_by=["staff"]), "staff and admin never read whole categories"),
        (lambda d: d["categories"][0]["questions"][0].update(kind="pick"), "questions[0].kind: 'pick' is not one of"),
        (lambda d: d["categories"][1]["questions"][1].update(options=["a"]), "a text question has no options"),
        (lambda d: d["categories"][1].update(name="Behaviour"), "categories: two categories share a name"),
    ],
)
def test_settings_errors_name_the_file_key_and_problem(change, message):
    data = good_data()
    change(data)
    with pytest.raises(SettingsError) as error:
        parse_school(data, "x.toml")
    assert message in str(error.value)


def test_the_slug_must_match_the_file_name(tmp_path):
    copy = tmp_path / "othermead.toml"
    copy.write_text(school_path("themead").read_text())
    with pytest.raises(SettingsError, match="must match the file name 'othermead'"):
        load_school(copy)


def test_a_missing_or_broken_file_is_named(tmp_path):
    with pytest.raises(SettingsError, match="nowhere.toml: file not found"):
        load_school(tmp_path / "nowhere.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = ")
    with pytest.raises(SettingsError, match="broken.toml: not valid TOML"):
        load_school(broken)


def test_a_settings_record_behaves_as_a_namedtuple():
    import copy
    import json
    import pickle

    from chalicelib.settings import Digest, Term

    term = Term("Autumn", "2026-09-02", end="2026-12-18")
    assert term == ("Autumn", "2026-09-02", "2026-12-18", ()) and term.half_term == () and term.end == "2026-12-18"
    assert term._replace(half_term=("2026-10-26", "2026-10-30")).half_term == ("2026-10-26", "2026-10-30")
    assert term._asdict() == {"name": "Autumn", "start": "2026-09-02", "end": "2026-12-18", "half_term": ()}
    assert repr(Digest()) == "Digest(enabled=True, time='07:30', unread_days=3)"
    assert copy.deepcopy(term) == term and pickle.loads(pickle.dumps(term)) == term
    assert hash(term) == hash(Term(*term)) and json.loads(json.dumps(term))[0] == "Autumn"
    assert not hasattr(term, "__dict__")
    with pytest.raises(TypeError, match="missing end"):
        Term("Autumn", "2026-09-02")
    with pytest.raises(TypeError, match="each once"):
        Term("Autumn", name="Spring")
    with pytest.raises(TypeError, match="each once"):
        Term("Autumn", "a", "b", (), "extra")
    with pytest.raises(TypeError, match="each once"):
        Term("Autumn", "a", "b", colour="red")
