"""Who is in the school: the pupil roster for the typeahead and the staff directory for Alert and Assign to."""

from __future__ import annotations

from chalicelib.models import Pupil, Staff

LEADERSHIP_ROLES = ("leader", "dsl", "head")


def roster() -> list[dict]:
    """Pupils on roll (leavers are hidden), sorted by surname: one Query on the sparse `roll` index."""
    pupils = [
        {
            "id": pupil.pupil_id,
            "name": f"{pupil.preferred_name or pupil.first_name} {pupil.last_name}",
            "year_group": pupil.year_group,
            "class_name": pupil.class_name,
            "sort": (pupil.last_name.lower(), (pupil.preferred_name or pupil.first_name).lower()),
        }
        for pupil in Pupil.on_roll.query("on")
    ]
    pupils.sort(key=lambda pupil: pupil.pop("sort"))
    return pupils


def directory() -> dict[str, Staff]:
    """Active staff by id (name, title, role, email): one Query on the sparse `directory` index."""
    return {member.staff_id: member for member in Staff.in_directory.query("active")}


def alertable(staff: dict[str, Staff]) -> list[Staff]:
    """Those who may be alerted, tagged or assigned (never an admin: they read no records)."""
    from chalicelib.access import may_be_alerted

    return [member for member in staff.values() if may_be_alerted(member.role)]


def public_entry(member: Staff) -> dict:
    """What any member of staff may see of a colleague in the form's lists (no email address)."""
    return {"id": member.staff_id, "name": member.name, "title": member.title or "", "role": member.role}


def account(staff_id: str) -> Staff:
    """One account by id, for an admin's action on it (NoSuchAccountError if there is none)."""
    from chalicelib.errors import LanternError

    if isinstance(staff_id, str) and len(staff_id) <= 64:
        try:
            return Staff.get(staff_id, consistent_read=True)
        except Staff.DoesNotExist:
            pass
    raise LanternError("There is no such account. Reload the page.", status=404)


def accounts(listed: dict[str, Staff]) -> list[Staff]:
    """The whole accounts of those listed (the directory's index holds only names and roles), by name."""
    return sorted(Staff.batch_get(list(listed)), key=lambda member: member.name.lower())


def admin_row(member: Staff) -> dict:
    """An account as the admin page lists it."""
    return {
        "id": member.staff_id,
        "name": member.name,
        "email": member.email,
        "role": member.role,
        "title": member.title or "",
        "active": member.active,
        "second_factor": member.totp_secret is not None,
    }
