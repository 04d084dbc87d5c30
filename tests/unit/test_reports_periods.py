"""Report periods in school time, the term-date and pattern-alert settings, and the aggregation's edge rules."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime

import pytest

from chalicelib.reports import periods
from chalicelib.reports.aggregate import year_order
from chalicelib.settings import SettingsError, load_school, parse_school

SCHOOL = load_school("infra/schools/themead.toml")


@pytest.mark.parametrize(
    ("preset", "today", "first", "last"),
    [
        ("week", date(2026, 12, 2), date(2026, 11, 30), date(2026, 12, 6)),
        ("term", date(2026, 12, 2), date(2026, 9, 2), date(2026, 12, 18)),
        ("half-term", date(2026, 12, 2), date(2026, 10, 31), date(2026, 12, 18)),
        ("half-term", date(2026, 10, 1), date(2026, 9, 2), date(2026, 10, 25)),
        ("half-term", date(2026, 10, 28), date(2026, 9, 2), date(2026, 10, 25)),  # in the holiday: the one before
        ("term", date(2026, 12, 28), date(2026, 9, 2), date(2026, 12, 18)),  # Christmas: the autumn term
        ("year", date(2027, 3, 1), date(2026, 9, 1), date(2027, 8, 31)),
    ],
)
def test_presets_from_the_schools_term_dates(preset, today, first, last):
    assert periods.preset_period(SCHOOL, preset, today) == periods.Period(first, last)


def test_a_range_runs_from_midnight_to_midnight_in_school_time():
    summer = periods.Period(date(2026, 10, 1), date(2026, 10, 24)).instants(SCHOOL)
    assert summer == (datetime(2026, 9, 30, 23, 0, tzinfo=UTC), datetime(2026, 10, 24, 23, 0, tzinfo=UTC))
    across = periods.Period(date(2026, 10, 24), date(2026, 10, 25)).instants(SCHOOL)
    assert across[1] == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)  # GMT from 25 October
    assert periods.months_between(*summer) == ["2026-09", "2026-10"]
    year = periods.school_year(date(2026, 12, 2)).instants(SCHOOL)
    assert len(periods.months_between(*year)) == 13  # 31 August 23:00 UTC starts it


def test_custom_dates_are_checked():
    with pytest.raises(Exception, match="Check the dates"):
        periods.choose(SCHOOL, "custom", "2026-10-02", "2026-10-01", date(2026, 12, 2))
    with pytest.raises(Exception, match="Check the dates"):
        periods.choose(SCHOOL, "custom", "2020-01-01", "2026-10-01", date(2026, 12, 2))
    assert periods.choose(SCHOOL, None, None, None, date(2026, 12, 2)).first == date(2026, 9, 2)


def test_year_groups_sort_as_a_school_reads_them():
    assert sorted(["Year 10", "Year 2", "Reception", "Nursery", "Mixed"], key=year_order) == [
        "Nursery",
        "Reception",
        "Year 2",
        "Year 10",
        "Mixed",
    ]


def raw() -> dict:
    with open("infra/schools/themead.toml", "rb") as handle:
        return tomllib.load(handle)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["terms"][1].update(start="2026-12-01"), r"terms\[1\]\.start: overlaps"),
        (lambda d: d["terms"][0].update(half_term=["2026-08-01", "2026-08-02"]), r"terms\[0\]\.half_term"),
        (lambda d: d["terms"][0].update(end="2026-13-01"), r"terms\[0\]\.end"),
        (lambda d: d["pattern_alerts"][0].update(count=0), r"pattern_alerts\[0\]\.count"),
        (lambda d: d["pattern_alerts"][1].update(flag="tall"), r"pattern_alerts\[1\]\.flag"),
        (lambda d: d["pattern_alerts"][1].update(count=2), r"pattern_alerts\[1\]: give either"),
        (lambda d: d["pattern_alerts"][0].update(categories=["Nope"]), r"pattern_alerts\[0\]\.categories"),
    ],
)
def test_term_and_pattern_alert_settings_are_checked(change, message):
    data = raw()
    change(data)
    with pytest.raises(SettingsError, match=message):
        parse_school(data, "themead.toml")


def test_both_settings_are_optional():
    data = raw()
    del data["terms"], data["pattern_alerts"]
    school = parse_school(data, "themead.toml")
    assert school.terms == () and school.pattern_alerts == ()
    assert periods.available_presets(school) == ["week", "year", "custom"]
