"""Who may read and act on a record: decided here, in one place, for every route. Pure: no I/O.

- Admins read no records.
- Leaders, DSLs and the Head read an incident when their role may read every one of its current categories
  (school settings: Safeguarding is DSL and Head only).
- Anyone alerted to or assigned an incident reads it, as it was categorised then: when it is re-categorised into a
  category their role may not read and that it did not have (Behaviour becoming Safeguarding), their access
  ends unless the DSL keeps them on it (`passed_on`, recorded in the history).
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
    alerted = staff_id in alerted_ids and staff_id not in state.get("revoked_ids", [])
    if alerted or staff_id in state.get("assigned_ids", []):
        return FULL
    if staff_id in state.get("tagged_ids", []):
        return TAGGED_ONLY
    return NONE


def passed_on(before: dict, categories: list[str], alerted_ids: list[str], staff: dict, school: SchoolSettings) -> list:
    """Whose alerted access ends when an incident in `before` is re-categorised to `categories`: it has gained a
    category that fewer roles may read (Behaviour becoming Safeguarding: leaders can no longer read it), and
    their role may not read it. A move between equally open categories (Behaviour to Bullying) ends nobody's."""
    readers_before = frozenset.intersection(
        *(school.category(name).readable_by for name in before["categories"] if school.category(name))
    )
    escalated = [
        name
        for name in categories
        if name not in before["categories"] and not readers_before <= school.category(name).readable_by
    ]
    ending = []
    for staff_id in alerted_ids:
        member = staff.get(staff_id)
        if member is None or staff_id in before.get("revoked_ids", []):
            continue  # left the school, or already passed on
        if any(member.role not in school.category(name).readable_by for name in escalated):
            ending.append(staff_id)
    return ending


def may_be_alerted(role: str) -> bool:
    """May someone of this role be alerted to, tagged in or assigned an incident? Everyone who reads records."""
    return role != "admin"


def may_act(role: str, state: dict, school: SchoolSettings) -> bool:
    return role in LEADERSHIP_ROLES and may_read_categories(role, state["categories"], school)


def sees_viewers(role: str) -> bool:
    """'Who has viewed this' is for the DSL team and the Head."""
    return role in ("dsl", "head")
