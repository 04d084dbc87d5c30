"""The roster CSV layout (docs/roster-csv.md): every parsing and checking rule, without AWS."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date

import pytest

from chalicelib import roster_import
from chalicelib.errors import InvalidInputError
from chalicelib.roster_import import ImportSummary, is_valid_upn, parse_pupils, parse_staff, upn_check_letter
from chalicelib.web.requests import read_body
from chalicelib.web.roster_requests import RosterUpload
from chalicelib.web.routing import status_of
from tools import demo

TODAY = date(2026, 11, 30)
MARIGOLD = {
    "UPN": "U865209924001",
    "Legal Forename": "Marigold",
    "Legal Surname": "Ashdown",
    "DOB": "14/03/2019",
    "Year": "2",
    "Reg Group": "Birch",
}
TEDDY = {**MARIGOLD, "UPN": "H865209924002", "Legal Forename": "Theodore", "Legal Surname": "Brackenbury"}
HARRIET = {"Email": "H.Quennell@themead.example.org", "Name": "Harriet Quennell", "Role": "head"}


def to_csv(rows: list[dict], header: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header or list(rows[0]))
    for row in rows:
        writer.writerow(row.values())
    return out.getvalue()


def pupils(*rows: dict, **kwargs):
    return parse_pupils(to_csv(list(rows)), today=TODAY, **kwargs)


def one_pupil(**cells):
    """Parse a file of one pupil: Marigold with `cells` changed (keys are header names)."""
    return pupils({**MARIGOLD, **cells})


def value(field: str, **cells):
    parsed = one_pupil(**cells)
    assert parsed.errors == []
    return parsed.rows[0]["fields"][field]


def problem(**cells) -> str:
    parsed = one_pupil(**cells)
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


def staff(*rows: dict):
    return parse_staff(to_csv(list(rows)))


# --- a good file -------------------------------------------------------------------------------------------------


def test_a_minimal_pupils_file_gives_every_required_field_and_defaults_the_preferred_name():
    parsed = one_pupil()
    assert parsed.errors == [] and parsed.warnings == []
    assert parsed.rows == [
        {
            "line": 2,
            "fields": {
                "upn": "U865209924001",
                "first_name": "Marigold",
                "last_name": "Ashdown",
                "date_of_birth": "2019-03-14",
                "year_group": "Year 2",
                "class_name": "Birch",
            },
            "former_upn": "",
        }
    ]
    assert parsed.fields == {"upn", "first_name", "last_name", "date_of_birth", "year_group", "class_name"}


def test_optional_columns_are_only_in_the_fields_when_the_file_has_them():
    parsed = one_pupil(**{"Preferred Forename": "", "CP Plan": "Y"})
    assert parsed.fields >= {"preferred_name", "cp_plan"}
    assert "sen" not in parsed.fields and "eal" not in parsed.fields
    assert parsed.rows[0]["fields"]["preferred_name"] == "Marigold"  # blank preferred name: the legal forename
    assert parsed.rows[0]["fields"]["cp_plan"] is True


def test_text_is_trimmed_and_inner_spaces_collapsed():
    assert value("first_name", **{"Legal Forename": "  Mary   Jane "}) == "Mary Jane"


# --- column names --------------------------------------------------------------------------------------------------

ALIASES = {
    "upn": ["UPN", "upn", "Unique Pupil Number", "unique_pupil_number"],
    "first_name": ["Legal Forename", "Forename", "First Name", "first-name", "LEGAL FIRST NAME", "Given Name"],
    "last_name": ["Legal Surname", "Surname", "Last Name", "Legal Last Name"],
    "date_of_birth": ["DOB", "D.O.B.", "Date of Birth", "date_of_birth", "Birth Date"],
    "year_group": ["Year", "Year Group", "NC Year", "Curriculum Year"],
    "class_name": ["Reg Group", "Registration Group", "Class", "Form", "Tutor Group", "Reg. Group"],
}
OPTIONAL_ALIASES = {
    "preferred_name": (["Preferred Forename", "Preferred Name", "Known As", "Preferred First Name"], "Molly", "Molly"),
    "sen": (["SEN Status", "SEN", "SEN Provision"], "K", "SEN support"),
    "pupil_premium": (["Pupil Premium", "PP"], "Y", True),
    "eal": (["EAL", "English as an Additional Language"], "Y", True),
    "looked_after": (["Looked After", "CLA", "LAC", "In Care"], "Y", True),
    "cp_plan": (["CP Plan", "Child Protection Plan", "CP"], "Y", True),
}
HEADER_OF = {
    "upn": "UPN",
    "first_name": "Legal Forename",
    "last_name": "Legal Surname",
    "date_of_birth": "DOB",
    "year_group": "Year",
    "class_name": "Reg Group",
}


@pytest.mark.parametrize(("field", "alias"), [(f, a) for f, names in ALIASES.items() for a in names])
def test_required_columns_are_found_by_any_of_their_mis_names(field, alias):
    row = {(alias if key == HEADER_OF[field] else key): cell for key, cell in MARIGOLD.items()}
    parsed = pupils(row)
    assert parsed.errors == [] and parsed.warnings == []
    assert parsed.rows[0]["fields"][field] == one_pupil().rows[0]["fields"][field]


@pytest.mark.parametrize(
    ("field", "alias", "cell", "expected"),
    [(f, a, cell, expected) for f, (names, cell, expected) in OPTIONAL_ALIASES.items() for a in names],
)
def test_optional_columns_are_found_by_any_of_their_mis_names(field, alias, cell, expected):
    parsed = one_pupil(**{alias: cell})
    assert parsed.errors == [] and parsed.warnings == []
    assert parsed.rows[0]["fields"][field] == expected


def test_columns_may_come_in_any_order():
    reordered = dict(reversed(list(MARIGOLD.items())))
    assert pupils(reordered).rows[0]["fields"] == one_pupil().rows[0]["fields"]


def test_unknown_columns_are_ignored_and_listed_in_a_warning():
    parsed = one_pupil(Gender="F", Ethnicity="WBRI")
    assert parsed.errors == []
    assert parsed.warnings == ["Columns Lantern does not use were ignored: Gender, Ethnicity."]
    assert "Gender" not in str(parsed.rows)


def test_the_more_specific_of_two_columns_for_one_field_wins_with_a_warning():
    parsed = pupils({"Forename": "Mags", **MARIGOLD})
    assert parsed.rows[0]["fields"]["first_name"] == "Marigold"
    assert parsed.warnings == ["Column Forename was ignored: Legal Forename is used instead."]


def test_the_same_column_twice_is_an_error():
    text = "UPN,Legal Forename,Legal Surname,DOB,Year,Reg Group,UPN\nU865209924001,M,A,14/03/2019,2,Birch,X\n"
    assert parse_pupils(text, today=TODAY).errors == ["Line 1: the column UPN appears twice; keep one"]


def test_missing_required_columns_give_one_error_naming_them_all():
    parsed = parse_pupils("UPN,Forename,Class\nU865209924001,Marigold,Birch\n", today=TODAY)
    assert len(parsed.errors) == 1
    assert parsed.errors[0].startswith(
        "Line 1: the header has no column for Legal Surname, Date of Birth and Year Group."
    )
    assert parsed.rows == []


def test_a_file_without_a_header_is_refused_by_its_missing_columns():
    parsed = parse_pupils("U865209924001,Marigold,,Ashdown,14/03/2019,2,Birch\n", today=TODAY)
    assert len(parsed.errors) == 1 and "the header has no column for UPN" in parsed.errors[0]


@pytest.mark.parametrize("text", ["", "   \n\n", "\ufeff"])
def test_an_empty_file_is_refused(text):
    assert parse_pupils(text, today=TODAY).errors == [
        "The file is empty. Export the roster from the MIS as CSV with a header row."
    ]


# --- values --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("14/03/2019", "2019-03-14"),
        ("4/3/2019", "2019-03-04"),
        ("2019-03-14", "2019-03-14"),
        (" 14/03/2019 ", "2019-03-14"),
        ("14/03/2019 00:00", "2019-03-14"),
        ("14/03/2019 00:00:00", "2019-03-14"),
        ("29/02/2020", "2020-02-29"),
    ],
)
def test_dates_of_birth_are_read_as_dd_mm_yyyy_or_iso(cell, expected):
    assert value("date_of_birth", DOB=cell) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("", "is blank"),
        ("14/03/19", "14/03/19 is not a date: use DD/MM/YYYY or YYYY-MM-DD"),
        ("2019/03/14", "2019/03/14 is not a date: use DD/MM/YYYY or YYYY-MM-DD"),
        ("14-03-2019", "14-03-2019 is not a date: use DD/MM/YYYY or YYYY-MM-DD"),
        ("March 2019", "March 2019 is not a date: use DD/MM/YYYY or YYYY-MM-DD"),
        ("31/02/2019", "31/02/2019 is not a real date"),
        ("29/02/2019", "29/02/2019 is not a real date"),
        ("03/14/2019", "03/14/2019 is not a real date"),  # American order
        ("01/12/2026", "01/12/2026 is in the future"),
        ("01/09/2031", "01/09/2031 is in the future"),
        ("14/03/1920", "14/03/1920 would make the pupil 106 years old: check it (pupils are 1 to 25)"),
        ("30/11/2000", "30/11/2000 would make the pupil 26 years old: check it (pupils are 1 to 25)"),
        ("01/06/2026", "01/06/2026 would make the pupil 0 years old: check it (pupils are 1 to 25)"),
    ],
)
def test_impossible_future_or_absurd_dates_of_birth_are_errors(cell, message):
    assert problem(DOB=cell) == f"Line 2: DOB: {message}"


def test_the_age_limits_are_inclusive():
    assert value("date_of_birth", DOB="30/11/2025") == "2025-11-30"  # 1 today
    assert value("date_of_birth", DOB="01/12/2000") == "2000-12-01"  # 25 until tomorrow


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("R", "Reception"),
        ("r", "Reception"),
        ("YR", "Reception"),
        ("Rec", "Reception"),
        ("Reception", "Reception"),
        ("Year R", "Reception"),
        ("N", "Nursery"),
        ("N1", "Nursery"),
        ("N2", "Nursery"),
        ("Nursery", "Nursery"),
        ("1", "Year 1"),
        ("3", "Year 3"),
        ("03", "Year 3"),
        ("Year 3", "Year 3"),
        ("year3", "Year 3"),
        ("Y3", "Year 3"),
        ("Yr 3", "Year 3"),
        ("NC 3", "Year 3"),
        ("6", "Year 6"),
        ("Year 7", "Year 7"),
        ("Y11", "Year 11"),
        ("13", "Year 13"),
    ],
)
def test_year_groups_accept_mis_codes_and_names(cell, expected):
    assert value("year_group", Year=cell) == expected


@pytest.mark.parametrize("cell", ["0", "14", "Year 14", "X", "Y", "Three", "3B"])
def test_unknown_year_groups_are_errors(cell):
    assert problem(Year=cell).startswith(f"Line 2: Year: {cell} is not a year group: use N, R or 1 to 13")


def test_every_year_group_lantern_names_is_accepted_as_written():
    for name in roster_import.YEAR_GROUPS:
        assert value("year_group", Year=name) == name
    assert set(demo.YEAR_GROUPS) <= set(roster_import.YEAR_GROUPS)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("", "None"),
        ("N", "None"),
        ("None", "None"),
        ("none", "None"),
        ("K", "SEN support"),
        ("k", "SEN support"),
        ("SEN Support", "SEN support"),
        ("SEN support", "SEN support"),
        ("E", "EHC plan"),
        ("EHCP", "EHC plan"),
        ("EHC Plan", "EHC plan"),
        ("EHC plan", "EHC plan"),
    ],
)
def test_sen_status_accepts_codes_and_names(cell, expected):
    assert value("sen", **{"SEN Status": cell}) == expected


@pytest.mark.parametrize("cell", ["S", "Statement", "Yes", "A"])
def test_unknown_sen_status_is_an_error(cell):
    assert problem(**{"SEN Status": cell}) == (
        f"Line 2: SEN Status: {cell} is not a SEN status: use N (None), K (SEN support) or E (EHC plan)"
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        *[(word, True) for word in ("Y", "y", "Yes", "YES", "True", "true", "T", "t", "1", " Y ")],
        *[(word, False) for word in ("N", "n", "No", "False", "F", "f", "0", "", "  ")],
    ],
)
@pytest.mark.parametrize("column", ["Pupil Premium", "EAL", "Looked After", "CP Plan"])
def test_yes_no_columns_accept_the_usual_spellings_and_blank_is_no(column, cell, expected):
    field = {"Pupil Premium": "pupil_premium", "EAL": "eal", "Looked After": "looked_after", "CP Plan": "cp_plan"}
    assert value(field[column], **{column: cell}) is expected


@pytest.mark.parametrize("cell", ["Maybe", "2", "Yep", "x"])
def test_other_yes_no_values_are_errors(cell):
    assert problem(EAL=cell).startswith(f"Line 2: EAL: {cell} is not yes or no: use Y or N")


@pytest.mark.parametrize("column", ["Legal Forename", "Legal Surname", "Reg Group", "UPN", "Year"])
def test_blank_required_values_are_errors(column):
    assert problem(**{column: " "}) == f"Line 2: {column}: is blank"


def test_over_long_values_are_errors():
    assert problem(**{"Legal Surname": "A" * 101}) == "Line 2: Legal Surname: is longer than 100 characters"
    assert problem(**{"Reg Group": "B" * 51}) == "Line 2: Reg Group: is longer than 50 characters"
    assert value("last_name", **{"Legal Surname": "A" * 100}) == "A" * 100


def test_a_value_on_two_lines_is_an_error():
    assert problem(**{"Legal Surname": "Ash\ndown"}) == "Line 2: Legal Surname: must be on one line"


def test_unreadable_characters_and_control_characters_are_errors():
    assert "could not be read" in problem(**{"Legal Surname": "Ash\ufffddown"})
    assert problem(**{"Legal Surname": "Ash\x00down"}) == "Line 2: Legal Surname: holds a control character"


# --- UPNs ----------------------------------------------------------------------------------------------------------


def test_the_upn_check_letter_follows_the_dfe_rule():
    assert upn_check_letter("865209924001") == "U"
    assert upn_check_letter("207000016049") == "P"  # weights 2..13: sum 266, 266 mod 23 = 13 → P
    assert upn_check_letter("00180001701A") == "X"  # the DfE's temporary UPN example, X00180001701A


def test_upn_checks_agree_with_the_demo_generator():
    for pupil in demo.demo_pupils("rivermead", 300):
        assert is_valid_upn(pupil["upn"])
    rng = random.Random("upn")
    for _ in range(2000):
        twelve = "".join(rng.choice("0123456789") for _ in range(12))
        upn = rng.choice("ABCDEFGHJKLMNPQRTUVWXYZ") + twelve
        assert is_valid_upn(upn) == demo.is_valid_upn(upn)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("U865209924001", "U865209924001"), ("u865209924001", "U865209924001"), ("U 8652 0992 4001", "U865209924001")],
)
def test_upns_are_upper_cased_and_spaces_removed(cell, expected):
    assert value("upn", UPN=cell) == expected


def test_a_temporary_upn_is_accepted():
    assert value("upn", UPN="D86520992501A") == "D86520992501A"
    assert value("upn", UPN="X00180001701A") == "X00180001701A"


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("A865209924001", "A865209924001 has the wrong check letter (for these digits it is U): check it in the MIS"),
        ("E86520992501A", "E86520992501A has the wrong check letter (for these digits it is D): check it in the MIS"),
        ("865209924001", "865209924001 is not a UPN"),
        ("U86520992400", "U86520992400 is not a UPN"),
        ("U8652099240011", "U8652099240011 is not a UPN"),
        ("I865209924001", "I865209924001 is not a UPN"),  # I, O and S are never check letters
        ("X0018000170IS", "X0018000170IS is not a UPN"),
        ("X00180001701S", "X00180001701S is not a UPN"),
    ],
)
def test_malformed_upns_and_wrong_check_letters_are_errors(cell, message):
    assert problem(UPN=cell).startswith(f"Line 2: UPN: {message}")


def test_the_same_upn_twice_is_an_error_on_the_later_line():
    parsed = pupils(MARIGOLD, TEDDY, {**MARIGOLD, "Legal Forename": "Marigold-Rose"})
    assert parsed.errors == ["Line 4: UPN: U865209924001 is also on line 2"]


def test_the_same_upn_written_differently_is_still_the_same_upn():
    parsed = pupils(MARIGOLD, {**TEDDY, "UPN": "u8652 0992 4001"})
    assert parsed.errors == ["Line 3: UPN: U865209924001 is also on line 2"]


def test_a_former_upn_is_checked_and_kept_apart_from_the_fields():
    parsed = one_pupil(**{"Former UPN": "D86520992501A"})
    assert parsed.errors == []
    assert parsed.rows[0]["former_upn"] == "D86520992501A"
    assert "former_upn" not in parsed.rows[0]["fields"] and "former_upn" not in parsed.fields
    assert one_pupil(**{"Former UPN": ""}).rows[0]["former_upn"] == ""
    assert one_pupil(**{"Former UPN": "U865209924001"}).rows[0]["former_upn"] == ""  # the same as the UPN
    assert problem(**{"Former UPN": "B86520992501A"}).startswith("Line 2: Former UPN: B86520992501A has the wrong")


def test_the_same_former_upn_twice_is_an_error():
    parsed = pupils({**MARIGOLD, "Former UPN": "D86520992501A"}, {**TEDDY, "Former UPN": "D86520992501A"})
    assert parsed.errors == ["Line 3: Former UPN: D86520992501A is also the former UPN on line 2"]


# --- the file as a whole -------------------------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_line_number_and_column():
    text = to_csv(
        [
            MARIGOLD,
            {**TEDDY, "UPN": "B865209924002"},
            {**TEDDY, "UPN": "X865209924003", "DOB": "31/02/2019", "Year": "Year 14"},
            MARIGOLD,
        ]
    )
    assert parse_pupils(text, today=TODAY).errors == [
        "Line 3: UPN: B865209924002 has the wrong check letter (for these digits it is H): check it in the MIS",
        "Line 4: DOB: 31/02/2019 is not a real date",
        "Line 4: Year: Year 14 is not a year group: use N, R or 1 to 13 (also Year 3, Y3, Reception, Nursery)",
        "Line 5: UPN: U865209924001 is also on line 2",
    ]


def test_line_numbers_count_blank_lines_and_quoted_cells_over_several_lines():
    text = (
        "UPN,Legal Forename,Legal Surname,DOB,Year,Reg Group,Notes\n"
        "\n"
        'U865209924001,Marigold,Ashdown,14/03/2019,2,Birch,"a note\nover two lines"\n'
        ",,,,,,\n"
        "H865209924002,Theodore,Brackenbury,14/03/2019,2,Birch,\n"
        "X865209924003,Zainab,Callowhill,14/03/2019,Year 14,Hazel,\n"
    )
    parsed = parse_pupils(text, today=TODAY)
    assert [row["line"] for row in parsed.rows] == [3, 6, 7]
    assert parsed.errors == [
        "Line 7: Year: Year 14 is not a year group: use N, R or 1 to 13 (also Year 3, Y3, Reception, Nursery)"
    ]


def test_a_byte_order_mark_windows_line_ends_and_tabs_are_read():
    text = "\ufeff" + to_csv([MARIGOLD]).replace("\n", "\r\n")
    assert parse_pupils(text, today=TODAY).rows == one_pupil().rows
    tabbed = to_csv([MARIGOLD]).replace(",", "\t")
    assert parse_pupils(tabbed, today=TODAY).rows == one_pupil().rows


def test_extra_cells_are_an_error_unless_they_are_empty():
    text = to_csv([MARIGOLD])
    assert parse_pupils(text.replace("Birch", "Birch,,"), today=TODAY).errors == []
    assert parse_pupils(text.replace("Birch", "Birch,,oops"), today=TODAY).errors == [
        "Line 2: the row has 8 cells but the header has 6: check for a stray comma"
    ]


def test_a_short_row_reads_its_missing_cells_as_blank():
    text = (
        "UPN,Legal Forename,Legal Surname,DOB,Year,Reg Group,EAL\nU865209924001,Marigold,Ashdown,14/03/2019,2,Birch\n"
    )
    parsed = parse_pupils(text, today=TODAY)
    assert parsed.errors == [] and parsed.rows[0]["fields"]["eal"] is False


def test_malformed_quoting_is_an_error_with_its_line():
    text = to_csv([MARIGOLD]) + 'H865209924002,"Theo"dore,Brackenbury,14/03/2019,2,Birch\n'
    errors = parse_pupils(text, today=TODAY).errors
    assert len(errors) == 1 and errors[0].startswith("Line 3: the file could not be read as CSV here")


def test_a_file_over_two_megabytes_is_refused_whole():
    text = to_csv([MARIGOLD]) + "\n" * (roster_import.MAX_BYTES)
    parsed = parse_pupils(text, today=TODAY)
    assert parsed.errors == ["The file is 2.0 MB; Lantern takes at most 2 MB (5,000 rows) in one file."]
    assert parsed.rows == []


def test_more_than_five_thousand_rows_are_refused_whole():
    pupils_5001 = demo.demo_pupils("themead", 5001)
    rows = [{**MARIGOLD, "UPN": pupil["upn"]} for pupil in pupils_5001]
    assert len(parse_pupils(to_csv(rows[:5000]), today=TODAY).rows) == 5000
    parsed = parse_pupils(to_csv(rows), today=TODAY)
    assert parsed.errors == ["The file has more than 5,000 rows; Lantern takes at most 5,000 in one file."]
    assert parsed.rows == []


def test_a_file_wrong_on_every_line_lists_the_first_500_problems_and_counts_the_rest():
    rows = [{**MARIGOLD, "UPN": pupil["upn"], "Year": "Year 14"} for pupil in demo.demo_pupils("themead", 700)]
    parsed = parse_pupils(to_csv(rows), today=TODAY)
    assert len(parsed.errors) == 501 and parsed.error_count == 700
    assert parsed.errors[-1] == "…and 200 more problems."


# --- decoding ------------------------------------------------------------------------------------------------------


def test_files_are_read_as_utf8_with_or_without_a_byte_order_mark():
    assert roster_import.decode("Zoë".encode()) == ("Zoë", [])
    assert roster_import.decode("\ufeffZoë".encode()) == ("Zoë", [])


def test_excels_plain_csv_is_read_as_windows_1252_with_a_warning():
    text, warnings = roster_import.decode("Zoë Ó Súilleabháin".encode("cp1252"))
    assert text == "Zoë Ó Súilleabháin"
    assert warnings == ["The file is not UTF-8; it was read as Windows-1252. Check names with accents came through."]


# --- staff ---------------------------------------------------------------------------------------------------------


def test_a_staff_file_gives_lower_case_emails_names_and_roles():
    parsed = staff(
        HARRIET, {"Email": "b.vantongeren@themead.example.org", "Name": "Bram Van Tongeren", "Role": "Staff"}
    )
    assert parsed.errors == [] and parsed.warnings == []
    assert parsed.rows == [
        {"line": 2, "email": "h.quennell@themead.example.org", "name": "Harriet Quennell", "role": "head"},
        {"line": 3, "email": "b.vantongeren@themead.example.org", "name": "Bram Van Tongeren", "role": "staff"},
    ]
    assert parsed.fields == {"email", "name", "role"}  # no job-title column: titles are left as they are


def test_a_staff_name_can_come_from_forename_and_surname():
    parsed = staff(
        {
            "Email Address": "h.quennell@themead.example.org",
            "Forename": "Harriet",
            "Surname": "Quennell",
            "Role": "head",
        }
    )
    assert parsed.errors == [] and parsed.rows[0]["name"] == "Harriet Quennell"
    parsed = staff(
        {"Email": "a@b.org", "Preferred Forename": "Hattie", "Forename": "Harriet", "Surname": "Q", "Role": "head"}
    )
    assert parsed.rows[0]["name"] == "Hattie Q"
    assert parsed.warnings == ["Column Forename was ignored: Preferred Forename is used instead."]


def test_a_name_column_wins_over_forename_and_surname():
    parsed = staff({**HARRIET, "Forename": "H", "Surname": "Q"})
    assert parsed.rows[0]["name"] == "Harriet Quennell"
    assert parsed.warnings == [
        "Column Forename was ignored: Name is used instead.",
        "Column Surname was ignored: Name is used instead.",
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("staff", "staff"),
        ("Leader", "leader"),
        ("DSL", "dsl"),
        ("DDSL", "dsl"),
        ("DSL/DDSL", "dsl"),
        ("Leader (SLT/DHT)", "leader"),
        ("head", "head"),
        ("Head of School", "head"),
        ("ADMIN", "admin"),
        ("Administrator", "admin"),
    ],
)
def test_roles_accept_lanterns_role_names_and_labels(cell, expected):
    assert staff({**HARRIET, "Role": cell}).rows[0]["role"] == expected


@pytest.mark.parametrize("cell", ["teacher", "SENCo", "superuser"])
def test_unknown_roles_are_errors(cell):
    assert staff({**HARRIET, "Role": cell}).errors == [
        f"Line 2: Role: {cell} is not a role: use staff, leader, dsl, head or admin"
    ]


def test_a_blank_role_is_an_error_never_a_default():
    assert staff({**HARRIET, "Role": ""}).errors == ["Line 2: Role: is blank: enter staff, leader, dsl, head or admin"]


def test_job_titles_are_read_and_a_title_of_mr_or_mrs_is_ignored():
    parsed = staff({**HARRIET, "Job Title": "Head of School"})
    assert parsed.rows[0]["title"] == "Head of School" and "title" in parsed.fields
    parsed = staff({**HARRIET, "Title": "Mrs"}, {**HARRIET, "Email": "x@y.org", "Title": "Dr."})
    assert "title" not in parsed.rows[0] and "title" not in parsed.fields
    assert parsed.warnings == [
        "Column Title holds Mr, Mrs, Ms…, not job titles, so it was ignored: name the job-title column Job Title."
    ]
    parsed = staff({**HARRIET, "Title": "Mrs", "Job Title": "Head of School"})
    assert parsed.rows[0]["title"] == "Head of School"
    assert parsed.warnings == ["Column Title was ignored: Job Title is used instead."]
    assert staff({**HARRIET, "Title": "Head of School"}).rows[0]["title"] == "Head of School"


@pytest.mark.parametrize("cell", ["not-an-email", "a@b", "a b@c.org", "@school.org", ""])
def test_bad_emails_are_errors(cell):
    errors = staff({**HARRIET, "Email": cell}).errors
    assert len(errors) == 1 and errors[0].startswith("Line 2: Email: ")


def test_the_same_email_twice_in_any_case_is_an_error():
    parsed = staff(HARRIET, {**HARRIET, "Email": "h.quennell@THEMEAD.example.org", "Role": "dsl"})
    assert parsed.errors == ["Line 3: Email: h.quennell@themead.example.org is also on line 2"]


def test_a_staff_file_without_its_required_columns_gives_one_error():
    errors = parse_staff("Email,Forename\nh.quennell@themead.example.org,Harriet\n").errors
    assert errors == [
        "Line 1: the header has no column for Role and Name (or Forename and Surname). The first line must name the "
        "columns (see the roster CSV layout), like: Email, Name, Role"
    ]


def test_a_pupils_file_offered_as_staff_is_refused_by_its_columns():
    errors = parse_staff(to_csv([MARIGOLD])).errors
    assert len(errors) == 1 and "no column for Email, Name (or Forename and Surname) and Role" in errors[0]


# --- the upload from the admin page --------------------------------------------------------------------------------


def read_upload(raw):
    """The admin page's upload as the route reads it: through its request model."""
    return read_body(RosterUpload, raw)


def test_an_upload_is_a_kind_the_csv_text_and_whether_it_is_the_full_roster():
    body = json.dumps({"kind": "pupils", "csv": "UPN\n", "full": True})
    upload = read_upload(body.encode())
    assert (upload.kind, upload.csv, upload.full) == ("pupils", "UPN\n", True)
    assert read_upload(json.dumps({"kind": "staff", "csv": "x"})).full is False


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"kind", "csv"}),
        ({"kind": "parents", "csv": "x"}, {"kind"}),
        ({"kind": "pupils", "csv": ""}, {"csv"}),
        ({"kind": "pupils", "csv": ["x"]}, {"csv"}),
        ({"kind": "pupils", "csv": "x", "full": "yes"}, {"full"}),
        ({"kind": "pupils", "csv": "x", "school": "rivermead"}, {"school"}),
    ],
)
def test_a_bad_upload_is_refused_with_a_message_per_field(body, fields):
    with pytest.raises(InvalidInputError) as refused:
        read_upload(json.dumps(body))
    assert set(refused.value.fields) == fields and status_of(refused.value) == 400


@pytest.mark.parametrize("raw", [None, b"", b"not json", b"[1, 2]"])
def test_an_unreadable_upload_is_refused(raw):
    with pytest.raises(InvalidInputError):
        read_upload(raw)


def test_an_upload_too_large_to_be_a_two_megabyte_file_is_refused_before_it_is_parsed():
    with pytest.raises(InvalidInputError) as refused:
        read_upload(b" " * (roster_import.MAX_REQUEST_BYTES + 1))
    assert status_of(refused.value) == 413


def test_an_upload_of_a_two_megabyte_file_fits_in_a_request():
    csv_text = ('é,"x"\n' * (roster_import.MAX_BYTES // 8))[: roster_import.MAX_BYTES]
    body = json.dumps({"kind": "pupils", "csv": csv_text})  # ASCII-escaped: the worst case
    assert len(body) <= roster_import.MAX_REQUEST_BYTES
    assert read_upload(body).csv == csv_text


# --- the summary ---------------------------------------------------------------------------------------------------


def test_the_summary_reads_as_a_sentence_and_as_json():
    summary = ImportSummary(kind="pupils", rows=2000, added=12, updated=30, unchanged=1956, left=8, rejoined=2)
    assert summary.ok
    assert summary.text() == "Pupils: 2,000 rows — 12 added, 30 updated, 1,956 unchanged, 8 left, 2 back on roll."
    body = summary.as_dict()
    assert body["added"] == 12 and body["left"] == 8 and body["errors"] == [] and "error" not in body
    staff_summary = ImportSummary(kind="staff", rows=5, added=1, left=1)
    assert staff_summary.text().endswith("1 deactivated, 0 reactivated.")
    refused = ImportSummary(kind="staff", errors=["Line 3: Email: x is not an email address"])
    assert not refused.ok and refused.as_dict()["error"].startswith("The file has problems, so nothing was imported")
    assert refused.text() == "Staff: nothing was imported (1 problem)."
