"""Applying a checked staff file: upsert by email, synchronously (a school has hundreds of staff, not thousands).

What Lantern already holds is read from the `directory` index (every active account, no password hashes) and, for
each email of the file not among them, the `by-email` index (a deactivated account coming back): never a Scan.
Staff are never deleted: a leaver is deactivated (`active` false, `directory` removed) and their sessions end.
"""

from __future__ import annotations

from chalicelib.roster_import.parsing import Parsed
from chalicelib.roster_import.summary import ImportSummary, log


def apply_staff(
    parsed: Parsed, *, full: bool = False, keep_staff_id: str | None = None, link_from=None
) -> ImportSummary:
    """Upsert the staff of a checked file by email; with `full`, active accounts not in the file are deactivated.

    New accounts are created without a password (`summary.new_staff`), each with its set-password link and email in
    the same transaction when `link_from` (the school's settings) is given.
    `keep_staff_id` is the admin running the import: the import is refused if it would deactivate their account or
    take away their admin role. It is refused too if it would leave the school with no active administrator."""
    from chalicelib.auth import accounts, sessions
    from chalicelib.models import Staff

    summary = ImportSummary(kind="staff", rows=len(parsed.rows), warnings=list(parsed.warnings))
    if parsed.errors:
        summary.errors = list(parsed.errors)
        return summary
    existing = list(Staff.in_directory.query("active"))  # active accounts (no password hashes projected)
    by_email = {member.email.lower(): member for member in existing}
    in_file = {row["email"] for row in parsed.rows}
    for email in sorted(in_file - set(by_email)):  # a deactivated account coming back: found by its email
        member = accounts.find_by_email(email)
        if member is not None:
            by_email[email] = member

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
            accounts.create_staff(
                email=row["email"], name=row["name"], role=row["role"], title=row.get("title", ""), link_from=link_from
            )
        )
        summary.added += 1
    log(summary)
    return summary
