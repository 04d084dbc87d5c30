"""Importing a school's roster — pupils and staff — from CSV files exported from its MIS.

Loaded only when an import runs (the admin route imports it inside the route, not at the app's import), so it
costs the API's cold start nothing. The layout (columns, their MIS aliases, accepted values) is in
docs/roster-csv.md. Its parts:

- `columns`: limits and the columns Lantern reads; `values`: one cell checked; `parsing`: a whole file checked,
  every problem as "Line N: <column>: <problem>" (no I/O), so that a broken file changes nothing;
- `pupils`: a checked pupils file planned against the roster `index` (no Scan) and applied as a job in steps, each
  a few transactions that write pupils, their audit entries and the index together (the admin page shows progress);
- `staff`: a checked staff file applied at once (upsert by email, deactivating leavers with `full`).

If anything fails part-way, running the same import again finishes it: rows are matched by UPN or email, so nothing
is added twice.
"""

from __future__ import annotations

from datetime import date

from chalicelib.errors import InvalidInputError
from chalicelib.roster_import.columns import (
    IMPORT_ACTOR,
    KINDS,
    MAX_BYTES,
    MAX_REQUEST_BYTES,
    MAX_ROWS,
    PUPIL_COLUMNS,
    STAFF_COLUMNS,
    YEAR_GROUPS,
)
from chalicelib.roster_import.parsing import Parsed, decode, parse_pupils, parse_staff
from chalicelib.roster_import.pupils import all_pupils, apply_pupils
from chalicelib.roster_import.staff import apply_staff
from chalicelib.roster_import.summary import ImportSummary
from chalicelib.roster_import.values import is_valid_upn, upn_check_letter

__all__ = [
    "IMPORT_ACTOR",
    "KINDS",
    "MAX_BYTES",
    "MAX_REQUEST_BYTES",
    "MAX_ROWS",
    "PUPIL_COLUMNS",
    "STAFF_COLUMNS",
    "YEAR_GROUPS",
    "ImportSummary",
    "Parsed",
    "all_pupils",
    "apply_pupils",
    "apply_staff",
    "decode",
    "import_pupils",
    "import_roster",
    "import_staff",
    "is_valid_upn",
    "parse_pupils",
    "parse_staff",
    "upn_check_letter",
]


def import_pupils(text: str, *, full: bool = False, today: date | None = None, **kwargs) -> ImportSummary:
    return apply_pupils(parse_pupils(text, today=today), full=full, **kwargs)


def import_staff(text: str, *, full: bool = False, keep_staff_id: str | None = None, link_from=None) -> ImportSummary:
    return apply_staff(parse_staff(text), full=full, keep_staff_id=keep_staff_id, link_from=link_from)


def import_roster(
    kind: str,
    text: str,
    *,
    full: bool = False,
    actor_id: str | None = None,
    source: dict | None = None,
    link_from=None,
) -> ImportSummary:
    """One file, start to finish (`actor_id` is the signed-in admin; `link_from` the school, whose new staff get
    their set-password links with their accounts). The admin page runs pupils as a job instead."""
    if kind == "pupils":
        return import_pupils(text, full=full, actor_id=actor_id or IMPORT_ACTOR, source=source)
    if kind == "staff":
        return import_staff(text, full=full, keep_staff_id=actor_id, link_from=link_from)
    raise InvalidInputError("Choose whether the file lists pupils or staff.", {"kind": "Choose pupils or staff."})
