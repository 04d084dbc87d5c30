"""My alerts: incidents someone was alerted to or assigned, and actions they are tagged in. Unread first."""

from __future__ import annotations

from chalicelib.models import Alert

PAGE = 100


def my_alerts(staff_id: str) -> dict:
    """One Query of the newest alerts, unread first, each group newest first."""
    alerts = list(Alert.query(staff_id, scan_index_forward=False, limit=PAGE, consistent_read=True))

    incidents = [a for a in alerts if a.reason != "tagged in an action"]
    incidents.sort(key=lambda a: a.read)  # stable: unread first, each group still newest first
    return {
        "alerts": [
            {
                "incident_id": a.incident_id,
                "reference": a.reference,
                "categories": list(a.categories),
                "occurred_at": a.occurred_at.isoformat() if a.occurred_at else None,
                "alerted_at": a.alert.split("#", 1)[0],
                "raised_by": a.raised_by_name,
                "reason": a.reason,
                "read": a.read,
            }
            for a in incidents
        ],
        "actions": [
            {
                "incident_id": a.incident_id,
                "reference": a.reference,
                "action_id": a.action_id,
                "text": a.action_text or "",
                "by": a.raised_by_name,
                "at": a.alert.split("#", 1)[0],
                "read": a.read,
            }
            for a in alerts
            if a.reason == "tagged in an action"
        ],
    }


def mark_read(staff_id: str, incident_id: str) -> int:
    """Mark every alert of mine for one incident as read; return how many changed."""
    changed = 0
    for alert in Alert.query(staff_id, filter_condition=Alert.incident_id == incident_id, consistent_read=True):
        if not alert.read:
            alert.update(actions=[Alert.read.set(True)])
            changed += 1
    return changed
