"""My alerts: every unread alert and every open action however old, reminders now due, and the read ones paged.

Unread and open work is never hidden: it comes from the sparse `open-work` index, which holds only what is still
to do, so the calls do not grow with someone's history (a Head with 30,000 alerts and 40 unread reads 40 items
there, and one page of the rest).
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib import paging, planner
from chalicelib.clock import utcnow
from chalicelib.incidents.review import is_overdue
from chalicelib.models import Alert, Pupil
from chalicelib.settings import SchoolSettings

READ_PAGE = 20
DUE_REMINDERS = timedelta(days=7)  # reminders that came due this week show on the dashboard


def open_work(staff_id: str) -> list[Alert]:
    """Everything still to do for one person, newest first (GSI `open-work`, all pages)."""
    return list(Alert.open_items.query("open", Alert.open_key.startswith(f"{staff_id}#"), scan_index_forward=False))


def my_alerts(school: SchoolSettings, staff_id: str, *, cursor: str | None = None) -> dict:
    """Unread alerts and open actions (all), reminders due, then a page of read alerts from `cursor`."""
    start = paging.decode(cursor, "staff_id", staff_id, "alert")
    work = open_work(staff_id)
    unread = [a for a in work if not a.is_action]
    actions = [a for a in work if a.is_action]
    pupils = {p.pupil_id: p for p in Pupil.batch_get({a.pupil_id for a in actions if a.pupil_id})}
    today = school.today()

    page = Alert.query(
        staff_id,
        filter_condition=Alert.open_work.does_not_exist(),  # read, or done: no longer open work
        scan_index_forward=False,
        limit=READ_PAGE,
        last_evaluated_key=start,
    )
    read = list(page)
    more = page.last_evaluated_key
    now = utcnow()
    return {
        "alerts": [_alert_row(a) for a in unread],
        "actions": [
            {
                "incident_id": a.incident_id,
                "reference": a.reference,
                "action_id": a.action_id,
                "text": a.action_text or "",
                "by": a.raised_by_name,
                "at": a.alert.split("#", 1)[0],
                "follow_up": a.follow_up,
                "overdue": is_overdue(a.follow_up, today),
                "pupil": _pupil(pupils.get(a.pupil_id)),
                "read": a.read,
            }
            for a in actions
        ],
        "reminders": [planner.row(school, r) for r in planner.due_between(staff_id, now - DUE_REMINDERS, now)],
        "read": [
            {**_alert_row(a), "action_id": a.action_id, "text": a.action_text if a.is_action else None} for a in read
        ],
        "cursor": paging.encode(more["alert"]["S"]) if more else None,
    }


def _alert_row(alert: Alert) -> dict:
    return {
        "incident_id": alert.incident_id,
        "reference": alert.reference,
        "categories": list(alert.categories),
        "occurred_at": alert.occurred_at.isoformat() if alert.occurred_at else None,
        "alerted_at": alert.alert.split("#", 1)[0],
        "raised_by": alert.raised_by_name,
        "reason": alert.reason,
        "read": alert.read,
        "passed_on": alert.passed_on,  # the page then says only that it was passed to the DSL team
    }


def _pupil(pupil: Pupil | None) -> dict | None:
    if pupil is None:
        return None
    return {"name": pupil.full_name, "year_group": pupil.year_group, "class_name": pupil.class_name}


def mark_read(staff_id: str, incident_id: str) -> int:
    """Mark every unread alert of mine for one incident as read; return how many changed. An action stays in
    my open work until it is done."""
    changed = 0
    for alert in open_work(staff_id):
        if alert.incident_id != incident_id or alert.read:
            continue
        actions = [Alert.read.set(True)]
        if not alert.is_action or alert.done_at is not None:
            actions += [Alert.open_work.remove(), Alert.open_key.remove()]
        alert.update(actions=actions)
        changed += 1
    return changed
