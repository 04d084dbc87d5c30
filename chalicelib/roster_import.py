"""Importing a school's roster — pupils and staff — from CSV files exported from its MIS.

The layout (columns, their MIS aliases, accepted values) is documented in docs/roster-csv.md. Two steps, so that a
broken file changes nothing:

1. `parse_pupils` / `parse_staff` read the whole text and check every row. Every problem is collected as
   "Line N: <column>: <problem>" (N is the file's line number; the header is line 1). No I/O.
2. `apply_pupils` / `apply_staff` upsert the checked rows — pupils by UPN, staff by email — and are refused (they
   write nothing) when the parsed file holds any error. `import_pupils` / `import_staff` do both.

Reading what Lantern already holds is one paginated, strongly consistent Scan of the pupils (or staff) table. This is
an admin batch job, not a request path: the sparse `roll` index would miss leavers, who must be found by UPN so that a
pupil who comes back is put on roll again with their chronology, and a Query per UPN would be thousands of calls.
Writes use `Pupil.batch_write()`; a pupil's `pupil_id` never changes, so chronologies stay attached. Pupils are never
deleted: a leaver loses `roll` (the sparse typeahead index), nothing else. Staff are never deleted: a leaver is
deactivated (`active` false, `directory` removed) and their sessions end.

If DynamoDB fails part-way through the writes, running the same import again finishes it: rows are matched by UPN or
email, so nothing is added twice.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from chalicelib.clock import utcnow
from chalicelib.errors import InvalidInputError
from chalicelib.settings import ROLE_LABELS, ROLES
from chalicelib.validation import EMAIL_PATTERN, read_json_object

MAX_BYTES = 2 * 1024 * 1024  # of CSV text, UTF-8
MAX_ROWS = 5000
# The JSON body of an upload holds the CSV as a string: escaping (\n, \", \uXXXX) can make it larger than the file.
MAX_REQUEST_BYTES = 5 * 1024 * 1024
MAX_ERRORS = 500  # a file that is wrong on every line gets the first 500 and a count of the rest
NAME_LENGTH = 100
CLASS_LENGTH = 50
EMAIL_LENGTH = 254
KINDS = ("pupils", "staff")
IMPORT_ACTOR = "roster-import"  # the audit actor when no signed-in admin ran the import (the command line)

YEAR_GROUPS = ("Nursery", "Reception", *(f"Year {n}" for n in range(1, 14)))
SEN_VALUES = {
    "": "None",
    "n": "None",
    "none": "None",
    "k": "SEN support",
    "sensupport": "SEN support",
    "e": "EHC plan",
    "ehcp": "EHC plan",
    "ehcplan": "EHC plan",
}
TRUE_WORDS = frozenset({"y", "yes", "true", "t", "1"})
FALSE_WORDS = frozenset({"", "n", "no", "false", "f", "0"})
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "revd", "lady", "lord"})

# UPN check letter (DfE): characters 2-13 weighted 2..13, sum mod 23 indexes this alphabet (no I, O or S). A temporary
# UPN ends in a letter instead of its 13th digit; that letter counts as its index in the same alphabet.
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_PATTERN = r"[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]"


# ---------------------------------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------------------------------


class Column(NamedTuple):
    """A field Lantern reads. `aliases` are normalised header names (`_key`), the most specific first: when a file
    has several (SIMS's "Forename" and "Legal Forename"), the first in this order is used and the others ignored."""

    field: str
    label: str
    aliases: tuple[str, ...]
    required: bool = False


PUPIL_COLUMNS = (
    Column("upn", "UPN", ("upn", "uniquepupilnumber"), required=True),
    Column(
        "first_name",
        "Legal Forename",
        ("legalforename", "legalfirstname", "forename", "firstname", "givenname"),
        required=True,
    ),
    Column(
        "preferred_name",
        "Preferred Forename",
        ("preferredforename", "preferredfirstname", "preferredname", "knownas", "chosenname"),
    ),
    Column("last_name", "Legal Surname", ("legalsurname", "legallastname", "surname", "lastname"), required=True),
    Column("date_of_birth", "Date of Birth", ("dateofbirth", "dob", "birthdate"), required=True),
    Column("year_group", "Year Group", ("yeargroup", "ncyear", "year", "curriculumyear"), required=True),
    Column(
        "class_name",
        "Reg Group",
        ("reggroup", "registrationgroup", "class", "classname", "form", "formgroup", "tutorgroup"),
        required=True,
    ),
    Column("sen", "SEN Status", ("senstatus", "sen", "senprovision")),
    Column("pupil_premium", "Pupil Premium", ("pupilpremium", "pp", "pupilpremiumindicator")),
    Column("eal", "EAL", ("eal", "englishasanadditionallanguage")),
    Column("looked_after", "Looked After", ("lookedafter", "cla", "lac", "incare", "childlookedafter")),
    Column("cp_plan", "CP Plan", ("cpplan", "childprotectionplan", "cp")),
    Column("former_upn", "Former UPN", ("formerupn", "formerupns", "previousupn")),
)

STAFF_COLUMNS = (
    Column("email", "Email", ("email", "emailaddress", "workemail", "schoolemail"), required=True),
    Column("name", "Name", ("name", "fullname", "staffname")),
    Column("forename", "Forename", ("preferredforename", "preferredname", "knownas", "forename", "firstname")),
    Column("surname", "Surname", ("surname", "lastname", "legalsurname")),
    Column("role", "Role", ("role", "lanternrole"), required=True),
    Column("title", "Job Title", ("jobtitle", "title", "position", "post")),
)


def _key(header: str) -> str:
    """A header name reduced to lower-case letters and digits: "Date of Birth", "date_of_birth", "DOB" → dateofbirth."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


# ---------------------------------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class Parsed:
    """A whole file, checked: the rows (only meaningful if there are no errors), every error and warning, and
    which optional fields the file has (an absent optional column leaves that field as it is in Lantern)."""

    kind: str
    rows: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fields: frozenset[str] = frozenset()
    error_count: int = 0

    def error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def finish(self) -> Parsed:
        if self.error_count > len(self.errors):
            self.errors.append(f"…and {self.error_count - len(self.errors)} more problems.")
        return self


@dataclass
class ImportSummary:
    """What an import did. `left` counts pupils who became leavers (pupils) or accounts deactivated (staff);
    `rejoined` pupils back on roll or accounts reactivated. With any error, nothing was written."""

    kind: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    left: int = 0
    rejoined: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    new_staff: list = field(default_factory=list)  # Staff accounts created: each needs a set-password email

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self) -> str:
        if self.errors:
            count = len(self.errors)
            return f"{self.kind.capitalize()}: nothing was imported ({count} problem{'' if count == 1 else 's'})."
        left, rejoined = ("left", "back on roll") if self.kind == "pupils" else ("deactivated", "reactivated")
        return (
            f"{self.kind.capitalize()}: {self.rows:,} rows — {self.added:,} added, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.left:,} {left}, {self.rejoined:,} {rejoined}."
        )

    def as_dict(self) -> dict:
        """For the admin page. With errors it carries `error` too, as every refused request does."""
        body = {
            "kind": self.kind,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "left": self.left,
            "rejoined": self.rejoined,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "new_staff": [member.email for member in self.new_staff],
            "summary": self.text(),
        }
        if self.errors:
            body["error"] = "The file has problems, so nothing was imported. Correct them and import it again."
        return body


class Upload(NamedTuple):
    kind: str
    csv: str
    full: bool


# ---------------------------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------------------------


def upn_check_letter(twelve: str) -> str:
    """The check letter for the 12 characters after it (11 digits and a digit, or a letter for a temporary UPN)."""
    values = [int(ch) if ch.isdigit() else _UPN_LETTERS.index(ch) for ch in twelve]
    return _UPN_LETTERS[sum(value * weight for weight, value in enumerate(values, start=2)) % 23]


def is_valid_upn(upn: str) -> bool:
    """A check letter, 11 digits and a digit (or, for a temporary UPN, a letter), with the right check letter."""
    return bool(re.fullmatch(_UPN_PATTERN, upn)) and upn_check_letter(upn[1:]) == upn[0]


def _upn(value: str) -> tuple[str, str | None]:
    upn = re.sub(r"\s", "", value).upper()
    if not upn:
        return "", "is blank"
    if not re.fullmatch(_UPN_PATTERN, upn):
        return upn, f"{upn} is not a UPN: a letter then 12 digits (or 11 digits and a letter for a temporary UPN)"
    expected = upn_check_letter(upn[1:])
    if expected != upn[0]:
        return upn, f"{upn} has the wrong check letter (for these digits it is {expected}): check it in the MIS"
    return upn, None


def _text(value: str, limit: int, *, required: bool = True) -> tuple[str, str | None]:
    value = " ".join(value.split()) if "\n" not in value and "\r" not in value else value.strip()
    if not value:
        return "", "is blank" if required else None
    if "\n" in value or "\r" in value:
        return value, "must be on one line"
    if "\ufffd" in value:
        return value, "holds a character that could not be read: save the file as “CSV UTF-8” and import it again"
    if any(ord(ch) < 32 for ch in value):
        return value, "holds a control character"
    if len(value) > limit:
        return value, f"is longer than {limit} characters"
    return value, None


def _date_of_birth(value: str, today: date) -> tuple[str, str | None]:
    text = re.sub(r"\s+0?0:00(:00)?$", "", value.strip())  # Excel sometimes adds a midnight time
    if not text:
        return "", "is blank"
    if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
        parts = int(match[3]), int(match[2]), int(match[1])
    elif match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        parts = int(match[1]), int(match[2]), int(match[3])
    else:
        return text, f"{text} is not a date: use DD/MM/YYYY or YYYY-MM-DD"
    try:
        day = date(*parts)
    except ValueError:
        return text, f"{text} is not a real date"
    if day > today:
        return text, f"{text} is in the future"
    age = today.year - day.year - ((today.month, today.day) < (day.month, day.day))
    if age < 1 or age > 25:
        return text, f"{text} would make the pupil {age} years old: check it (pupils are 1 to 25)"
    return day.isoformat(), None


def _year_group(value: str) -> tuple[str, str | None]:
    key = _key(value)
    if key in ("r", "rec", "reception", "yr", "yearr"):
        return "Reception", None
    if key in ("n", "n1", "n2", "nur", "nursery", "yn", "yearn"):
        return "Nursery", None
    match = re.fullmatch(r"(?:year|yr|y|nc|ncyear)?(\d{1,2})", key)
    if match and 1 <= int(match[1]) <= 13:
        return f"Year {int(match[1])}", None
    if not key:
        return "", "is blank"
    return value, f"{value.strip()} is not a year group: use N, R or 1 to 13 (also Year 3, Y3, Reception, Nursery)"


def _sen(value: str) -> tuple[str, str | None]:
    found = SEN_VALUES.get(_key(value))
    if found is None:
        return value, f"{value.strip()} is not a SEN status: use N (None), K (SEN support) or E (EHC plan)"
    return found, None


def _boolean(value: str) -> tuple[bool, str | None]:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True, None
    if word in FALSE_WORDS:
        return False, None
    return False, f"{value.strip()} is not yes or no: use Y or N (also Yes/No, True/False, T/F, 1/0; blank is No)"


def _email(value: str) -> tuple[str, str | None]:
    email = value.strip().lower()
    if not email:
        return "", "is blank"
    if len(email) > EMAIL_LENGTH or not re.fullmatch(EMAIL_PATTERN, email):
        return email, f"{email} is not an email address"
    return email, None


_ROLE_WORDS = {
    **{role: role for role in ROLES},
    **{_key(label): role for role, label in ROLE_LABELS.items()},
    "ddsl": "dsl",
}


def _role(value: str) -> tuple[str, str | None]:
    role = _ROLE_WORDS.get(_key(value))
    if role is None:
        if not value.strip():
            return "", f"is blank: enter {', '.join(ROLES[:-1])} or {ROLES[-1]}"
        return value, f"{value.strip()} is not a role: use {', '.join(ROLES[:-1])} or {ROLES[-1]}"
    return role, None


# ---------------------------------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, list[str]]:
    """Bytes of a file as text: UTF-8 (with or without Excel's byte-order mark), else Windows-1252 (Excel's plain
    "CSV (Comma delimited)"), with a warning saying so."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        return text, ["The file is not UTF-8; it was read as Windows-1252. Check names with accents came through."]


def _rows(text: str, parsed: Parsed):
    """Yield (line number, cells) for each record; a record's line is where it starts. Blank lines are skipped."""
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as problem:
            parsed.error(f"Line {line}: the file could not be read as CSV here ({problem}); nothing after it was read")
            return
        if any(cell.strip() for cell in cells):
            yield line, cells


def _read(text: str, kind: str, columns: tuple[Column, ...]):
    """Check the size and the header; return (parsed, data rows as (line, cells), {field: (index, header)} or None
    when the file cannot be read row by row: too large, empty, or a required column missing)."""
    parsed = Parsed(kind=kind)
    if not isinstance(text, str) or not text.strip():
        parsed.error("The file is empty. Export the roster from the MIS as CSV with a header row.")
        return parsed, [], None
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        parsed.error(
            f"The file is {size / 1024 / 1024:.1f} MB; Lantern takes at most {MAX_BYTES // 1024 // 1024} MB "
            f"({MAX_ROWS:,} rows) in one file."
        )
        return parsed, [], None
    text = text.removeprefix("\ufeff")
    records = _rows(text, parsed)
    header_record = next(records, None)
    if header_record is None:
        parsed.error("The file is empty. Export the roster from the MIS as CSV with a header row.")
        return parsed, [], None
    header_line, header = header_record
    mapping = _match_header(header_line, header, columns, parsed)
    if mapping is None:
        return parsed, [], None
    data = []
    for record in records:
        if len(data) == MAX_ROWS:
            parsed.error(f"The file has more than {MAX_ROWS:,} rows; Lantern takes at most {MAX_ROWS:,} in one file.")
            return parsed, [], None
        data.append(record)
    width = len(header)
    for line, cells in data:
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            parsed.error(
                f"Line {line}: the row has {len(cells)} cells but the header has {width}: check for a stray comma"
            )
    return parsed, data, mapping


def _match_header(line: int, header: list[str], columns: tuple[Column, ...], parsed: Parsed) -> dict | None:
    """{field: (index, header as written)} for the columns found, or None if a required one is missing."""
    keys = [_key(name) for name in header]
    used: set[int] = set()
    mapping: dict[str, tuple[int, str]] = {}
    for column in columns:
        found = sorted(
            (column.aliases.index(key), index) for index, key in enumerate(keys) if key in column.aliases and key
        )
        if not found:
            continue
        _, index = found[0]
        if keys.count(keys[index]) > 1:
            parsed.error(f"Line {line}: the column {header[index].strip()} appears twice; keep one")
        mapping[column.field] = (index, header[index].strip())
        used.update(index for _, index in found)
        for _, other in found[1:]:
            if keys[other] != keys[index]:
                parsed.warnings.append(
                    f"Column {header[other].strip()} was ignored: {header[index].strip()} is used instead."
                )
    missing = [column.label for column in columns if column.required and column.field not in mapping]
    if columns is STAFF_COLUMNS and "name" not in mapping and not ("forename" in mapping and "surname" in mapping):
        missing.insert(1, "Name (or Forename and Surname)")
    if missing:
        example = ", ".join(c.label for c in columns if c.required or c.field == "name")
        parsed.error(
            f"Line {line}: the header has no column for {_and(missing)}. The first line must name the columns "
            f"(see the roster CSV layout), like: {example}"
        )
    ignored = [
        name.strip() or f"(column {index + 1}, no name)" for index, name in enumerate(header) if index not in used
    ]
    if ignored:
        parsed.warnings.append(f"Columns Lantern does not use were ignored: {', '.join(ignored)}.")
    return None if missing else mapping


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _cell(cells: list[str], mapping: dict, name: str) -> str:
    index, _ = mapping[name]
    return cells[index] if index < len(cells) else ""


# ---------------------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------------------


def parse_pupils(text: str, *, today: date | None = None) -> Parsed:
    """Check a pupils file. Each row: {"line", "fields": {model attribute: value}, "former_upn"}."""
    today = today or utcnow().date()
    parsed, data, mapping = _read(text, "pupils", PUPIL_COLUMNS)
    if mapping is None:
        return parsed.finish()
    parsed.fields = frozenset(name for name in mapping if name != "former_upn")
    checks = {
        "upn": _upn,
        "first_name": lambda v: _text(v, NAME_LENGTH),
        "preferred_name": lambda v: _text(v, NAME_LENGTH, required=False),
        "last_name": lambda v: _text(v, NAME_LENGTH),
        "date_of_birth": lambda v: _date_of_birth(v, today),
        "year_group": _year_group,
        "class_name": lambda v: _text(v, CLASS_LENGTH),
        "sen": _sen,
        "pupil_premium": _boolean,
        "eal": _boolean,
        "looked_after": _boolean,
        "cp_plan": _boolean,
    }
    upn_lines: dict[str, int] = {}
    former_lines: dict[str, int] = {}
    for line, cells in data:
        values: dict = {}
        for name, check in checks.items():
            if name not in mapping:
                continue
            value, problem = check(_cell(cells, mapping, name))
            if problem:
                parsed.error(f"Line {line}: {mapping[name][1]}: {problem}")
            values[name] = value
        if "preferred_name" in mapping and not values["preferred_name"]:
            values["preferred_name"] = values["first_name"]
        former = ""
        if "former_upn" in mapping:
            raw_former = _cell(cells, mapping, "former_upn").strip()
            if raw_former:
                former, problem = _upn(raw_former)
                if problem:
                    parsed.error(f"Line {line}: {mapping['former_upn'][1]}: {problem}")
        upn = values["upn"]
        if upn:
            if upn in upn_lines:
                parsed.error(f"Line {line}: {mapping['upn'][1]}: {upn} is also on line {upn_lines[upn]}")
            else:
                upn_lines[upn] = line
        if former and former != upn:
            if former in former_lines:
                parsed.error(
                    f"Line {line}: {mapping['former_upn'][1]}: {former} is also the former UPN on line "
                    f"{former_lines[former]}"
                )
            else:
                former_lines[former] = line
        else:
            former = ""
        parsed.rows.append({"line": line, "fields": values, "former_upn": former})
    return parsed.finish()


def parse_staff(text: str) -> Parsed:
    """Check a staff file. Each row: {"line", "email", "name", "role", "title" (if the file has job titles)}."""
    parsed, data, mapping = _read(text, "staff", STAFF_COLUMNS)
    if mapping is None:
        return parsed.finish()
    if "name" in mapping:
        for other in ("forename", "surname"):
            if other in mapping:
                parsed.warnings.append(f"Column {mapping[other][1]} was ignored: {mapping['name'][1]} is used instead.")
    if "title" in mapping and _key(mapping["title"][1]) == "title":
        titles = {_key(_cell(cells, mapping, "title")) for _, cells in data} - {""}
        if titles and titles <= HONORIFICS:
            parsed.warnings.append(
                f"Column {mapping['title'][1]} holds Mr, Mrs, Ms…, not job titles, so it was ignored: "
                "name the job-title column Job Title."
            )
            del mapping["title"]
    parsed.fields = frozenset({"email", "name", "role"} | ({"title"} if "title" in mapping else set()))
    email_lines: dict[str, int] = {}
    for line, cells in data:
        row: dict = {"line": line}
        email, problem = _email(_cell(cells, mapping, "email"))
        if problem:
            parsed.error(f"Line {line}: {mapping['email'][1]}: {problem}")
        elif email in email_lines:
            parsed.error(f"Line {line}: {mapping['email'][1]}: {email} is also on line {email_lines[email]}")
        else:
            email_lines[email] = line
        row["email"] = email
        if "name" in mapping:
            name, problem = _text(_cell(cells, mapping, "name"), NAME_LENGTH)
            if problem:
                parsed.error(f"Line {line}: {mapping['name'][1]}: {problem}")
        else:
            parts = []
            for part in ("forename", "surname"):
                value, problem = _text(_cell(cells, mapping, part), NAME_LENGTH)
                if problem:
                    parsed.error(f"Line {line}: {mapping[part][1]}: {problem}")
                parts.append(value)
            name = " ".join(parts)
        row["name"] = name
        role, problem = _role(_cell(cells, mapping, "role"))
        if problem:
            parsed.error(f"Line {line}: {mapping['role'][1]}: {problem}")
        row["role"] = role
        if "title" in mapping:
            title, problem = _text(_cell(cells, mapping, "title"), NAME_LENGTH, required=False)
            if problem:
                parsed.error(f"Line {line}: {mapping['title'][1]}: {problem}")
            row["title"] = title
        parsed.rows.append(row)
    return parsed.finish()


def read_upload(raw: bytes | str | None) -> Upload:
    """The admin page's upload: a JSON object {"kind": "pupils"|"staff", "csv": "...", "full": bool}."""
    if raw is None or raw in (b"", ""):
        raise InvalidInputError("Choose a CSV file to import.", {"csv": "Choose a CSV file to import."})
    if len(raw) > MAX_REQUEST_BYTES:
        raise InvalidInputError(
            f"The file is too large: Lantern takes at most {MAX_BYTES // 1024 // 1024} MB in one file.", status=413
        )
    data = read_json_object(raw, max_bytes=MAX_REQUEST_BYTES)
    problems = {name: "This is not a field Lantern expects." for name in data if name not in ("kind", "csv", "full")}
    kind, text, full = data.get("kind"), data.get("csv"), data.get("full", False)
    if kind not in KINDS:
        problems["kind"] = "Choose whether the file lists pupils or staff."
    if not isinstance(text, str) or not text.strip():
        problems["csv"] = "Choose a CSV file to import."
    if not isinstance(full, bool):
        problems["full"] = "Say whether this is the full roster."
    if problems:
        raise InvalidInputError("There is a problem with the import.", problems)
    return Upload(kind=kind, csv=text, full=full)


# ---------------------------------------------------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------------------------------------------------


def apply_pupils(
    parsed: Parsed,
    *,
    full: bool = False,
    actor_id: str = IMPORT_ACTOR,
    source: dict | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Upsert the pupils of a checked file by UPN; with `full`, on-roll pupils not in the file become leavers.

    New pupils get a new `pupil_id`; matched pupils keep theirs (found by UPN, or by the file's Former UPN when the
    MIS replaced a temporary UPN). Each pupil added, changed, put back on roll or made a leaver gets an audit entry
    naming the fields that changed (never their values)."""
    from chalicelib.models import AuditEntry, Pupil

    summary = ImportSummary(kind="pupils", rows=len(parsed.rows), warnings=list(parsed.warnings))
    if parsed.errors:
        summary.errors = list(parsed.errors)
        return summary
    now = now or utcnow()
    existing = all_pupils()
    by_upn: dict[str, Pupil] = {}
    shared: set[str] = set()
    for pupil in existing:
        current = by_upn.get(pupil.upn)
        if current is not None:
            shared.add(pupil.upn)
        if current is None or (current.roll != "on" and pupil.roll == "on"):
            by_upn[pupil.upn] = pupil
    file_upns = {row["fields"]["upn"] for row in parsed.rows}
    for upn in sorted(shared & file_upns):
        summary.warnings.append(f"More than one pupil in Lantern has the UPN {upn}; the one on roll was updated.")

    writes: list[tuple[Pupil, str]] = []
    matched: set[str] = set()
    for row in parsed.rows:
        values = row["fields"]
        pupil = by_upn.get(values["upn"])
        if pupil is None and row["former_upn"] and row["former_upn"] not in file_upns:
            pupil = by_upn.get(row["former_upn"])
        if pupil is None or pupil.pupil_id in matched:
            values = {"preferred_name": values["first_name"], **values}
            writes.append((Pupil(pupil_id=str(uuid.uuid4()), roll="on", **values), "added"))
            summary.added += 1
            continue
        matched.add(pupil.pupil_id)
        changed = sorted(name for name, value in values.items() if getattr(pupil, name) != value)
        for name in changed:
            setattr(pupil, name, values[name])
        if pupil.roll != "on":
            pupil.roll = "on"
            writes.append((pupil, "back on roll" + (f"; updated {', '.join(changed)}" if changed else "")))
            summary.rejoined += 1
        elif changed:
            writes.append((pupil, f"updated {', '.join(changed)}"))
            summary.updated += 1
        else:
            summary.unchanged += 1
    if full:
        for pupil in existing:
            if pupil.roll == "on" and pupil.pupil_id not in matched:
                pupil.roll = None
                writes.append((pupil, "left the roll (not in a full import)"))
                summary.left += 1

    # The audit entries first: an entry for a change an interrupted import did not make is harmless; a change with no
    # entry would not be.
    source = source or {}
    with AuditEntry.batch_write() as batch:
        for pupil, what in writes:
            batch.save(
                AuditEntry(
                    subject=f"pupil#{pupil.pupil_id}",
                    entry=f"{now.isoformat()}#{uuid.uuid4()}",
                    actor_id=actor_id,
                    action=f"roster import: {what}",
                    ip=source.get("ip", ""),
                    user_agent=source.get("user_agent", ""),
                )
            )
    with Pupil.batch_write() as batch:
        for pupil, _ in writes:
            batch.save(pupil)
    _log(summary)
    return summary


def all_pupils() -> list:
    """Every pupil, on roll or not: one paginated, strongly consistent Scan (it needs dynamodb:Scan on the table).

    `roll` is taken from the stored item itself: reading an item without `roll` (a leaver) through the model would
    fill in the attribute's default, "on"."""
    import boto3

    from chalicelib.models import Pupil

    client = boto3.client("dynamodb", region_name=Pupil.Meta.region)  # None: the environment's, as PynamoDB
    pupils = []
    for page in client.get_paginator("scan").paginate(TableName=Pupil.Meta.table_name, ConsistentRead=True):
        for item in page["Items"]:
            pupil = Pupil.from_raw_data(item)
            pupil.roll = item.get("roll", {}).get("S")
            pupils.append(pupil)
    return pupils


def apply_staff(parsed: Parsed, *, full: bool = False, keep_staff_id: str | None = None) -> ImportSummary:
    """Upsert the staff of a checked file by email; with `full`, active accounts not in the file are deactivated.

    New accounts are created without a password (`summary.new_staff`: the caller emails each a set-password link).
    `keep_staff_id` is the admin running the import: the import is refused if it would deactivate their account or
    take away their admin role. It is refused too if it would leave the school with no active administrator."""
    from chalicelib.auth import accounts, sessions
    from chalicelib.models import Staff

    summary = ImportSummary(kind="staff", rows=len(parsed.rows), warnings=list(parsed.warnings))
    if parsed.errors:
        summary.errors = list(parsed.errors)
        return summary
    fields = ["staff_id", "email", "name", "role", "title", "active", "directory"]  # never password hashes
    existing = list(Staff.scan(consistent_read=True, attributes_to_get=fields))
    by_email = {member.email.lower(): member for member in existing}
    in_file = {row["email"] for row in parsed.rows}

    updates: list[tuple[Staff, list]] = []
    creates: list[dict] = []
    roles_after: dict[str, str] = {}  # staff_id → role, for accounts active after the import
    for row in parsed.rows:
        member = by_email.get(row["email"])
        if member is None:
            creates.append(row)
            continue
        actions = []
        for name in ("name", "role", "title"):
            if name in row and getattr(member, name) != row[name]:
                actions.append(getattr(Staff, name).set(row[name]))
        if not member.active:
            actions += [Staff.active.set(True), Staff.directory.set("active")]
            summary.rejoined += 1
        elif member.directory != "active":
            actions.append(Staff.directory.set("active"))
            summary.updated += 1
        elif actions:
            summary.updated += 1
        else:
            summary.unchanged += 1
        if actions:
            updates.append((member, actions))
        roles_after[member.staff_id] = row["role"]
    leavers = [m for m in existing if full and m.active and m.email.lower() not in in_file]
    leaver_ids = {member.staff_id for member in leavers}
    for member in existing:
        if member.active and member.staff_id not in roles_after and member.staff_id not in leaver_ids:
            roles_after[member.staff_id] = member.role

    if keep_staff_id is not None:
        if keep_staff_id in leaver_ids:
            summary.errors.append(
                "Your own account is not in the file, so a full import would deactivate it. Add yourself to the "
                "file, or import without “full roster”."
            )
        elif roles_after.get(keep_staff_id, "admin") != "admin":
            summary.errors.append("The file gives your own account a role other than admin. Keep yourself admin.")
    admins_before = sum(1 for member in existing if member.active and member.role == "admin")
    admins_after = sum(1 for role in roles_after.values() if role == "admin") + sum(
        1 for row in creates if row["role"] == "admin"
    )
    if admins_before and not admins_after:
        summary.errors.append(
            "The import would leave the school with no active administrator: give someone the role admin."
        )
    if summary.errors:
        summary.added = summary.updated = summary.unchanged = summary.left = summary.rejoined = 0
        return summary

    for member, actions in updates:
        member.update(actions=actions, condition=Staff.staff_id.exists())
    for member in leavers:
        member.update(actions=[Staff.active.set(False), Staff.directory.remove()], condition=Staff.staff_id.exists())
        sessions.end_all(member.staff_id)
        summary.left += 1
    for row in creates:
        summary.new_staff.append(
            accounts.create_staff(email=row["email"], name=row["name"], role=row["role"], title=row.get("title", ""))
        )
        summary.added += 1
    _log(summary)
    return summary


def import_pupils(text: str, *, full: bool = False, today: date | None = None, **kwargs) -> ImportSummary:
    return apply_pupils(parse_pupils(text, today=today), full=full, **kwargs)


def import_staff(text: str, *, full: bool = False, keep_staff_id: str | None = None) -> ImportSummary:
    return apply_staff(parse_staff(text), full=full, keep_staff_id=keep_staff_id)


def import_roster(
    kind: str, text: str, *, full: bool = False, actor_id: str | None = None, source: dict | None = None
) -> ImportSummary:
    """One file from the admin page (`read_upload`): `actor_id` is the signed-in admin."""
    if kind == "pupils":
        return import_pupils(text, full=full, actor_id=actor_id or IMPORT_ACTOR, source=source)
    if kind == "staff":
        return import_staff(text, full=full, keep_staff_id=actor_id)
    raise InvalidInputError("Choose whether the file lists pupils or staff.", {"kind": "Choose pupils or staff."})


def _log(summary: ImportSummary) -> None:
    from chalicelib.log import logger

    logger.info(
        "roster imported",
        extra={
            "kind": summary.kind,
            "rows": summary.rows,
            "added": summary.added,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "left": summary.left,
            "rejoined": summary.rejoined,
        },
    )
