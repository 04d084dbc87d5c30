"""Reading a whole file and checking every row: every problem is collected as "Line N: <column>: <problem>" (N is
the file's line number; the header is line 1). No I/O."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from chalicelib.clock import utcnow
from chalicelib.roster_import.columns import (
    CLASS_LENGTH,
    HONORIFICS,
    MAX_BYTES,
    MAX_ERRORS,
    MAX_ROWS,
    NAME_LENGTH,
    PUPIL_COLUMNS,
    STAFF_COLUMNS,
    Column,
    _key,
)
from chalicelib.roster_import.values import (
    _boolean,
    _date_of_birth,
    _email,
    _role,
    _sen,
    _text,
    _upn,
    _year_group,
)


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
