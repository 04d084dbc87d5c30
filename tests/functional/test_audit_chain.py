"""The audit trail is chained by hash per record: a changed, removed or newest-removed entry is detected, and a
change cannot commit without its entry."""

from __future__ import annotations

import pytest

from chalicelib import audit
from chalicelib.models import AuditEntry, Incident
from tests.functional.incident_data import safeguarding
from tests.helpers import Api, session_cookie_for


@pytest.fixture
def trail(client, people):
    teacher = Api(client, session_cookie_for(people["teacher"]))
    dsl = Api(client, session_cookie_for(people["dsl"]))
    reference = teacher.post("/incidents", safeguarding(people)).data["reference"]
    incident_id = next(i.incident_id for i in Incident.scan() if i.reference == reference)
    for _ in range(3):
        assert dsl.get(f"/incidents/{incident_id}").status_code == 200
    dsl.post(f"/incidents/{incident_id}/concern-level", {"level": "high", "reason": "Disclosure"})
    return incident_id


def entries_of(incident_id):
    return sorted(
        (e for e in AuditEntry.query(f"incident#{incident_id}") if e.entry != audit.HEAD), key=lambda e: e.seq
    )


def test_an_intact_trail_verifies(trail):
    chain = entries_of(trail)
    assert [e.action for e in chain][:2] == ["added the incident", "viewed the incident"]
    assert "changed: concern level" in [e.action for e in chain]
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert audit.verify(AuditEntry.scan()) == []


def test_a_changed_entry_is_detected(trail):
    entry = entries_of(trail)[1]
    entry.update(actions=[AuditEntry.action.set("nothing to see")])
    assert audit.verify(AuditEntry.scan()) == [f"incident#{trail}: entry 2 has been changed"]


def test_a_removed_entry_is_detected(trail):
    entries_of(trail)[2].delete()
    assert audit.verify(AuditEntry.scan()) == [f"incident#{trail}: entry 3 is missing (found 4)"]


def test_removing_the_newest_entry_is_detected(trail):
    chain = entries_of(trail)
    chain[-1].delete()
    (problem,) = audit.verify(AuditEntry.scan())
    assert "the newest entries are missing" in problem


def test_a_change_whose_audit_entry_cannot_be_written_does_not_commit(client, people, trail, monkeypatch):
    def broken(transaction, *args, **kwargs):
        raise ConnectionError("the audit table is unreachable")

    monkeypatch.setattr(audit, "add_to", broken)
    dsl = Api(client, session_cookie_for(people["dsl"]))
    with pytest.raises(ConnectionError):
        audit.add_to(None)
    response = dsl.post(f"/incidents/{trail}/concern-level", {"level": "low", "reason": "Reviewed"})
    assert response.status_code == 500
    assert Incident.get(trail).state["concern_level"] == "high"  # unchanged: no change without its entry
