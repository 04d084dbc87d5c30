"""Reports and the chronology in Chromium, on the demo school's term of invented incidents: a DSL changes the
filters and each chart agrees with its table; a leader's report and a pupil's chronology show no trace of
Safeguarding; the chronology prints with a long account in full; the PDF downloads and names the pupil."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser
SERVER_MS = TIMEOUT_MS


def chart_counts(page, chart: str) -> list[int]:
    """The numbers the SVG chart shows, bar by bar (its value labels)."""
    return [int(t) for t in page.locator(f"#{chart} svg .app-chart__value").all_text_contents() if t.isdigit()]


def table_counts(page, chart: str, column: int = 1) -> list[int]:
    cells = page.locator(f"#{chart}-table tbody tr td:nth-child({column + 1})").all_text_contents()
    return [int(c) for c in cells]


def headline(page, key: str) -> int:
    return int(page.locator(f'[data-headline="{key}"]').text_content())


def test_a_dsl_changes_filters_and_each_chart_agrees_with_its_table(lantern, open_page):
    page = open_page()
    lantern.first_sign_in(page, lantern.emails("dsl")[0])
    expect(page.locator("#nav-reports")).to_be_visible()
    page.locator("#nav-reports").click()
    expect(page).to_have_url(f"{lantern.url}/reports.html")
    expect(page.locator("#report-headline")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#report-scope")).to_contain_text("Counting incidents in every category")
    total = headline(page, "Incidents")
    assert total > 50  # the demo term
    for chart in ("by-day", "by-session", "by-location"):
        table = table_counts(page, chart)
        assert sum(table) == total, chart
        assert [n for n in table if n] == [n for n in chart_counts(page, chart) if n], chart
    sessions = dict(
        zip(
            page.locator("#by-session-table tbody th").all_text_contents(),
            table_counts(page, "by-session"),
            strict=True,
        )
    )
    assert max(sessions, key=sessions.get) == "Lunchtime"  # the demo's pattern, true on the page
    assert "Safeguarding" in page.locator("#by-category-table").text_content()

    page.locator("#report-location").select_option("Playground")
    page.locator("#report-apply").click()
    expect(page.locator("#report-live")).to_contain_text("Report updated", timeout=SERVER_MS)
    expect(page).to_have_url(re.compile(r"location=Playground"))
    playground = headline(page, "Incidents")
    assert 0 < playground < total
    assert page.locator("#by-location-table tbody th").all_text_contents() == ["Playground"]
    assert table_counts(page, "by-location") == [playground] == chart_counts(page, "by-location")
    assert sum(table_counts(page, "by-day")) == playground
    heat_total = sum(int(c) for c in page.locator("#heatmap-table tbody td").all_text_contents())
    assert heat_total == playground

    with page.expect_download() as download:
        page.locator("#by-day button", has_text="Download this table (CSV)").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "Day,Incidents"
    with page.expect_download() as download:
        page.locator("#export-incidents").click()
    exported = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert len(exported) == playground + 1 and "Account" not in exported[0]


def test_a_leader_sees_no_trace_of_safeguarding(lantern, open_page):
    page = open_page()
    lantern.first_sign_in(page, lantern.emails("leader")[0])
    page.goto(f"{lantern.url}/reports.html?preset=year")
    expect(page.locator("#report-headline")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#report-scope")).to_contain_text("only incidents in the categories you have access to")
    options = page.locator("#report-category option").all_text_contents()
    assert "Safeguarding" not in options and "Behaviour" in options
    body = page.locator("main").text_content()
    assert "Safeguarding" not in body.replace("only incidents in the categories you have access to", "")
    # The pupil with most incidents, from the report to their chronology: still no Safeguarding.
    page.locator("#top-pupils-table a").first.click()
    expect(page.locator("#pupil-name")).to_be_visible(timeout=SERVER_MS)
    expect(page.locator("#chronology-scope")).to_have_text(
        "This chronology shows only the categories you have access to: Behaviour, Bullying and Prejudicial."
    )
    assert "Safeguarding" not in page.locator("#chronology-category").text_content()
    assert "Safeguarding" not in page.locator("main").text_content()


def test_the_chronology_prints_every_account_in_full_and_the_pdf_names_the_pupil(lantern, open_page):
    from tests.browser.test_review import Reporter

    teacher_page = open_page()
    reporter = Reporter(lantern, teacher_page, lantern.emails("staff")[2])
    pupil = reporter.pupil(7)
    account = "MARKER-LONG-START " + "She said more about it at lunch. " * 30 + "MARKER-LONG-END"
    reporter.add(pupil, {"Behaviour": ["Disruption"]}, account, "12:20")

    page = open_page()
    lantern.first_sign_in(page, lantern.emails("dsl")[1])
    page.goto(f"{lantern.url}/pupil.html?id={pupil['id']}")
    expect(page.locator("#pupil-name")).to_have_text(pupil["name"], timeout=SERVER_MS)
    text = page.locator(".app-chronology__account", has_text="MARKER-LONG-START")
    expect(text).to_have_class(re.compile("app-chronology__account--clamped"))
    cut_off = "(node) => node.scrollHeight > node.clientHeight + 1"
    assert text.evaluate(cut_off)  # on screen, its opening
    page.emulate_media(media="print")
    assert not text.evaluate(cut_off)  # on paper, in full
    expect(page.get_by_role("button", name="Show all")).not_to_be_visible()
    page.emulate_media(media="screen")
    page.get_by_role("button", name="Show all").first.click()
    expect(page.get_by_role("button", name="Show less").first).to_have_attribute("aria-expanded", "true")

    page.locator("#chronology-order").select_option("oldest")
    page.locator("#chronology-apply").click()
    expect(page).to_have_url(re.compile(r"order=oldest"))

    with page.expect_download() as download:
        page.locator("#chronology-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf") and pupil["name"] not in download.value.suggested_filename
    reader = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    pdf_text = "\n".join(p.extract_text() for p in reader.pages)
    assert f"Chronology: {pupil['name']}" in pdf_text and "MARKER-LONG-END" in pdf_text
    assert "CONFIDENTIAL" in pdf_text and f"Page 1 of {len(reader.pages)}" in pdf_text
