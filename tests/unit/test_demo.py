"""Tests for tools/demo.py: invented, deterministic demo staff and pupils."""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from collections import Counter

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tools.demo import (  # noqa: E402
    CLASS_NAMES,
    ESTABLISHMENT_NUMBERS,
    LA_CODE,
    ROLES,
    SCHOOLS,
    YEAR_GROUPS,
    demo_pupils,
    demo_staff,
    is_valid_upn,
    upn_check_letter,
    year_group_dob_window,
)

SLUGS = ["themead", "castlemeadtrowbridge", "rivermead"]

STAFF_KEYS = {"name", "email", "role", "title"}
PUPIL_KEYS = {
    "pupil_id",
    "upn",
    "first_name",
    "preferred_name",
    "last_name",
    "date_of_birth",
    "year_group",
    "class_name",
    "sen",
    "pupil_premium",
    "eal",
    "looked_after",
    "cp_plan",
}


def test_schools_are_the_trust():
    assert SCHOOLS == {
        "themead": "The Mead",
        "castlemeadtrowbridge": "Castle Mead Trowbridge",
        "rivermead": "River Mead",
    }
    assert set(ROLES) == {"staff", "leader", "dsl", "head", "admin"}


# ---------------------------------------------------------------- UPN


def test_upn_check_letter_hand_example():
    # 12 digits 865 2001 26 001 (LA 865, establishment 2001, year 26, serial 001)
    # weights 2..13:
    #   8*2=16  6*3=18  5*4=20  2*5=10  0*6=0   0*7=0
    #   1*8=8   2*9=18  6*10=60 0*11=0  0*12=0  1*13=13
    # sum = 163; 163 mod 23 = 163 - 161 = 2 -> "ABCDEFGHJKLMNPQRTUVWXYZ"[2] = "C"
    assert upn_check_letter("865200126001") == "C"
    assert is_valid_upn("C865200126001")
    # all zeros: sum 0 -> "A"; a lone 1 in the last place: 1*13 = 13 -> "P"
    # (index 13 skips I and O: A B C D E F G H J K L M N P)
    assert upn_check_letter("000000000000") == "A"
    assert upn_check_letter("000000000001") == "P"


def test_is_valid_upn_rejects_bad_input():
    assert not is_valid_upn("D865200126001")  # wrong check letter
    assert not is_valid_upn("c865200126001")  # lower case
    assert not is_valid_upn("C86520012600")  # 12 characters
    assert not is_valid_upn("C8652001260011")  # 14 characters
    assert not is_valid_upn("C86520012600A")  # temporary-UPN style letter not produced here
    assert not is_valid_upn("")
    assert not is_valid_upn(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        upn_check_letter("12345")
    with pytest.raises(ValueError):
        upn_check_letter("86520012600x")


# ---------------------------------------------------------------- staff


@pytest.mark.parametrize("slug", SLUGS)
def test_staff_deterministic(slug):
    assert demo_staff(slug) == demo_staff(slug)


@pytest.mark.parametrize("slug", SLUGS)
def test_staff_roles_titles_and_order(slug):
    staff = demo_staff(slug)
    for s in staff:
        assert set(s) == STAFF_KEYS
        assert s["role"] in ROLES
    counts = Counter(s["role"] for s in staff)
    assert counts["head"] == 1
    assert counts["dsl"] == 3
    assert counts["leader"] == 2
    assert counts["admin"] == 1
    assert 6 <= counts["staff"] <= 10
    assert [(s["role"], s["title"]) for s in staff[:7]] == [
        ("head", "Head of School"),
        ("dsl", "Designated Safeguarding Lead"),
        ("dsl", "Deputy Designated Safeguarding Lead"),
        ("dsl", "Deputy Designated Safeguarding Lead"),
        ("leader", "Deputy Head Teacher"),
        ("leader", "SENCo"),
        ("admin", "Office Manager"),
    ]
    assert all(s["role"] == "staff" for s in staff[7:])
    titles = {s["title"] for s in staff[7:]}
    assert {"Class Teacher", "Teaching Assistant"} <= titles


@pytest.mark.parametrize("slug", SLUGS)
def test_staff_emails(slug):
    staff = demo_staff(slug)
    emails = [s["email"] for s in staff]
    assert len(set(emails)) == len(emails)
    for s in staff:
        assert s["email"].endswith(f"@{slug}.example.org")
        assert s["email"] == s["email"].lower()
        first, last = s["name"].lower().split(" ", 1)
        assert s["email"].split("@")[0] == f"{first}.{last}".replace("'", "")
    assert len({s["name"] for s in staff}) == len(staff)


def test_staff_names_not_shared_across_trust():
    names = [s["name"] for slug in SLUGS for s in demo_staff(slug)]
    assert len(set(names)) == len(names)


# ---------------------------------------------------------------- pupils


@pytest.fixture(scope="module")
def all_pupils():
    return {slug: demo_pupils(slug) for slug in SLUGS}


@pytest.mark.parametrize("slug", SLUGS)
def test_pupils_deterministic(slug, all_pupils):
    assert demo_pupils(slug) == all_pupils[slug]


def test_schools_differ(all_pupils):
    assert all_pupils["themead"] != all_pupils["rivermead"]
    assert demo_staff("themead") != demo_staff("rivermead")


@pytest.mark.parametrize("slug", SLUGS)
def test_pupil_shape_and_uniqueness(slug, all_pupils):
    pupils = all_pupils[slug]
    assert len(pupils) == 300
    for p in pupils:
        assert set(p) == PUPIL_KEYS
        assert p["sen"] in ("None", "SEN support", "EHC plan")
        for flag in ("pupil_premium", "eal", "looked_after", "cp_plan"):
            assert isinstance(p[flag], bool)
        assert p["first_name"] and p["last_name"] and p["preferred_name"]
    assert len({p["upn"] for p in pupils}) == 300
    assert len({p["pupil_id"] for p in pupils}) == 300
    assert len({(p["first_name"], p["last_name"]) for p in pupils}) == 300


@pytest.mark.parametrize("slug", SLUGS)
def test_pupil_ids_are_uuid4(slug, all_pupils):
    for p in all_pupils[slug]:
        u = uuid.UUID(p["pupil_id"])
        assert u.version == 4
        assert str(u) == p["pupil_id"]


@pytest.mark.parametrize("slug", SLUGS)
def test_upns_valid_and_structured(slug, all_pupils):
    for p in all_pupils[slug]:
        upn = p["upn"]
        assert len(upn) == 13
        assert is_valid_upn(upn), upn
        assert upn[1:4] == LA_CODE == "865"
        assert upn[4:8] == ESTABLISHMENT_NUMBERS[slug]
        year = 2000 + int(upn[8:10])
        entry = 2026 - YEAR_GROUPS.index(p["year_group"])
        assert entry <= year <= 2026
        assert 1 <= int(upn[10:13]) <= 999


def test_upns_and_ids_unique_across_trust(all_pupils):
    upns = [p["upn"] for ps in all_pupils.values() for p in ps]
    ids = [p["pupil_id"] for ps in all_pupils.values() for p in ps]
    assert len(set(upns)) == len(upns)
    assert len(set(ids)) == len(ids)
    assert len(set(ESTABLISHMENT_NUMBERS.values())) == 3


@pytest.mark.parametrize("slug", SLUGS)
def test_year_groups_and_classes(slug, all_pupils):
    pupils = all_pupils[slug]
    assert {p["year_group"] for p in pupils} == set(YEAR_GROUPS)
    assert YEAR_GROUPS == ("Reception", "Year 1", "Year 2", "Year 3", "Year 4", "Year 5", "Year 6")
    assert len(set(CLASS_NAMES[slug])) == 14
    classes_by_year: dict[str, set[str]] = {}
    for p in pupils:
        classes_by_year.setdefault(p["year_group"], set()).add(p["class_name"])
    for year, classes in classes_by_year.items():
        assert len(classes) == 2, (year, classes)
    # every class belongs to one year group only
    all_classes = [c for cs in classes_by_year.values() for c in cs]
    assert len(all_classes) == len(set(all_classes)) == 14
    sizes = Counter(p["class_name"] for p in pupils).values()
    assert max(sizes) - min(sizes) <= 1


def test_dob_windows_by_hand():
    assert year_group_dob_window("Reception") == (dt.date(2021, 9, 1), dt.date(2022, 8, 31))
    assert year_group_dob_window("Year 1") == (dt.date(2020, 9, 1), dt.date(2021, 8, 31))
    assert year_group_dob_window("Year 6") == (dt.date(2015, 9, 1), dt.date(2016, 8, 31))


@pytest.mark.parametrize("slug", SLUGS)
def test_dob_in_academic_year_window(slug, all_pupils):
    for p in all_pupils[slug]:
        dob = dt.date.fromisoformat(p["date_of_birth"])
        assert p["date_of_birth"] == dob.isoformat()  # YYYY-MM-DD
        offset = YEAR_GROUPS.index(p["year_group"])
        # Reception 2026/27: born 1 Sep 2021 .. 31 Aug 2022; a year earlier per year group.
        assert dt.date(2021 - offset, 9, 1) <= dob <= dt.date(2022 - offset, 8, 31), p


@pytest.mark.parametrize("slug", SLUGS)
def test_flag_rates(slug, all_pupils):
    pupils = all_pupils[slug]
    n = len(pupils)
    sen = Counter(p["sen"] for p in pupils)
    assert 0.08 * n <= sen["SEN support"] <= 0.18 * n
    assert 0.01 * n <= sen["EHC plan"] <= 0.06 * n
    pp = sum(p["pupil_premium"] for p in pupils)
    assert 0.18 * n <= pp <= 0.33 * n
    eal = sum(p["eal"] for p in pupils)
    assert 0.12 * n <= eal <= 0.28 * n
    lac = sum(p["looked_after"] for p in pupils)
    assert 1 <= lac <= 0.03 * n
    cp = sum(p["cp_plan"] for p in pupils)
    assert 1 <= cp <= 0.03 * n


@pytest.mark.parametrize("slug", SLUGS)
def test_preferred_names(slug, all_pupils):
    pupils = all_pupils[slug]
    same = sum(p["preferred_name"] == p["first_name"] for p in pupils)
    assert same >= 0.8 * len(pupils)  # usually the same
    assert same < len(pupils)  # but sometimes a short form


def test_names_varied(all_pupils):
    pupils = [p for ps in all_pupils.values() for p in ps]
    assert len({p["first_name"] for p in pupils}) >= 80
    assert len({p["last_name"] for p in pupils}) >= 80


def test_small_counts_still_have_rare_flags():
    assert demo_pupils("themead", 0) == []
    small = demo_pupils("rivermead", 20)
    assert len(small) == 20
    assert sum(p["looked_after"] for p in small) >= 1
    assert sum(p["cp_plan"] for p in small) >= 1
    assert all(is_valid_upn(p["upn"]) for p in small)


def test_unknown_slug_rejected():
    with pytest.raises(ValueError):
        demo_staff("nosuchschool")
    with pytest.raises(ValueError):
        demo_pupils("nosuchschool")
    with pytest.raises(ValueError):
        demo_pupils("themead", -1)
