"""What leaders do to an incident: add actions, re-categorise, set a concern level, assign, change status, add
agencies. Each is a new event (who, when, what, why) written in one transaction with the incident's current
state and the pupils' chronology entries; what the member of staff wrote is never overwritten.

Each takes its form as its request model has read it (chalicelib/web/requests.py: types, lengths, dates that
exist); what depends on the settings, the clock or the incident is checked here, and problems are keyed by the
names of what was sent ("reason", "categories"), which the web layer puts on the page's fields.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import access, audit, notify, outbox, people
from chalicelib.clock import utcnow
from chalicelib.errors import ConflictError, ForbiddenError, InvalidInputError
from chalicelib.incidents import review
from chalicelib.incidents.form import Problems, local_moment, question_ids
from chalicelib.log import logger
from chalicelib.models import Alert, ChronologyEntry, Incident, IncidentEvent, PlannerReminder, Staff
from chalicelib.settings import SchoolSettings

if TYPE_CHECKING:
    from chalicelib.web.requests import (
        ActionDone,
        AgenciesChange,
        Assignment,
        ConcernLevel,
        NewAction,
        Recategorisation,
        StatusChange,
    )

ACTION_MAX = 5_000
REASON_MAX = 1_000
DONE_NOTE_MAX = 1_000
MAX_TAGGED = 20
MAX_KEPT = 40
PROBLEM = "There is a problem. Nothing has been changed."
FOLLOW_UP_TIME = "08:00"  # a follow-up reminder arrives at the start of the school day
UNCHANGED_FIELD = {
    "recategorised": "categories",
    "concern level": "level",
    "assigned": "assigned_ids",
    "status": "status",
    "agencies": "agencies",
}


class ChangedMeanwhileError(ConflictError):
    def __init__(self) -> None:
        super().__init__("Someone else changed this incident a moment ago. Reload the page and try again.")


def add_action(school: SchoolSettings, user: Staff, incident_id: str, form: NewAction, source: dict) -> dict:
    check = Problems()
    today = utcnow().astimezone(school.zone).date()
    if date.fromisoformat(form.date) > today:
        check.fail("date", "The date of the action cannot be in the future.")
    follow_up = form.follow_up or None
    if follow_up and date.fromisoformat(follow_up) <= today:
        check.fail("follow_up", "Choose a follow up date after today.")
    details = {"text": form.text, "date": form.date, "tagged_ids": list(form.tagged_ids), "follow_up": follow_up}
    return _change(school, user, incident_id, "action", details, "", check, source, key=_key(form))


def recategorise(school: SchoolSettings, user: Staff, incident_id: str, form: Recategorisation, source: dict) -> dict:
    check = Problems()
    names = [c.name for c in school.categories]
    message = "Choose at least one category and one sub-category for each."
    categories = check.choices(form.categories, "categories", names, message)
    subcategories = {}
    for name in categories:
        chosen = check.choices(
            form.subcategories.get(name, []), "subcategories", school.category(name).subcategories, message
        )
        if not chosen:
            check.fail("subcategories", f"Choose at least one {name} sub-category.")
        subcategories[name] = chosen
    if not categories:
        check.fail("categories", message)
    details = {"categories": categories, "subcategories": subcategories, "keep_ids": list(form.keep_ids)}
    return _change(school, user, incident_id, "recategorised", details, form.reason, check, source, key=_key(form))


def set_concern_level(school: SchoolSettings, user: Staff, incident_id: str, form: ConcernLevel, source: dict) -> dict:
    details = {"level": form.level}
    return _change(school, user, incident_id, "concern level", details, form.reason, Problems(), source, key=_key(form))


def assign(school: SchoolSettings, user: Staff, incident_id: str, form: Assignment, source: dict) -> dict:
    details = {"assigned_ids": list(form.assigned_ids)}
    return _change(school, user, incident_id, "assigned", details, form.reason, Problems(), source, key=_key(form))


def set_status(school: SchoolSettings, user: Staff, incident_id: str, form: StatusChange, source: dict) -> dict:
    """Closing an incident records the decision and why; reopening it, why."""
    check = Problems()
    if form.status == "Closed":
        if not form.decision:
            check.fail("decision", "Enter the decision.")
        if not form.reason:
            check.fail("reason", "Enter the reason.")
    details = {"status": form.status, "decision": form.decision}
    return _change(school, user, incident_id, "status", details, form.reason, check, source, key=_key(form))


def set_agencies(school: SchoolSettings, user: Staff, incident_id: str, form: AgenciesChange, source: dict) -> dict:
    check = Problems()
    agencies = check.choices(form.agencies, "agencies", school.agencies, "Choose agencies from the list.")
    details = {"agencies": agencies}
    return _change(school, user, incident_id, "agencies", details, "", check, source, key=_key(form))


def _change(
    school: SchoolSettings,
    user: Staff,
    incident_id: str,
    kind: str,
    details: dict,
    reason: str,
    check: Problems,
    source: dict,
    now: datetime | None = None,
    *,
    key: str | None = None,
) -> dict:
    """Check the caller may act, apply one change in one transaction, alert who needs to know, return the page.
    With the form's idempotency `key`, a retry of a change that was saved (its answer lost) changes nothing more."""
    now = now or utcnow()
    incident, _ = review.load_for(school, user, incident_id, source, what=f"change ({kind})")
    state = review.state_of(incident)
    if not access.may_act(user.role, state, school):
        review.audit.record(review.subject(incident_id), user.staff_id, f"refused: change ({kind})", source)
        raise ForbiddenError("Only the leadership team can change this incident.")
    check.raise_any(PROBLEM)
    receipt = _receipt(incident_id, user, key, kind, now) if key else None
    if receipt is not None and _already_done(receipt):
        return _page_after(school, user, incident, state, source)

    staff = people.directory()
    before = review.state_of(incident)
    newly_alerted: dict[str, str] = {}
    owners: list[str] = []
    if kind == "action":
        unknown = [i for i in details["tagged_ids"] if i not in staff or not access.may_be_alerted(staff[i].role)]
        if unknown:
            raise InvalidInputError(PROBLEM, {"tagged_ids": "Choose the staff to tag from the list."})
        state["tagged_ids"] = list(dict.fromkeys(state["tagged_ids"] + details["tagged_ids"]))
        newly_alerted = {i: "tagged in an action" for i in details["tagged_ids"] if i != user.staff_id}
        # An action is something to do when someone is tagged in it or it has a follow-up date; it is then
        # open work for those tagged (or, if nobody is, its author) until one of them marks it done.
        if details["tagged_ids"] or details["follow_up"]:
            owners = details["tagged_ids"] or [user.staff_id]
    elif kind == "recategorised":
        passed_on = access.passed_on(before, details["categories"], list(incident.alerted_ids), staff, school)
        passed_on = [i for i in passed_on if i not in details["keep_ids"]]
        details["passed_on_ids"] = passed_on  # recorded in the history: whose access ended, whom the DSL kept
        state["revoked_ids"] = list(dict.fromkeys(state["revoked_ids"] + passed_on))
        state["categories"], state["subcategories"] = details["categories"], details["subcategories"]
        questions = question_ids(school, details["categories"])
        state["answers"] = {k: v for k, v in state["answers"].items() if k in questions}
        # Whoever is assigned must be able to read it as it now is; if nobody can, the new categories' defaults.
        kept = [i for i in state["assigned_ids"] if i in staff and access.may_act(staff[i].role, state, school)]
        if not kept:
            titles = {t for name in state["categories"] for t in school.category(name).assign_by_default}
            kept = [i for i, m in staff.items() if m.title in titles and access.may_act(m.role, state, school)]
            newly_alerted = {i: "assigned" for i in kept if i != user.staff_id}
        state["assigned_ids"] = kept
    elif kind == "concern level":
        state["concern_level"] = details["level"]
    elif kind == "assigned":
        for staff_id in details["assigned_ids"]:
            member = staff.get(staff_id)
            if member is None or not access.may_act(member.role, state, school):
                raise InvalidInputError(
                    PROBLEM, {"assigned_ids": "Choose people from the leadership team who can read this incident."}
                )
        newly_alerted = {i: "assigned" for i in details["assigned_ids"] if i not in state["assigned_ids"]}
        newly_alerted.pop(user.staff_id, None)
        state["assigned_ids"] = details["assigned_ids"]
    elif kind == "status":
        state["status"] = details["status"]
    elif kind == "agencies":
        state["agencies"] = details["agencies"]

    if kind != "action" and state == before:
        raise InvalidInputError(
            PROBLEM, {UNCHANGED_FIELD[kind]: "This is already how it is. Nothing has been changed."}
        )

    event_id = str(uuid.uuid4())
    event = IncidentEvent(
        incident_id=incident_id,
        event=f"{now.isoformat()}#{event_id}",
        event_id=event_id,
        kind=kind,
        actor_id=user.staff_id,
        reason=reason,
        details=details,
    )
    line = review.summary(kind, details, staff)
    timeline_item = {"at": now.isoformat(), "kind": kind, "text": line, "by": user.name}
    email = {
        "link": notify.incident_link(school, incident_id),
        "actor": user.name,
        "categories": " and ".join(state["categories"]),
        "reference": incident.reference,
    }
    incident_updates = [Incident.state.set(state)]
    if kind == "status":
        incident_updates.append(Incident.open.set("open") if state["status"] == "Active" else Incident.open.remove())

    def write(transaction: TransactWrite) -> None:
        transaction.save(event, condition=IncidentEvent.event.does_not_exist())
        transaction.update(incident, actions=incident_updates)  # version-checked
        _update_chronology(transaction, incident, state, timeline_item)
        for staff_id in details.get("passed_on_ids", []):  # their alert now says only "passed to the DSL team"
            transaction.update(
                Alert(staff_id=staff_id, alert=f"{incident.recorded_at.isoformat()}#{incident_id}"),
                actions=[Alert.passed_on.set(True), Alert.categories.set([])],
                condition=Alert.alert.exists(),
            )
        for staff_id in dict.fromkeys([*newly_alerted, *owners]):
            why = newly_alerted.get(staff_id, "your action")
            alert = Alert(
                staff_id=staff_id,
                alert=f"{now.isoformat()}#{incident_id}#{event_id}",
                incident_id=incident_id,
                reason=why,
                raised_by=user.staff_id,
                raised_by_name=user.name,
                categories=state["categories"],
                reference=incident.reference,
                occurred_at=incident.occurred_at,
                action_id=event_id if kind == "action" else None,
                action_text=details["text"] if kind == "action" else None,
                follow_up=details.get("follow_up") if kind == "action" else None,
                pupil_id=incident.pupil_id if kind == "action" else None,
                read=staff_id == user.staff_id,  # your own action is open work, not news
            )
            transaction.save(alert.open_up() if staff_id in owners or not alert.read else alert)
            if staff_id in newly_alerted:
                context = {**email, "reason": "assigned" if why == "assigned" else "tagged"}
                transaction.save(outbox.item("incident_update", staff_id, f"change#{event_id}", context, now))
        if kind == "action" and details["follow_up"]:
            due = local_moment(school, details["follow_up"], FOLLOW_UP_TIME)  # in UTC, as the keys need
            for staff_id in dict.fromkeys([user.staff_id, *owners]):
                note = "Follow up the action you added" if staff_id == user.staff_id else "Follow up your action"
                transaction.save(
                    PlannerReminder.due_for(
                        due,
                        staff_id,
                        incident_id,
                        note,
                        key=f"{incident_id}#{event_id}#{staff_id}",
                        action_id=event_id,
                        kind="follow-up",
                        created_at=now,
                    )
                )
        audit.add_to(transaction, review.subject(incident_id), user.staff_id, f"changed: {kind}", source, now)
        if receipt is not None:
            transaction.save(receipt, condition=IncidentEvent.event.does_not_exist())

    try:
        _commit(write, incident)
    except ChangedMeanwhileError:
        if receipt is None or not _already_done(receipt):
            raise
    logger.info("incident changed", extra={"incident_id": incident_id, "kind": kind})
    return _page_after(school, user, incident, state, source)


def _key(form) -> str | None:
    """The form's idempotency key (one per form shown), if it sent one (8 to 100 characters: its request model)."""
    return form.idempotency_key or None


def _receipt(incident_id: str, user: Staff, key: str, kind: str, now: datetime) -> IncidentEvent:
    """The record that this form's change was made (sorted after every event: `~`), written with the change."""
    digest = hashlib.sha256(f"{user.staff_id}#{key}".encode()).hexdigest()
    return IncidentEvent(
        incident_id=incident_id,
        event=f"{review.RECEIPTS}{digest}",
        event_id=digest,
        kind="receipt",
        actor_id=user.staff_id,
        details={"change": kind, "at": now.isoformat()},
    )


def _already_done(receipt: IncidentEvent) -> bool:
    try:
        IncidentEvent.get(receipt.incident_id, receipt.event, consistent_read=True)
        return True
    except IncidentEvent.DoesNotExist:
        return False


def _commit(write, incident: Incident, attempts: int = 3) -> None:
    """Run one change's transaction. If it fails only because another audit entry was written to this incident's
    chain meanwhile (a colleague viewed it), try again with the chain's new head; if the incident itself changed,
    say so."""
    for attempt in range(attempts):
        try:
            with TransactWrite(connection=Connection()) as transaction:
                write(transaction)
            return
        except TransactWriteError:
            current = Incident.get(incident.incident_id, consistent_read=True)
            if current.version != incident.version or attempt == attempts - 1:
                raise ChangedMeanwhileError() from None


def _update_chronology(transaction: TransactWrite, incident: Incident, state: dict, timeline_item: dict) -> None:
    """Keep each pupil's chronology entry in step with the incident: its categories, status and timeline."""
    entry_key = f"{incident.occurred_at.isoformat()}#{incident.incident_id}"
    for pupil_id in [incident.pupil_id, *incident.linked_pupil_ids]:
        transaction.update(
            ChronologyEntry(pupil_id=pupil_id, entry=entry_key),
            actions=[
                ChronologyEntry.categories.set(state["categories"]),
                ChronologyEntry.status.set(state["status"]),
                ChronologyEntry.timeline.set(ChronologyEntry.timeline.append([timeline_item])),
            ],
            condition=ChronologyEntry.entry.exists(),
        )


def complete_action(
    school: SchoolSettings, user: Staff, incident_id: str, action_id: str, form: ActionDone, source: dict
) -> dict:
    """Mark an action done with a short note: by anyone it was given to, or by the leadership team acting on
    the incident. One transaction: the "action done" event, the chronology, and every owner's open work closed."""
    check = Problems()
    note = form.note
    now = utcnow()
    incident, _ = review.load_for(school, user, incident_id, source, what="mark an action done")
    history = review.events(incident_id)
    action = next((e for e in history if e.kind == "action" and e.event_id == action_id), None)
    owners = review.action_owners(action) if action else []
    state = review.state_of(incident)
    if action is None or not (user.staff_id in owners or access.may_act(user.role, state, school)):
        review.audit.record(review.subject(incident_id), user.staff_id, "refused: mark an action done", source)
        raise ForbiddenError(review.NO_ACCESS)
    if not owners:
        check.fail("note", "This action records what was done: there is nothing to mark as done.")
    check.raise_any(PROBLEM)
    if review.completion_of(action_id, history) is not None:
        return _page_after(school, user, incident, state, source)  # already done (a retry, or a colleague)

    event = IncidentEvent(
        incident_id=incident_id,
        event=f"{now.isoformat()}#done#{action_id}",
        event_id=f"done#{action_id}",
        kind="action done",
        actor_id=user.staff_id,
        details={"action_id": action_id, "note": note},
    )
    text = review.plain(action.details).get("text", "")
    timeline_item = {"at": now.isoformat(), "kind": "action done", "text": f"Done: {text}", "by": user.name}
    if note:
        timeline_item["text"] += f" ({note})"
    alert_key = f"{action.event.split('#', 1)[0]}#{incident_id}#{action_id}"

    def write(transaction: TransactWrite) -> None:
        transaction.save(event, condition=IncidentEvent.event.does_not_exist())
        _update_chronology(transaction, incident, state, timeline_item)
        for staff_id in owners:
            transaction.update(
                Alert(staff_id=staff_id, alert=alert_key),
                actions=[Alert.done_at.set(now), Alert.open_work.remove(), Alert.open_key.remove()],
                condition=Alert.alert.exists() & Alert.done_at.does_not_exist(),  # done once
            )
        audit.add_to(transaction, review.subject(incident_id), user.staff_id, "changed: action done", source, now)

    try:
        _commit(write, incident)
    except ChangedMeanwhileError:
        if review.completion_of(action_id, review.events(incident_id)) is None:
            raise
    logger.info("action done", extra={"incident_id": incident_id})
    return _page_after(school, user, incident, state, source)


def _page_after(school: SchoolSettings, user: Staff, incident: Incident, state: dict, source: dict) -> dict:
    """The review page after a change, or a short answer when the change took the incident beyond the reader."""
    try:
        return review.review(school, user, incident.incident_id, source)
    except ForbiddenError:  # a leader escalated it beyond what they may read
        return {
            "limited": True,
            "moved": True,
            "message": "Saved. This incident is now with the people who deal with its new category: "
            "you no longer have access to it.",
            "incident": {
                "id": incident.incident_id,
                "reference": incident.reference,
                "categories": state["categories"],
            },
            "actions": [],
            "may_act": False,
            "viewers": None,
        }
