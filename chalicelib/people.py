"""Who is in the school: the pupil roster for the typeahead and the staff directory for Alert and Assign to.

The typeahead's roster answer (`roster_answer`) names each pupil by position, not by id: a pupil's reference is
`<answer>.<n>`, the n-th pupil of that answer, and the server keeps what each answer offered (`RosterAnswer`), so a
reference always names exactly the pupil who was offered, whatever changes in the roster meanwhile
(docs/decisions/roster-payload.md).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from chalicelib.models import Pupil, Staff

LEADERSHIP_ROLES = ("leader", "dsl", "head")
ANSWER_KEY = "roster-answer#"  # the API's role may touch only the jobs table's `roster-*` keys
PUPIL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PUPIL_REF = re.compile(r"([0-9a-f]{32})\.(0|[1-9][0-9]{0,4})")  # <answer>.<n>, n without leading zeros


class RosterAnswer(Model):
    """The pupils one roster answer offered, in its order: what a reference `<answer>.<n>` names.

    Table `<prefix>jobs`, PK `job` = `roster-answer#<answer>`, where `<answer>` is the first 32 hex digits of the
    SHA-256 of `ids`, so every request for an unchanged roster gets the same answer and the item is written once.
    `ids`: the pupils' ids in the answer's order, space-separated (37 bytes a pupil: 10,000 pupils fit an item).
    Never changed or deleted, so a form left open for days, or a draft restored, still names the pupil chosen."""

    class Meta:
        table_name = "jobs"  # bound to the school's table on use (`_answers`)

    job = UnicodeAttribute(hash_key=True)
    ids = UnicodeAttribute()
    made_at = UnicodeAttribute()


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


def roster_answer() -> dict:
    """The roster as the typeahead gets it: only what it shows, each year group and class once, no pupil ids.

        {"roster": "<answer>", "groups": [["Reception", "Hazel"], ...], "pupils": [["Ama Boateng", 0], ...]}

    `pupils` are [name, index in `groups`], on roll only and sorted by surname as `roster()`; the n-th pupil's
    reference is "<answer>.<n>", and the answer's ids are kept before it is sent (`pupil_ids` reads them back)."""
    pupils = roster()
    ids = " ".join(pupil["id"] for pupil in pupils)
    answer = hashlib.sha256(ids.encode()).hexdigest()[:32]
    _keep(answer, ids)
    groups: dict[tuple[str, str], int] = {}
    rows = [[p["name"], groups.setdefault((p["year_group"], p["class_name"]), len(groups))] for p in pupils]
    return {"roster": answer, "groups": [list(group) for group in groups], "pupils": rows}


def _answers() -> type[RosterAnswer]:
    from chalicelib.models import bind_model

    return bind_model(RosterAnswer, "jobs")


def _keep(answer: str, ids: str) -> None:
    """Record what `answer` offers, once: an unchanged roster's answer is already there (one GetItem)."""
    from chalicelib.clock import utcnow

    model = _answers()
    key = f"{ANSWER_KEY}{answer}"
    try:
        kept = model.get(key)
    except model.DoesNotExist:
        try:
            model(job=key, ids=ids, made_at=utcnow().isoformat()).save(condition=model.job.does_not_exist())
            return
        except PutError as error:  # another request for the same roster wrote it first
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        kept = model.get(key, consistent_read=True)
    if kept.ids != ids:  # two rosters with one SHA-256 prefix: never, but a reference must never name another child
        raise RuntimeError("Two roster answers share an id")


def pupil_ids(refs: Iterable[str]) -> dict[str, str | None]:
    """The pupil id each reference names: {reference: pupil_id, or None if it names nobody}.

    A reference is a pupil id (as every form sent before the compact roster, and as API clients may) or
    `<answer>.<n>`: the n-th pupil of a roster answer Lantern gave, read back from what was kept when it was given
    (strongly consistent), so it is exactly the pupil that was offered. An answer never given, or a position past
    its end, names nobody. Whether the pupil is still on roll is for the caller to check (the incident's
    transaction does)."""
    named: dict[str, str | None] = {}
    offered: dict[str, list[str]] = {}
    for ref in refs:
        match = PUPIL_REF.fullmatch(ref) if isinstance(ref, str) else None
        if match is None:
            named[ref] = ref if isinstance(ref, str) and PUPIL_ID.fullmatch(ref) else None
            continue
        answer, position = match[1], int(match[2])
        if answer not in offered:
            model = _answers()
            try:
                offered[answer] = model.get(f"{ANSWER_KEY}{answer}", consistent_read=True).ids.split()
            except model.DoesNotExist:
                offered[answer] = []
        ids = offered[answer]
        named[ref] = ids[position] if position < len(ids) else None
    return named


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
    from chalicelib.errors import NotFoundError

    if isinstance(staff_id, str) and len(staff_id) <= 64:
        try:
            return Staff.get(staff_id, consistent_read=True)
        except Staff.DoesNotExist:
            pass
    raise NotFoundError("There is no such account. Reload the page.")


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
        "email_problem": member.email_problem or "",  # "bounced" or "marked as spam": Lantern stops emailing them
    }
