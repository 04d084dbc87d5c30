"""The review page's data: everything recorded, its history and actions, for exactly what the reader may see.

Loading it is a fixed number of calls whatever the size of the school: GetItem (incident), Query (its events),
Query (staff directory), BatchGet (its pupils), PutItem (audit) and, for the DSL team, Query (who viewed it).
"""

from __future__ import annotations

import re
from datetime import date

from chalicelib import access, audit, files, people
from chalicelib.body_map import mark_name
from chalicelib.errors import ForbiddenError
from chalicelib.models import Incident, IncidentEvent, Pupil, Staff
from chalicelib.settings import SchoolSettings

NO_ACCESS = "You do not have access to this record."
_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CONCERN_LEVELS = ("low", "medium", "high")


def subject(incident_id: str) -> str:
    return f"incident#{incident_id}"


def plain(value):
    """A PynamoDB raw map or list as plain Python."""
    if hasattr(value, "as_dict"):
        return value.as_dict()
    return value


def state_of(incident: Incident) -> dict:
    state = plain(incident.state)
    return {
        "categories": list(state["categories"]),
        "subcategories": {k: list(v) for k, v in state["subcategories"].items()},
        "answers": dict(state.get("answers") or {}),
        "status": state["status"],
        "concern_level": state.get("concern_level"),
        "assigned_ids": list(state.get("assigned_ids") or []),
        "agencies": list(state.get("agencies") or []),
        "tagged_ids": list(state.get("tagged_ids") or []),
        "revoked_ids": list(state.get("revoked_ids") or []),
    }


def load_for(
    school: SchoolSettings, user: Staff, incident_id: str, source: dict, *, what: str = "viewed the incident"
) -> tuple[Incident, str]:
    """The incident and the reader's access to it; refusals are audited and raise ForbiddenError."""
    if not isinstance(incident_id, str) or not re.fullmatch(_ID, incident_id):
        raise ForbiddenError(NO_ACCESS)
    try:
        incident = Incident.get(incident_id, consistent_read=True)
    except Incident.DoesNotExist:
        audit.record(subject(incident_id), user.staff_id, f"refused: {what} (no such record)", source)
        raise ForbiddenError(NO_ACCESS) from None
    level = access.incident_access(user.staff_id, user.role, state_of(incident), list(incident.alerted_ids), school)
    if level == access.NONE:
        audit.record(subject(incident_id), user.staff_id, f"refused: {what}", source)
        raise ForbiddenError(NO_ACCESS)
    return incident, level


RECEIPTS = "~change#"  # changes' idempotency receipts sort after every event (whose keys start with a date)


def events(incident_id: str) -> list[IncidentEvent]:
    """An incident's events, oldest first (one Query; the receipts of changes are not events)."""
    return list(IncidentEvent.query(incident_id, IncidentEvent.event < "~", consistent_read=True))


def review(school: SchoolSettings, user: Staff, incident_id: str, source: dict) -> dict:
    """The review page for `user`, audited as a read."""
    incident, level = load_for(school, user, incident_id, source)
    history = events(incident_id)
    staff = people.directory()
    actions = [e for e in history if e.kind == "action"]
    sees_all_actions = level == access.FULL and user.role in access.LEADERSHIP_ROLES
    if not sees_all_actions:  # "You will only see this action if you are tagged in it."
        actions = [e for e in actions if user.staff_id in (plain(e.details).get("tagged_ids") or [])]
    may_act = access.may_act(user.role, state_of(incident), school)
    today = school.today()
    action_rows = [_action_row(e, history, staff, user.staff_id, may_act, today) for e in actions]

    if level == access.TAGGED_ONLY:
        audit.record(subject(incident_id), user.staff_id, "viewed the actions they are tagged in", source)
        pupil = next(iter(Pupil.batch_get([incident.pupil_id])), None)
        return {
            "limited": True,
            "incident": {
                "id": incident.incident_id,
                "reference": incident.reference,
                "categories": state_of(incident)["categories"],
                "occurred_at": incident.occurred_at.isoformat(),
                "pupil": _pupil(pupil, incident.pupil_id),  # whom the action is about: in the app, never email
            },
            "actions": action_rows,
            "may_act": False,
            "viewers": None,
        }

    audit.record(subject(incident_id), user.staff_id, "viewed the incident", source)
    state = state_of(incident)
    pupil_ids = [incident.pupil_id, *incident.linked_pupil_ids]
    pupils = {p.pupil_id: p for p in Pupil.batch_get(pupil_ids)}
    payload = {
        "limited": False,
        "incident": {
            "id": incident.incident_id,
            "reference": incident.reference,
            "recorded_at": incident.recorded_at.isoformat(),
            "occurred_at": incident.occurred_at.isoformat(),
            "day": incident.day,
            "session": incident.session,
            "location": incident.location,
            "account": incident.account,
            "reporter": {"name": _name(staff, incident.reporter_id)},
            "pupil": _pupil(pupils.get(incident.pupil_id), incident.pupil_id),
            "linked_pupils": [_pupil(pupils.get(pid), pid) for pid in incident.linked_pupil_ids],
            "original": {
                "categories": list(incident.categories),
                "subcategories": {k: list(v) for k, v in plain(incident.subcategories).items()},
                "answers": dict(plain(incident.answers) or {}),
            },
            "categories": state["categories"],
            "subcategories": state["subcategories"],
            "answers": state["answers"],
            "status": state["status"],
            "concern_level": state["concern_level"],
            "assigned": [{"id": i, "name": _name(staff, i)} for i in state["assigned_ids"]],
            "alerted": [{"id": i, "name": _name(staff, i)} for i in incident.alerted_ids],
            "agencies": state["agencies"],
            "body_marks": [
                {"view": m.view, "region": m.region, "name": mark_name(m.region), "x": m.x, "y": m.y, "note": m.note}
                for m in incident.body_marks
            ],
            "files": [
                {"index": i, "name": f.name, "content_type": f.content_type, "size": f.size}
                for i, f in enumerate(incident.files)
            ],
        },
        "history": [_created_row(incident, staff)]
        + [_history_row(e, staff) for e in history if e.kind not in ("action", "action done")],
        "actions": action_rows,
        "may_act": may_act,
        "viewers": None,
        "choices": None,
    }
    if access.sees_viewers(user.role):
        payload["viewers"] = [
            {"at": e.entry.split("#", 1)[0], "name": _name(staff, e.actor_id), "what": e.action}
            for e in audit.entries(subject(incident_id))
        ]
    if may_act:
        payload["choices"] = {
            "staff": [people.public_entry(m) for m in people.alertable(staff)],
            "categories": [{"name": c.name, "subcategories": list(c.subcategories)} for c in school.categories],
            "agencies": list(school.agencies),
            "concern_levels": list(CONCERN_LEVELS),
        }
    return payload


def _name(staff: dict[str, Staff], staff_id: str) -> str:
    member = staff.get(staff_id)
    return member.name if member else "A former member of staff"


def _pupil(pupil: Pupil | None, pupil_id: str) -> dict:
    if pupil is None:
        return {"id": pupil_id, "name": "Pupil no longer on record", "year_group": "", "class_name": ""}
    return {
        "id": pupil.pupil_id,
        "name": pupil.full_name,
        "year_group": pupil.year_group,
        "class_name": pupil.class_name,
    }


def _at(event: IncidentEvent) -> str:
    return event.event.split("#", 1)[0]


def action_owners(action: IncidentEvent) -> list[str]:
    """Who must do an action: those tagged in it or, with nobody tagged but a follow-up date, its author.
    An action with neither records what was done, and has nothing to complete."""
    details = plain(action.details)
    tagged = list(details.get("tagged_ids") or [])
    if tagged:
        return tagged
    return [action.actor_id] if details.get("follow_up") else []


def completion_of(action_id: str, history: list[IncidentEvent]) -> IncidentEvent | None:
    return next(
        (e for e in history if e.kind == "action done" and plain(e.details).get("action_id") == action_id), None
    )


def is_overdue(follow_up: str | None, today: date) -> bool:
    """Past its "Follow up by" date (the school's today), and so shown as overdue until done."""
    return bool(follow_up) and date.fromisoformat(follow_up) < today


def _action_row(
    event: IncidentEvent, history: list[IncidentEvent], staff: dict[str, Staff], reader_id: str, may_act: bool, today
) -> dict:
    details = plain(event.details)
    owners = action_owners(event)
    done = completion_of(event.event_id, history)
    return {
        "id": event.event_id,
        "at": _at(event),
        "by": _name(staff, event.actor_id),
        "text": details.get("text", ""),
        "date": details.get("date", ""),
        "tagged": [_name(staff, i) for i in details.get("tagged_ids") or []],
        "tagged_ids": list(details.get("tagged_ids") or []),
        "follow_up": details.get("follow_up"),
        "overdue": done is None and bool(owners) and is_overdue(details.get("follow_up"), today),
        "done": None
        if done is None
        else {"by": _name(staff, done.actor_id), "at": _at(done), "note": plain(done.details).get("note", "")},
        "may_complete": done is None and bool(owners) and (reader_id in owners or may_act),
    }


def _created_row(incident: Incident, staff: dict[str, Staff]) -> dict:
    return {
        "at": incident.recorded_at.isoformat(),
        "by": _name(staff, incident.reporter_id),
        "kind": "added",
        "summary": f"Added as {' and '.join(incident.categories)}, status {incident.status}",
        "reason": "",
    }


def summary(kind: str, details: dict, staff: dict[str, Staff]) -> str:
    """One line for the history and the chronology."""
    if kind == "recategorised":
        parts = [f"{c} ({', '.join(details['subcategories'].get(c, []))})" for c in details["categories"]]
        line = f"Re-categorised as {'; '.join(parts)}"
        if details.get("passed_on_ids"):
            line += f". No longer open to {', '.join(_name(staff, i) for i in details['passed_on_ids'])}"
        if details.get("keep_ids"):
            line += f". Kept on it: {', '.join(_name(staff, i) for i in details['keep_ids'])}"
        return line
    if kind == "concern level":
        return f"Concern level set to {details['level']}"
    if kind == "assigned":
        return f"Assigned to {', '.join(_name(staff, i) for i in details['assigned_ids']) or 'nobody'}"
    if kind == "status":
        decision = f": {details['decision']}" if details.get("decision") else ""
        return f"Status set to {details['status']}{decision}"
    if kind == "agencies":
        return f"Agencies involved: {', '.join(details['agencies']) or 'none'}"
    if kind == "action":
        return f"Action: {details['text']}"
    return kind


def _history_row(event: IncidentEvent, staff: dict[str, Staff]) -> dict:
    return {
        "at": _at(event),
        "by": _name(staff, event.actor_id),
        "kind": event.kind,
        "summary": summary(event.kind, plain(event.details), staff),
        "reason": event.reason,
    }


def file_link(school: SchoolSettings, user: Staff, incident_id: str, index: str, source: dict) -> dict:
    """A short-lived download link for one attached file, for full readers only; audited."""
    incident, level = load_for(school, user, incident_id, source, what="downloaded a file")
    position = int(index) if index.isdigit() else -1
    if level != access.FULL or not 0 <= position < len(incident.files):
        audit.record(subject(incident_id), user.staff_id, "refused: downloaded a file", source)
        raise ForbiddenError(NO_ACCESS)
    attached = incident.files[position]
    audit.record(subject(incident_id), user.staff_id, f"downloaded file {position + 1}", source)
    return {"url": files.download_url(attached.key, attached.name, attached.content_type)}
