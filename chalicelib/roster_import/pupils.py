"""Applying a checked pupils file: a job planned at once, applied in steps that each fit well inside a request.

`start(parsed, …)` compares the file with the roster index (chalicelib/roster_import/index.py: no Scan of the
pupils table), works out every change (pupils added, updated, back on roll, and with `full` those who left), and
saves that plan as a job in the jobs table: the head `roster-job` (progress, the summary) and its parts
`roster-job#<job_id>#<n>` (up to PART_OPS operations each). Nothing is written to pupils yet, and the summary is
already exact: the admin page shows it with a progress bar.

`step(job_id, seconds)` applies the next operations until its time is up, a batch at a time (at most BATCH
operations of one index shard): one small transaction records the batch's index shard and the batch itself in the
job (`pending`, with the progress), then each pupil and its audit entry (naming the fields that changed, never their
values) is written, each write idempotent, and `pending` is cleared. A step cut short leaves the batch pending and
the next step writes it first, so the index never disagrees with the pupils for longer than a step, and nothing is
written twice. No BatchWriteItem: the API's role may add audit entries but never delete one. The page (or
`make import`) calls step until the job is done. One job at a time: a new import replaces a job abandoned for
ABANDONED; one still moving is refused.

Pupils are never deleted: a leaver loses `roll` (the sparse typeahead index), nothing else; a pupil's `pupil_id`
never changes, so chronologies stay attached.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.clock import utcnow
from chalicelib.errors import ConflictError
from chalicelib.roster_import import index
from chalicelib.roster_import.columns import IMPORT_ACTOR
from chalicelib.roster_import.parsing import Parsed
from chalicelib.roster_import.summary import ImportSummary, log

HEAD = "roster-job"
PART_OPS = 400  # operations per part item (an added pupil is about 300 bytes of JSON; items hold 400 KB)
BATCH = 100  # pupils recorded at once (the batch is kept in the job's item until written: about 30 KB)
WRITERS = 8  # concurrent single-item writes while writing a batch
STEP_SECONDS = 12.0  # a step's work, well inside API Gateway's 29 s (a transaction can take a second or two)
ABANDONED = timedelta(minutes=2)  # a job nobody has stepped for this long may be replaced by a new import


class ImportRunning(ConflictError):
    pass


def start(
    parsed: Parsed,
    *,
    full: bool = False,
    actor_id: str = IMPORT_ACTOR,
    source: dict | None = None,
    now: datetime | None = None,
) -> dict:
    """Plan the import of a checked file and save it as the job to run. Returns the job's progress (`progress`);
    with errors in the file, a finished job whose summary lists them, and nothing is written."""
    summary = ImportSummary(kind="pupils", rows=len(parsed.rows), warnings=list(parsed.warnings))
    if parsed.errors:
        summary.errors = list(parsed.errors)
        return {"job_id": None, "state": "done", "total": 0, "done": 0, "summary": summary.as_dict()}
    now = now or utcnow()
    model = index.bind()
    head = _head()
    if head is not None and head.state == "running" and now - _at(head.touched_at) < ABANDONED:
        raise ImportRunning(
            "Another pupils import is running. Wait for it to finish (this page shows its progress), then try again."
        )
    try:
        entries, _ = index.read()
    except index.IndexMissing as missing:
        raise ConflictError(str(missing)) from None
    ops = plan(parsed, entries, full, summary)
    job_id = str(uuid.uuid4())
    parts = [ops[i : i + PART_OPS] for i in range(0, len(ops), PART_OPS)]
    for number, part in enumerate(parts):
        model(job=f"{HEAD}#{job_id}#{number}", ops=json.dumps(part, separators=(",", ":"))).save()
    previous = (head.job_id, int(head.parts or 0)) if head is not None and head.job_id else None
    head = head or model(job=HEAD)
    head.job_id, head.total, head.done, head.parts = job_id, len(ops), 0, len(parts)
    head.state = "running" if ops else "done"
    head.summary = json.dumps({k: v for k, v in summary.as_dict().items() if k != "new_staff"})
    head.context = json.dumps(
        {"actor_id": actor_id, "ip": (source or {}).get("ip", ""), "user_agent": (source or {}).get("user_agent", "")}
    )
    head.touched_at = now.isoformat()
    try:
        index.save_checked(head)  # of two imports started at once, one is refused here
    except PutError:
        raise ImportRunning("Another pupils import has just started. Wait for it to finish, then try again.") from None
    if previous:
        _forget_parts(*previous)
    if not ops:
        log(summary)
    return progress(head)


def plan(parsed: Parsed, entries: dict[str, index.Entry], full: bool, summary: ImportSummary) -> list[dict]:
    """The operations that make Lantern's pupils match the file, sorted by index shard; counts into `summary`.

    New pupils get a new `pupil_id`; matched pupils keep theirs (found by UPN, or by the file's Former UPN when the
    MIS replaced a temporary UPN)."""
    by_upn: dict[str, index.Entry] = {}
    shared: set[str] = set()
    for entry in entries.values():
        current = by_upn.get(entry.upn)
        if current is not None:
            shared.add(entry.upn)
        if current is None or (current.roll != "on" and entry.roll == "on"):
            by_upn[entry.upn] = entry
    file_upns = {row["fields"]["upn"] for row in parsed.rows}
    for upn in sorted(shared & file_upns):
        summary.warnings.append(f"More than one pupil in Lantern has the UPN {upn}; the one on roll was updated.")

    ops: list[dict] = []
    matched: set[str] = set()
    for row in parsed.rows:
        values = row["fields"]
        entry = by_upn.get(values["upn"])
        if entry is None and row["former_upn"] and row["former_upn"] not in file_upns:
            entry = by_upn.get(row["former_upn"])
        if entry is None or entry.pupil_id in matched:
            values = {"preferred_name": values["first_name"], **values}
            ops.append({"id": str(uuid.uuid4()), "add": values, "what": "added"})
            summary.added += 1
            continue
        matched.add(entry.pupil_id)
        changed = {name: value for name, value in values.items() if entry.fields.get(name) != value}
        what = f"updated {', '.join(sorted(changed))}" if changed else ""
        if entry.roll != "on":
            rejoined = "back on roll" + (f"; {what}" if what else "")
            ops.append({"id": entry.pupil_id, "set": changed, "roll": "on", "what": rejoined})
            summary.rejoined += 1
        elif changed:
            ops.append({"id": entry.pupil_id, "set": changed, "what": what})
            summary.updated += 1
        else:
            summary.unchanged += 1
    if full:
        for entry in entries.values():
            if entry.roll == "on" and entry.pupil_id not in matched:
                left = "left the roll (not in a full import)"
                ops.append({"id": entry.pupil_id, "set": {}, "roll": None, "what": left})
                summary.left += 1
    for op in ops:
        op["audit"] = str(uuid.uuid4())  # the audit entry's own key, so that writing it twice writes it once
    ops.sort(key=lambda op: index.shard_key(op["id"]))
    return ops


def step(job_id: str, seconds: float = 15.0, now: datetime | None = None) -> dict:
    """Apply the job's next operations for about `seconds` (at least one batch). Returns its progress."""
    started = time.monotonic()
    head = _head()
    if head is None or head.job_id != job_id:
        return {"job_id": job_id, "state": "replaced", "total": 0, "done": 0, "summary": None}
    parts: dict[int, list[dict]] = {}
    while head.state == "running":
        if head.pending:  # a batch recorded but perhaps not (all) written: a step was cut short
            head = _write(head, json.loads(head.pending))
            continue
        number, offset = divmod(int(head.done), PART_OPS)
        if number not in parts:
            parts[number] = json.loads(index.bind().get(f"{HEAD}#{job_id}#{number}", consistent_read=True).ops)
        remaining = parts[number][offset:]
        shard = index.shard_key(remaining[0]["id"])
        batch = [op for op in remaining[:BATCH] if index.shard_key(op["id"]) == shard]
        head = _record(head, batch, shard, now or utcnow())
        head = _write(head, json.loads(head.pending))
        if time.monotonic() - started >= seconds:
            break
    if head.state == "done" and parts:
        _forget_parts(job_id, int(head.parts))
        log(ImportSummary.from_dict(json.loads(head.summary)))
    return progress(head)


def _record(head, batch: list[dict], shard_key: str, now: datetime):
    """One small transaction: the batch's index shard as it will be, and the batch itself as the job's `pending`
    (with the job's progress). From here the batch is written even if this step is cut short."""
    from pynamodb.connection import Connection
    from pynamodb.transactions import TransactWrite

    model = index.bind()
    shard = index.read_shards([shard_key]).get(shard_key) or model(job=shard_key)
    entries = index.decode(shard.pupils)
    for op in batch:
        if "add" in op:
            entries[op["id"]] = index.Entry(op["id"], "on", {f: op["add"].get(f) for f in index.FIELDS})
        else:
            entry = entries.get(op["id"]) or index.Entry(op["id"], "on", {})
            entry.fields |= op["set"]
            if "roll" in op:
                entry.roll = op["roll"]
            entries[op["id"]] = entry
    shard.pupils = index.encode(entries)
    done_before = int(head.done)
    pending = json.dumps({"at": now.isoformat(), "ops": batch}, separators=(",", ":"))
    with TransactWrite(connection=Connection()) as transaction:
        transaction.save(shard, condition=index.checked(shard))  # as read: a shard changed since refuses it all
        transaction.update(
            head,
            actions=[
                model.done.set(done_before + len(batch)),
                model.pending.set(pending),
                model.touched_at.set(now.isoformat()),
                model.version.add(1),
            ],
            condition=(model.job_id == head.job_id) & (model.done == done_before),
        )
    return index.bind().get(HEAD, consistent_read=True)


def _write(head, pending: dict):
    """Write a recorded batch: each pupil and its audit entry, every write idempotent (an added pupil only if absent,
    an audit entry under a key made from the batch's time and the operation), then clear `pending`. The writes go
    WRITERS at a time: they are independent single-item writes."""
    from concurrent.futures import ThreadPoolExecutor

    model = index.bind()
    context = json.loads(head.context)
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(lambda op: _write_one(op, pending["at"], context), pending["ops"]))
    actions = [model.pending.remove(), model.version.add(1)]
    if int(head.done) >= int(head.total):
        actions.append(model.state.set("done"))
    head.update(actions=actions, condition=(model.job_id == head.job_id) & (model.done == head.done))
    return head


def _write_one(op: dict, at: str, context: dict) -> None:
    from chalicelib.models import AuditEntry, Pupil

    try:
        if "add" in op:
            Pupil(pupil_id=op["id"], roll="on", **op["add"]).save(condition=Pupil.pupil_id.does_not_exist())
        else:
            actions = [getattr(Pupil, name).set(value) for name, value in op["set"].items()]
            if "roll" in op:
                actions.append(Pupil.roll.set("on") if op["roll"] else Pupil.roll.remove())
            Pupil(pupil_id=op["id"]).update(actions=actions, condition=Pupil.pupil_id.exists())
    except (PutError, UpdateError) as error:
        if not _condition_failed(error) or "add" not in op:  # an update whose pupil is missing is a real error
            raise
    try:
        AuditEntry(
            subject=f"pupil#{op['id']}",
            entry=f"{at}#{op['audit']}",
            actor_id=context["actor_id"],
            action=f"roster import: {op['what']}",
            ip=context["ip"],
            user_agent=context["user_agent"],
        ).save(condition=AuditEntry.subject.does_not_exist())
    except PutError as error:
        if not _condition_failed(error):
            raise


def _condition_failed(error) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def progress(head) -> dict:
    summary = json.loads(head.summary) if head.summary else None
    return {
        "job_id": head.job_id,
        "state": head.state,
        "total": int(head.total or 0),
        "done": int(head.done or 0),
        "summary": summary,
    }


def current() -> dict | None:
    """The latest pupils import's progress (a page reloaded mid-import continues it), or None."""
    head = _head()
    return progress(head) if head is not None and head.job_id else None


def _head():
    model = index.bind()
    try:
        return model.get(HEAD, consistent_read=True)
    except model.DoesNotExist:
        return None


def _forget_parts(job_id: str, parts: int) -> None:
    """Parts of a finished or replaced job hold nothing needed any more: emptied (the API may not delete items)."""
    model = index.bind()
    for number in range(parts):
        model(job=f"{HEAD}#{job_id}#{number}").update(actions=[model.ops.remove()])


def _at(text: str | None) -> datetime:
    return datetime.fromisoformat(text) if text else datetime.min.replace(tzinfo=utcnow().tzinfo)


# --- the synchronous forms: the command line and tests ---------------------------------------------------------


def apply_pupils(
    parsed: Parsed,
    *,
    full: bool = False,
    actor_id: str = IMPORT_ACTOR,
    source: dict | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Plan and run the whole job at once (no time limit). With errors in the file, nothing is written."""
    job = start(parsed, full=full, actor_id=actor_id, source=source, now=now)
    while job["state"] == "running":
        job = step(job["job_id"], seconds=3600, now=now)
    return ImportSummary.from_dict(job["summary"])


def all_pupils() -> list:
    """Every pupil, on roll or not: one paginated, strongly consistent Scan (it needs dynamodb:Scan on the table,
    which no function's role has: the command line and tests only).

    `roll` is taken from the stored item itself: reading an item without `roll` (a leaver) through the model would
    fill in the attribute's default, "on"."""
    import boto3

    from chalicelib.models import Pupil

    client = boto3.client("dynamodb", region_name=Pupil.Meta.region)  # None: the environment's, as PynamoDB
    pupils = []
    for page in client.get_paginator("scan").paginate(TableName=Pupil.Meta.table_name, ConsistentRead=True):
        for item in page["Items"]:
            pupil = Pupil.from_raw_data(item)
            pupil.roll = item.get("roll", {}).get("S")
            pupils.append(pupil)
    return pupils
