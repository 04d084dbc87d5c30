"""Who may read and act on a record: decided here, in one place, for every route. Pure: no I/O.

- Admins read no records.
- Leaders, DSLs and the Head read an incident when their role may read every one of its current categories
  (school settings: Safeguarding is DSL and Head only).
- Anyone alerted to or assigned an incident reads it.
- Someone tagged only in an action sees that action (and the incident's reference), nothing else.
- Admins are never alerted, tagged or assigned: they read no records.
- Acting (actions, re-categorising, assigning, status, concern level, agencies) needs a leadership role that
  may read the incident's categories.

>>> may_read_categories("leader", ["Behaviour"], school)
True
"""

from __future__ import annotations

from chalicelib.settings import SchoolSettings

LEADERSHIP_ROLES = ("leader", "dsl", "head")
FULL, TAGGED_ONLY, NONE = "full", "tagged only", "none"


def may_read_categories(role: str, categories: list[str], school: SchoolSettings) -> bool:
    """May this role read records in every one of these categories?"""
    if not categories:
        return False
    for name in categories:
        category = school.category(name)
        if category is None or role not in category.readable_by:
            return False
    return True


def incident_access(staff_id: str, role: str, state: dict, alerted_ids: list[str], school: SchoolSettings) -> str:
    """FULL, TAGGED_ONLY or NONE for one person and one incident's current state."""
    if role == "admin":
        return NONE
    if role in LEADERSHIP_ROLES and may_read_categories(role, state["categories"], school):
        return FULL
    if staff_id in alerted_ids or staff_id in state.get("assigned_ids", []):
        return FULL
    if staff_id in state.get("tagged_ids", []):
        return TAGGED_ONLY
    return NONE


def may_be_alerted(role: str) -> bool:
    """May someone of this role be alerted to, tagged in or assigned an incident? Everyone who reads records."""
    return role != "admin"


def may_act(role: str, state: dict, school: SchoolSettings) -> bool:
    return role in LEADERSHIP_ROLES and may_read_categories(role, state["categories"], school)


def sees_viewers(role: str) -> bool:
    """'Who has viewed this' is for the DSL team and the Head."""
    return role in ("dsl", "head")
