"""Importing the roster on the real stack (moto): pupils by UPN, staff by email, leavers, broken files, the command."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from pathlib import Path

import pytest

from chalicelib import roster_import
from chalicelib.auth import sessions
from chalicelib.errors import NotSignedInError
from chalicelib.models import AuditEntry, ChronologyEntry, Pupil, Staff
from chalicelib.people import directory as staff_directory
from chalicelib.people import roster as pupil_roster
from tests.helpers import make_staff, sent_emails
from tools import demo, import_roster

DATA = Path(__file__).resolve().parent.parent / "data"
SIMS_HEADER = [
    "UPN",
    "Legal Surname",
    "Legal Forename",
    "Preferred Forename",
    "DOB",
    "Year",
    "Reg Group",
    "SEN Status",
    "Pupil Premium",
    "EAL",
    "Looked After",
    "CP Plan",
    "Gender",
]
SEN_CODES = {"None": "N", "SEN support": "K", "EHC plan": "E"}


def sims_csv(pupils: list[dict]) -> str:
    """Pupils as a SIMS-style export: NC year codes, DD/MM/YYYY, SEN codes, Y/N, a column Lantern does not keep."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SIMS_HEADER)
    for p in pupils:
        year, month, day = p["date_of_birth"].split("-")
        writer.writerow(
            [
                p["upn"],
                p["last_name"],
                p["first_name"],
                "" if p["preferred_name"] == p["first_name"] else p["preferred_name"],
                f"{day}/{month}/{year}",
                "R" if p["year_group"] == "Reception" else p["year_group"].removeprefix("Year "),
                p["class_name"],
                SEN_CODES[p["sen"]],
                *("Y" if p[flag] else "N" for flag in ("pupil_premium", "eal", "looked_after", "cp_plan")),
                "X",
            ]
        )
    return out.getvalue()


def by_upn() -> dict[str, Pupil]:
    """Every stored pupil (leavers' `roll` as stored: the model would read their missing `roll` as its default)."""
    return {pupil.upn: pupil for pupil in roster_import.all_pupils()}


def without_roll(pupil: Pupil) -> dict:
    return {name: value for name, value in pupil.attribute_values.items() if name != "roll"}


def roster_upns() -> set[str]:
    ids = {pupil["id"] for pupil in pupil_roster()}
    return {pupil.upn for pupil in roster_import.all_pupils() if pupil.pupil_id in ids}


def add_chronology(pupil: Pupil, count: int = 2) -> list[str]:
    entries = []
    for n in range(count):
        entry = f"2026-10-0{n + 1}T10:00:00+00:00#{uuid.uuid4()}"
        ChronologyEntry(
            pupil_id=pupil.pupil_id,
            entry=entry,
            incident_id=str(uuid.uuid4()),
            categories=["Behaviour"],
            involvement="subject",
            reference=f"LAN-{n}",
        ).save()
        entries.append(entry)
    return entries


# --- pupils --------------------------------------------------------------------------------------------------------


def test_a_2000_pupil_file_puts_every_pupil_on_roll_and_a_second_run_changes_nothing(school):
    pupils = {pupil["upn"]: pupil for pupil in demo.demo_pupils("themead", 2000)}
    text = sims_csv(list(pupils.values()))

    started = time.perf_counter()
    summary = roster_import.import_pupils(text)
    seconds = time.perf_counter() - started
    print(f"\n2,000-pupil import: {seconds:.2f} s")  # the figure; never a timed assertion

    assert summary.errors == []
    assert (summary.rows, summary.added, summary.updated, summary.left) == (2000, 2000, 0, 0)
    assert summary.warnings == ["Columns Lantern does not use were ignored: Gender."]
    sample = list(Pupil.scan(limit=40))  # moto scans slowly: a sample here; the second run below compares every one
    for pupil in sample:
        expected = {**pupils[pupil.upn], "pupil_id": pupil.pupil_id, "roll": "on"}
        assert pupil.attribute_values == expected
    [audit] = AuditEntry.query(f"pupil#{sample[0].pupil_id}")
    assert (audit.actor_id, audit.action) == ("roster-import", "roster import: added")

    # The same file again, as the full roster: every stored pupil equals its row, so nothing is written.
    again = roster_import.import_pupils(text, full=True)
    assert (again.added, again.updated, again.unchanged, again.left, again.rejoined) == (0, 0, 2000, 0, 0)


def test_a_file_with_bad_lines_imports_nothing_and_reports_every_line(school, people):
    before = {p.pupil_id: p.attribute_values for p in roster_import.all_pupils()}

    summary = roster_import.import_pupils((DATA / "pupils_bad.csv").read_text(), full=True)

    assert summary.errors == [
        "Line 3: UPN: B865209924002 has the wrong check letter (for these digits it is H): check it in the MIS",
        "Line 5: UPN: U865209924001 is also on line 2",
        "Line 6: Legal Forename: is blank",
        "Line 7: DOB: 30/09/2037 is in the future",
        "Line 8: Year: Year 14 is not a year group: use N, R or 1 to 13 (also Year 3, Y3, Reception, Nursery)",
        "Line 8: SEN Status: Q is not a SEN status: use N (None), K (SEN support) or E (EHC plan)",
        "Line 8: Pupil Premium: Maybe is not yes or no: use Y or N (also Yes/No, True/False, T/F, 1/0; blank is No)",
        "Line 9: DOB: 11/02/1920 would make the pupil 106 years old: check it (pupils are 1 to 25)",
    ]
    assert (summary.added, summary.updated, summary.left) == (0, 0, 0)
    assert summary.as_dict()["error"].startswith("The file has problems, so nothing was imported")
    # Not even the good lines, and nobody on roll became a leaver although it was a full import.
    assert {p.pupil_id: p.attribute_values for p in roster_import.all_pupils()} == before
    assert list(AuditEntry.scan()) == []


def test_a_reimport_updates_in_place_adds_new_pupils_and_makes_leavers_of_those_missing(school):
    pupils = demo.demo_pupils("themead", 30)
    roster_import.import_pupils(sims_csv(pupils))
    first = by_upn()
    going = [first[pupils[3]["upn"]], first[pupils[17]["upn"]]]
    chronologies = {pupil.pupil_id: add_chronology(pupil) for pupil in going}

    moved, renamed = pupils[5], pupils[6]
    changed = [dict(p) for p in pupils if p["upn"] not in {g.upn for g in going}]
    for p in changed:
        if p["upn"] == moved["upn"]:
            p["class_name"] = "Sycamore"
        if p["upn"] == renamed["upn"]:
            p["preferred_name"] = "Bex"
    newcomer = {**pupils[0], "upn": "U865209924001", "first_name": "Marigold", "last_name": "Ashdown"}
    summary = roster_import.import_pupils(sims_csv([*changed, newcomer]), full=True)

    assert summary.errors == []
    assert (summary.added, summary.updated, summary.unchanged, summary.left, summary.rejoined) == (1, 2, 26, 2, 0)
    after = by_upn()
    assert after[moved["upn"]].class_name == "Sycamore"
    assert after[renamed["upn"]].preferred_name == "Bex"
    for upn in (moved["upn"], renamed["upn"]):
        assert after[upn].pupil_id == first[upn].pupil_id  # chronologies stay attached
    assert after["U865209924001"].roll == "on"
    # Leavers: kept whole, off the typeahead, chronology untouched.
    for leaver in going:
        kept = after[leaver.upn]
        assert kept.roll is None
        assert without_roll(kept) == without_roll(first[leaver.upn])
        entries = [e.entry for e in ChronologyEntry.query(leaver.pupil_id)]
        assert sorted(entries) == sorted(chronologies[leaver.pupil_id])
        actions = [a.action for a in AuditEntry.query(f"pupil#{leaver.pupil_id}")]
        assert sorted(actions) == ["roster import: added", "roster import: left the roll (not in a full import)"]
    assert roster_upns() == {p["upn"] for p in changed} | {"U865209924001"}
    moved_actions = {a.action for a in AuditEntry.query(f"pupil#{first[moved['upn']].pupil_id}")}
    assert "roster import: updated class_name" in moved_actions

    # One comes back (in a partial import): on roll again with the same record; nobody else leaves.
    back = [p for p in pupils if p["upn"] == going[0].upn]
    returned = roster_import.import_pupils(sims_csv(back))
    assert (returned.added, returned.rejoined, returned.left) == (0, 1, 0)
    assert by_upn()[going[0].upn].pupil_id == going[0].pupil_id
    assert going[0].upn in roster_upns() and len(pupil_roster()) == 30


def test_without_full_pupils_missing_from_the_file_stay_on_roll(school, people):
    summary = roster_import.import_pupils((DATA / "pupils_sims.csv").read_text())
    assert (summary.added, summary.left) == (6, 0)
    names = {pupil["name"] for pupil in pupil_roster()}
    assert {"Ama Boateng", "Rory Campbell", "Will Cooper", "Teddy Brackenbury", "Pops Eversley"} <= names


def test_the_sample_mis_exports_import_alike(school):
    sims = roster_import.import_pupils((DATA / "pupils_sims.csv").read_text())
    arbor = roster_import.import_pupils((DATA / "pupils_arbor.csv").read_text())
    assert (sims.added, arbor.added, sims.errors, arbor.errors) == (6, 4, [], [])
    stored = by_upn()
    teddy, faye = stored["H865209924002"], stored["G865209924009"]
    assert (teddy.preferred_name, teddy.year_group, teddy.sen, teddy.pupil_premium) == (
        "Teddy",
        "Year 5",
        "SEN support",
        True,
    )
    assert (faye.date_of_birth, faye.year_group, faye.sen, faye.cp_plan) == (
        "2021-12-25",
        "Reception",
        "EHC plan",
        True,
    )
    assert stored["D86520992501A"].first_name == "Wojtek"  # a temporary UPN


def test_columns_left_out_keep_what_lantern_holds_and_blank_cells_clear_it(school):
    header = "UPN,Legal Forename,Legal Surname,DOB,Year,Reg Group"
    row = "L865209924004,Oskar,Dunmore,09/01/2015,6,Oak"
    roster_import.import_pupils(f"{header},CP Plan,Known As\n{row},Y,Ozzy\n")
    assert by_upn()["L865209924004"].cp_plan is True

    unchanged = roster_import.import_pupils(f"{header}\n{row}\n")
    oskar = by_upn()["L865209924004"]
    assert unchanged.unchanged == 1 and (oskar.cp_plan, oskar.preferred_name) == (True, "Ozzy")

    cleared = roster_import.import_pupils(f"{header},CP Plan,Known As\n{row},,\n")
    oskar = by_upn()["L865209924004"]
    assert cleared.updated == 1 and (oskar.cp_plan, oskar.preferred_name) == (False, "Oskar")


def test_a_temporary_upn_replaced_in_the_mis_keeps_the_pupils_record(school):
    header = "UPN,Former UPN,Legal Forename,Legal Surname,DOB,Year,Reg Group"
    roster_import.import_pupils(f"{header}\nD86520992501A,,Wojtek,Jarrow,06/06/2016,5,Maple\n")
    temporary = by_upn()["D86520992501A"]
    add_chronology(temporary)

    summary = roster_import.import_pupils(
        f"{header}\nT865209924010,D86520992501A,Wojtek,Jarrow,06/06/2016,5,Maple\n", full=True
    )

    assert (summary.added, summary.updated, summary.left) == (0, 1, 0)
    [pupil] = roster_import.all_pupils()
    assert (pupil.pupil_id, pupil.upn, pupil.roll) == (temporary.pupil_id, "T865209924010", "on")
    assert len(list(ChronologyEntry.query(pupil.pupil_id))) == 2


def test_the_admin_who_imports_is_named_in_each_pupils_audit_trail(school):
    admin = make_staff("admin")
    source = {"ip": "192.0.2.10", "user_agent": "Safari"}
    summary = roster_import.import_roster(
        "pupils", (DATA / "pupils_arbor.csv").read_text(), actor_id=admin.staff_id, source=source
    )
    assert summary.added == 4
    pupil = by_upn()["D865209924007"]
    [entry] = AuditEntry.query(f"pupil#{pupil.pupil_id}")
    assert (entry.actor_id, entry.ip, entry.user_agent) == (admin.staff_id, "192.0.2.10", "Safari")


# --- staff ---------------------------------------------------------------------------------------------------------


def staff_csv(*rows: tuple[str, str, str, str]) -> str:
    return "Email,Name,Role,Job Title\n" + "".join(f"{','.join(row)}\n" for row in rows)


def test_a_staff_import_creates_accounts_updates_roles_and_a_full_one_deactivates_the_rest(school, people):
    ta_token = sessions.start(people["ta"].staff_id)
    text = staff_csv(
        ("Joanna.Carter@themead.example.org", "Joanna Carter", "leader", "Assistant Head"),  # promoted
        ("hannah.lewis@themead.example.org", "Test dsl", "dsl", "Designated Safeguarding Lead"),  # as it was
        ("simon.osborne@themead.example.org", "Simon Osborne", "admin", "Office Manager"),  # renamed
        ("new.person@themead.example.org", "New Person", "staff", "Teaching Assistant"),  # new
    )

    summary = roster_import.import_staff(text, full=True)

    assert summary.errors == []
    assert (summary.added, summary.updated, summary.unchanged, summary.left) == (1, 2, 1, 4)
    [new] = summary.new_staff
    assert (new.email, new.name, new.role, new.title, new.password_hash) == (
        "new.person@themead.example.org",
        "New Person",
        "staff",
        "Teaching Assistant",
        None,
    )
    teacher = Staff.get(people["teacher"].staff_id)
    assert (teacher.role, teacher.title, teacher.active) == ("leader", "Assistant Head", True)
    assert Staff.get(people["admin"].staff_id).name == "Simon Osborne"
    directory = staff_directory()
    assert sorted(m.email for m in directory.values()) == [
        "hannah.lewis@themead.example.org",
        "joanna.carter@themead.example.org",
        "new.person@themead.example.org",
        "simon.osborne@themead.example.org",
    ]
    for gone in ("ta", "head", "ddsl", "dht"):
        account = Staff.get(people[gone].staff_id)  # never deleted
        assert (account.active, account.directory) == (False, None)
    with pytest.raises(NotSignedInError):
        sessions.resume(ta_token)

    # The teaching assistant comes back: reactivated, in the lists again; nobody else changes.
    back = roster_import.import_staff(
        staff_csv(("claire.robinson@themead.example.org", "Test staff", "staff", "Teaching Assistant"))
    )
    assert (back.added, back.rejoined, back.left, back.new_staff) == (0, 1, 0, [])
    assert people["ta"].staff_id in staff_directory() and len(staff_directory()) == 5


def test_a_staff_file_without_job_titles_leaves_titles_alone(school, people):
    summary = roster_import.import_staff("Email,Name,Role\nhannah.lewis@themead.example.org,Hannah Lewis,dsl\n")
    assert summary.updated == 1
    dsl = Staff.get(people["dsl"].staff_id)
    assert (dsl.name, dsl.title) == ("Hannah Lewis", "Designated Safeguarding Lead")


def test_a_broken_staff_file_imports_nothing(school, people):
    before = {m.staff_id: m.attribute_values for m in Staff.scan(consistent_read=True)}
    summary = roster_import.import_staff((DATA / "staff_bad.csv").read_text(), full=True)
    assert summary.errors == [
        "Line 3: Email: not-an-email is not an email address",
        "Line 4: Email: h.quennell@themead.example.org is also on line 2",
        "Line 5: Name: is blank",
        "Line 5: Role: teacher is not a role: use staff, leader, dsl, head or admin",
    ]
    assert {m.staff_id: m.attribute_values for m in Staff.scan(consistent_read=True)} == before


def test_an_import_that_would_leave_no_administrator_is_refused(school, people):
    text = staff_csv(("simon.osborne@themead.example.org", "Simon Osborne", "staff", "Office Manager"))
    summary = roster_import.import_staff(text)
    assert summary.errors == [
        "The import would leave the school with no active administrator: give someone the role admin."
    ]
    assert Staff.get(people["admin"].staff_id).role == "admin"
    full = roster_import.import_staff(staff_csv(("hannah.lewis@themead.example.org", "H", "dsl", "")), full=True)
    assert full.errors and (full.left, full.updated) == (0, 0)
    assert len(staff_directory()) == 7


def test_the_admin_importing_on_the_admin_page_cannot_deactivate_or_demote_themselves(school, people):
    admin = people["admin"]
    second = make_staff("admin", email="second.admin@themead.example.org")
    without_me = staff_csv(("second.admin@themead.example.org", "Second Admin", "admin", ""))
    summary = roster_import.import_roster("staff", without_me, full=True, actor_id=admin.staff_id)
    assert summary.errors == [
        "Your own account is not in the file, so a full import would deactivate it. Add yourself to the file, or "
        "import without “full roster”."
    ]
    demoted = staff_csv(("simon.osborne@themead.example.org", "Simon Osborne", "staff", ""))
    summary = roster_import.import_roster("staff", demoted, actor_id=admin.staff_id)
    assert summary.errors == ["The file gives your own account a role other than admin. Keep yourself admin."]
    assert Staff.get(admin.staff_id).role == "admin" and Staff.get(second.staff_id).active


# --- the command line ----------------------------------------------------------------------------------------------


@pytest.fixture
def command(school, local_aws, tmp_path, monkeypatch):
    """Run `python -m tools.import_roster` in-process against this test's stack, as against `make run`'s."""
    state = tmp_path / "state.json"
    url = "https://themead.test"
    state.write_text(json.dumps({"endpoint": local_aws.endpoint, "region": school.aws_region, "url": url}))
    monkeypatch.setenv("LANTERN_LOCAL_HTTP", "")  # the command sets it, as for `make run`; put it back afterwards

    def run(*args: str) -> int:
        return import_roster.main(["--school", "themead", "--state", str(state), *args])

    return run


def test_the_command_imports_both_files_and_emails_new_staff_their_links(command, capsys):
    emails_before = len(sent_emails())

    status = command("--pupils", str(DATA / "pupils_sims.csv"), "--staff", str(DATA / "staff.csv"), "--full")

    out = capsys.readouterr().out
    assert status == 0
    assert "staff.csv: Staff: 6 rows — 6 added, 0 updated, 0 unchanged, 0 deactivated, 0 reactivated." in out
    assert "pupils_sims.csv: Pupils: 6 rows — 6 added, 0 updated, 0 unchanged, 0 left, 0 back on roll." in out
    assert "pupils_sims.csv: warning: Columns Lantern does not use were ignored: Gender." in out
    assert "staff.csv: emailed a set-password link to 6 new staff." in out
    emails = sent_emails()[emails_before:]
    assert sorted(address for email in emails for address in email.destinations["ToAddresses"]) == sorted(
        line.split(",")[0] for line in (DATA / "staff.csv").read_text().splitlines()[1:]
    )
    assert len(pupil_roster()) == 6 and len(staff_directory()) == 6


def test_the_command_refuses_a_broken_file_and_imports_neither(command, capsys):
    status = command("--pupils", str(DATA / "pupils_bad.csv"), "--staff", str(DATA / "staff.csv"))

    captured = capsys.readouterr()
    assert status == 1
    assert "pupils_bad.csv: 8 problem(s):" in captured.err
    assert "  Line 3: UPN: B865209924002 has the wrong check letter" in captured.err
    assert "  Line 9: DOB: 11/02/1920 would make the pupil 106 years old" in captured.err
    assert "Nothing was imported." in captured.err
    assert list(Pupil.scan()) == [] and list(Staff.scan()) == []


def test_the_command_needs_a_file_and_a_running_stack(command, tmp_path, capsys):
    with pytest.raises(SystemExit):
        command()
    with pytest.raises(SystemExit) as stopped:
        import_roster.main(["--pupils", "x.csv", "--state", str(tmp_path / "none.json")])
    assert "make run SCHOOL=themead" in str(stopped.value)


def test_the_admin_page_route_imports_a_file_and_refuses_a_broken_one(client, school):
    from tests.helpers import Api, make_staff, session_cookie_for

    admin = Api(client, session_cookie_for(make_staff("admin", email="office@themead.example.org")))
    started = admin.post("/admin/roster", {"kind": "pupils", "csv": (DATA / "pupils_sims.csv").read_text()})
    assert started.status_code == 202, started.data  # a job: its exact summary at once, written step by step
    job = started.data
    assert (job["state"], job["total"], job["done"], job["summary"]["added"]) == ("running", 6, 0, 6)
    assert pupil_roster() == []
    assert admin.get("/admin/roster").data["job"]["job_id"] == job["job_id"]  # a reloaded page finds it
    stepped = admin.post("/admin/roster/step", {"job_id": job["job_id"]})
    assert stepped.status_code == 200 and stepped.data["state"] == "done" and stepped.data["done"] == 6
    assert len(pupil_roster()) == 6
    again = admin.post("/admin/roster", {"kind": "pupils", "csv": (DATA / "pupils_sims.csv").read_text()})
    assert again.status_code == 200 and again.data["state"] == "done" and again.data["summary"]["unchanged"] == 6
    bad = admin.post("/admin/roster", {"kind": "pupils", "csv": (DATA / "pupils_bad.csv").read_text()})
    assert bad.status_code == 400 and bad.data["error"].startswith("The file has problems")
    assert any(line.startswith("Line 3:") for line in bad.data["errors"])
    dsl = Api(client, session_cookie_for(make_staff("dsl", email="dsl@themead.example.org")))
    assert dsl.post("/admin/roster", {"kind": "pupils", "csv": "UPN\n"}).status_code == 403
    assert dsl.post("/admin/roster/step", {"job_id": job["job_id"]}).status_code == 403


def test_a_step_cut_short_is_finished_by_the_next_and_nothing_is_written_twice(school, monkeypatch):
    from chalicelib.roster_import import pupils as job_module

    pupils = list(demo.demo_pupils("themead", 150))
    job = job_module.start(roster_import.parse_pupils(sims_csv(pupils)))
    assert job["total"] == 150

    writes = {"n": 0}
    original = job_module._write_one

    def dies_after_ten(op, at, context):
        writes["n"] += 1
        if writes["n"] > 10:
            raise ConnectionError("the function was stopped")
        original(op, at, context)

    monkeypatch.setattr(job_module, "WRITERS", 1)
    monkeypatch.setattr(job_module, "_write_one", dies_after_ten)
    with pytest.raises(ConnectionError):
        job_module.step(job["job_id"])
    monkeypatch.setattr(job_module, "_write_one", original)
    while job["state"] == "running":
        job = job_module.step(job["job_id"], seconds=60)
    assert (job["done"], job["summary"]["added"]) == (150, 150)
    stored = by_upn()
    assert set(stored) == {p["upn"] for p in pupils}  # each once, though its batch was begun twice
    audits = [a for p in stored.values() for a in AuditEntry.query(f"pupil#{p.pupil_id}")]
    assert len(audits) == 150  # one each: the batch's audit keys are its own
    again = roster_import.import_pupils(sims_csv(pupils))
    assert again.unchanged == 150  # the index agrees with the table


def test_a_second_import_waits_for_a_running_one_and_replaces_an_abandoned_one(school):
    from datetime import timedelta

    from chalicelib.clock import utcnow
    from chalicelib.roster_import import pupils as job_module

    text = (DATA / "pupils_sims.csv").read_text()
    first = job_module.start(roster_import.parse_pupils(text))
    with pytest.raises(job_module.ImportRunning):
        job_module.start(roster_import.parse_pupils(text))
    later = utcnow() + job_module.ABANDONED + timedelta(seconds=1)
    second = job_module.start(roster_import.parse_pupils(text), now=later)
    assert job_module.step(first["job_id"])["state"] == "replaced"
    assert job_module.step(second["job_id"], seconds=60)["state"] == "done"
    assert len(pupil_roster()) == 6


def test_pupils_written_some_other_way_are_indexed_once_or_the_page_says_what_to_run(school, monkeypatch):
    from botocore.exceptions import ClientError

    from chalicelib.roster_import import index

    pupils = list(demo.demo_pupils("themead", 5))
    with Pupil.batch_write() as batch:  # as the local demo seed does: no index
        for pupil in pupils:
            batch.save(Pupil(**pupil))
    monkeypatch.setattr(
        "chalicelib.roster_import.pupils.all_pupils",
        lambda: (_ for _ in ()).throw(ClientError({"Error": {"Code": "AccessDeniedException"}}, "Scan")),
    )
    with pytest.raises(Exception, match="REBUILD_INDEX=1"):  # as the API's role: no Scan
        roster_import.import_pupils(sims_csv(pupils))
    monkeypatch.undo()
    assert index.rebuild() == 5  # the operator's `make import REBUILD_INDEX=1`
    assert roster_import.import_pupils(sims_csv(pupils)).unchanged == 5
