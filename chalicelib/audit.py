"""The audit trail: every read or change of a pupil's record, and every refused attempt. Append-only."""

from __future__ import annotations

import uuid
from datetime import datetime

from chalicelib.clock import utcnow
from chalicelib.models import AuditEntry


def record(subject: str, actor_id: str, action: str, source: dict[str, str], now: datetime | None = None) -> None:
    """Write one entry: `subject` is `incident#<id>` or `pupil#<id>`; `source` holds the caller's ip and agent."""
    now = now or utcnow()
    AuditEntry(
        subject=subject,
        entry=f"{now.isoformat()}#{uuid.uuid4()}",
        actor_id=actor_id,
        action=action,
        ip=source.get("ip", ""),
        user_agent=source.get("user_agent", ""),
    ).save(condition=AuditEntry.entry.does_not_exist())


def entries(subject: str, limit: int = 200) -> list[AuditEntry]:
    """The newest entries for one record, newest first (one Query)."""
    return list(AuditEntry.query(subject, scan_index_forward=False, limit=limit))
