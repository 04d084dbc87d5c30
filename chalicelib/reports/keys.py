"""What an incident carries for reports, set when it is added: light, so adding an incident loads no report code.

>>> report_month(datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
'2026-11'
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.models import Pupil


def groups_of(pupils: list[Pupil]) -> dict:
    """Each pupil's year group, class and flags now: stored on an incident when it is added, for reports."""
    return {
        pupil.pupil_id: {
            "year_group": pupil.year_group or "",
            "class_name": pupil.class_name or "",
            "flags": flag_keys(pupil),
        }
        for pupil in pupils
    }


def flag_keys(pupil: Pupil) -> list[str]:
    found = ["sen"] if pupil.sen and pupil.sen != "None" else []
    return found + [key for key in ("pupil_premium", "eal", "looked_after", "cp_plan") if getattr(pupil, key)]


def report_month(occurred_at: datetime) -> str:
    """The index partition of an incident: the UTC month it happened in, "2026-11"."""
    moment = occurred_at.astimezone(UTC)
    return f"{moment.year:04d}-{moment.month:02d}"
