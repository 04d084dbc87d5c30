"""The audit trail: every read or change of a pupil's record, and every refused attempt. Append-only, and chained
by hash so that a changed or removed entry is detected (`make verify-audit`).

Each record (`incident#<id>`, `pupil#<id>`, ...) has its own chain: entry n holds `seq` = n, the hash of entry
n-1 (`prev_hash`) and its own `hash` over both and its content. The record's head item (SK `~head`, after every
dated entry) holds the last `seq` and `hash`; writing an entry moves the head on with a conditional update in the
same transaction, so two writers cannot both take seq n, and removing the newest entry leaves the head pointing at
it. A change writes its entry in the change's own transaction (`add_to`): a change without its audit entry
cannot commit.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import NamedTuple

from chalicelib.clock import utcnow
from chalicelib.models import AuditEntry

HEAD = "~head"  # sorts after every entry (whose keys start with a date)
ATTEMPTS = 5  # concurrent writers to one record's chain each retry with the new head


class Tip(NamedTuple):
    seq: int
    hash: str
    head: bool  # is there a head item yet? (entries written before it, as a roster import does, have none)


def digest(prev_hash: str, subject: str, entry: str, actor_id: str, action: str, ip: str, user_agent: str) -> str:
    content = json.dumps([prev_hash, subject, entry, actor_id, action, ip, user_agent], ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def tip(subject: str) -> Tip:
    """Where a record's chain ends now: its head, or (with no head yet) its newest entry."""
    try:
        head = AuditEntry.get(subject, HEAD, consistent_read=True)
        return Tip(int(head.seq or 0), head.hash or "", True)
    except AuditEntry.DoesNotExist:
        pass
    for newest in AuditEntry.query(
        subject, AuditEntry.entry < HEAD, scan_index_forward=False, limit=1, consistent_read=True
    ):
        return Tip(int(newest.seq or 0), newest.hash or "", False)
    return Tip(0, "", False)


def entry_after(
    previous: Tip, subject: str, actor_id: str, action: str, source: dict[str, str], now: datetime
) -> AuditEntry:
    """The next entry of a record's chain (not yet saved)."""
    key = f"{now.isoformat()}#{uuid.uuid4()}"
    ip, user_agent = source.get("ip", ""), source.get("user_agent", "")
    return AuditEntry(
        subject=subject,
        entry=key,
        actor_id=actor_id,
        action=action,
        ip=ip,
        user_agent=user_agent,
        seq=previous.seq + 1,
        prev_hash=previous.hash,
        hash=digest(previous.hash, subject, key, actor_id, action, ip, user_agent),
    )


def add_to(transaction, subject: str, actor_id: str, action: str, source: dict[str, str], now: datetime) -> None:
    """Add the entry and the head's move to a change's transaction (which then fails if another entry was written
    to this record's chain meanwhile: the caller retries)."""
    previous = tip(subject)
    entry = entry_after(previous, subject, actor_id, action, source, now)
    transaction.save(entry, condition=AuditEntry.entry.does_not_exist())
    head = AuditEntry(subject=subject, entry=HEAD, actor_id="-", action="chain head", seq=entry.seq, hash=entry.hash)
    transaction.save(
        head, condition=(AuditEntry.seq == previous.seq) if previous.head else AuditEntry.entry.does_not_exist()
    )


def record(subject: str, actor_id: str, action: str, source: dict[str, str], now: datetime | None = None) -> None:
    """Write one entry on its own (a read or a refusal): `source` holds the caller's ip and agent."""
    from pynamodb.connection import Connection
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    now = now or utcnow()
    for attempt in range(ATTEMPTS):
        try:
            with TransactWrite(connection=Connection()) as transaction:
                add_to(transaction, subject, actor_id, action, source, now)
            return
        except TransactWriteError:
            if attempt == ATTEMPTS - 1:
                raise


def entries(subject: str, limit: int = 200) -> list[AuditEntry]:
    """The newest entries for one record, newest first (one Query; the chain's head is not an entry)."""
    return list(AuditEntry.query(subject, AuditEntry.entry < HEAD, scan_index_forward=False, limit=limit))


def verify(items) -> list[str]:
    """Problems with the chains in `items` (every audit item of a school, any order); [] when all is intact."""
    chains: dict[str, list[AuditEntry]] = {}
    heads: dict[str, AuditEntry] = {}
    for item in items:
        if item.entry == HEAD:
            heads[item.subject] = item
        else:
            chains.setdefault(item.subject, []).append(item)
    problems = []
    for subject in sorted(set(chains) | set(heads)):
        chain = sorted(chains.get(subject, []), key=lambda e: int(e.seq or 0))
        problem = _broken_link(subject, chain)
        if problem:  # the first break in a chain is the one to report
            problems.append(problem)
            continue
        previous = chain[-1].hash if chain else ""
        head = heads.get(subject)
        if head is not None and (int(head.seq or 0) != len(chain) or head.hash != previous):
            problems.append(f"{subject}: the newest entries are missing (the head says {head.seq}, found {len(chain)})")
    return problems


def _broken_link(subject: str, chain: list[AuditEntry]) -> str | None:
    previous = ""
    for n, entry in enumerate(chain, start=1):
        if int(entry.seq or 0) != n:
            return f"{subject}: entry {n} is missing (found {entry.seq})"
        if entry.prev_hash != previous:
            return f"{subject}: entry {n} does not follow entry {n - 1}"
        expected = digest(
            entry.prev_hash or "", subject, entry.entry, entry.actor_id, entry.action, entry.ip, entry.user_agent
        )
        if entry.hash != expected:
            return f"{subject}: entry {n} has been changed"
        previous = entry.hash
    return None
