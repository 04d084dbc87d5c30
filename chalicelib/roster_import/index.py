"""The roster index: what the import needs to know of every pupil Lantern holds, without reading the pupils table.

An import must find each row's pupil by UPN (leavers too, so a pupil who comes back keeps their chronology), see
what changed, and, for a full import, which pupils on roll are not in the file. Reading the whole pupils table for
that (a Scan) needs a grant no web-facing role should have, and takes seconds at 5,000 pupils. Instead the import
keeps a compact copy of each pupil's imported fields in the jobs table, in `SHARDS` items keyed
`roster-pupils#NN` (by a hash of the pupil_id; about 16 KB each at 5,000 pupils), and rewrites a shard in the same
transaction as the pupils it describes (chalicelib/roster_import/pupils.py), with a version check. So the index is
exactly the pupils table's imported fields, and reading all of it is one BatchGetItem of 64 keys.

Only the import writes pupils in a deployed stack. A stack whose pupils were written some other way (the local
demo seed) has no index: `read()` then rebuilds it with one Scan, which works with the operator's credentials
(`make import`) and locally, and is refused by IAM in the API function, with a message saying what to run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

SHARDS = 64
PREFIX = "roster-pupils#"
FIELDS = (
    "upn",
    "first_name",
    "preferred_name",
    "last_name",
    "date_of_birth",
    "year_group",
    "class_name",
    "sen",
    "pupil_premium",
    "eal",
    "looked_after",
    "cp_plan",
)


class RosterItem(Model):
    """An item of the jobs table under `roster-…`: an index shard (`pupils`, JSON) or the import job (`job_id` …).

    Table `<prefix>jobs`, PK `job` (the scheduled jobs' checkpoints share the table under other keys; the API
    function's role may touch only `roster-*` keys)."""

    class Meta:
        table_name = "jobs"  # bound to the school's table on use (`bind`)

    job = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(default=0)  # an index shard's and the job's: each write checks and adds one
    pupils = UnicodeAttribute(null=True)  # an index shard: {pupil_id: [roll or null, *FIELDS]}
    # the import job (`roster-job`) and its parts (`roster-job#<job_id>#<n>`)
    job_id = UnicodeAttribute(null=True)
    state = UnicodeAttribute(null=True)  # running | done
    total = NumberAttribute(null=True)
    done = NumberAttribute(null=True)
    parts = NumberAttribute(null=True)
    ops = UnicodeAttribute(null=True)  # a part: JSON list of operations
    pending = UnicodeAttribute(null=True)  # the job: the batch recorded in the index but perhaps not yet written
    summary = UnicodeAttribute(null=True)  # JSON ImportSummary.as_dict() without new_staff
    context = UnicodeAttribute(null=True)  # JSON {"actor_id", "ip", "user_agent"}
    touched_at = UnicodeAttribute(null=True)  # ISO UTC


def bind() -> type[RosterItem]:
    from chalicelib.models import bind_model

    return bind_model(RosterItem, "jobs")


@dataclass
class Entry:
    """One pupil as the index knows them: enough to match a row and to see what it changes."""

    pupil_id: str
    roll: str | None
    fields: dict

    def __getattr__(self, name: str):  # entry.upn, entry.last_name… as on a Pupil
        try:
            return self.__dict__["fields"][name]
        except KeyError:
            raise AttributeError(name) from None


def shard_key(pupil_id: str) -> str:
    number = int(hashlib.sha256(pupil_id.encode()).hexdigest()[:8], 16) % SHARDS
    return f"{PREFIX}{number:02d}"


def encode(entries: dict[str, Entry]) -> str:
    return json.dumps(
        {pid: [e.roll, *(e.fields.get(f) for f in FIELDS)] for pid, e in sorted(entries.items())},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode(text: str | None) -> dict[str, Entry]:
    entries = {}
    for pupil_id, (roll, *values) in json.loads(text or "{}").items():
        entries[pupil_id] = Entry(pupil_id, roll, dict(zip(FIELDS, values, strict=True)))
    return entries


def read_shards(keys: list[str] | None = None) -> dict[str, RosterItem]:
    """The index's shards that exist, by key (one BatchGetItem of up to 100 keys, strongly consistent)."""
    model = bind()
    keys = keys if keys is not None else [f"{PREFIX}{n:02d}" for n in range(SHARDS)]
    return {item.job: item for item in model.batch_get(keys, consistent_read=True)}


class IndexMissing(RuntimeError):
    """Pupils exist but the index does not, and this process may not Scan to rebuild it."""


def read() -> tuple[dict[str, Entry], dict[str, RosterItem]]:
    """Every pupil in the index ({pupil_id: Entry}) and the shards as read (for their versions)."""
    shards = read_shards()
    if not shards and _any_pupil_on_roll():
        rebuild()
        shards = read_shards()
    entries: dict[str, Entry] = {}
    for shard in shards.values():
        entries |= decode(shard.pupils)
    return entries, shards


def _any_pupil_on_roll() -> bool:
    from chalicelib.models import Pupil

    return any(True for _ in Pupil.on_roll.query("on", limit=1))


def rebuild() -> int:
    """Write the index from the pupils table (one Scan: the operator's credentials or local mode). Returns pupils."""
    from botocore.exceptions import ClientError

    from chalicelib.roster_import.pupils import all_pupils

    try:
        pupils = all_pupils()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied"):
            raise IndexMissing(
                "Lantern's roster index is missing. Trust IT: run `make import SCHOOL=… AWS=1 REBUILD_INDEX=1` once, "
                "then import again."
            ) from None
        raise
    shards: dict[str, dict[str, Entry]] = {}
    for pupil in pupils:
        entry = Entry(pupil.pupil_id, pupil.roll, {f: getattr(pupil, f) for f in FIELDS})
        shards.setdefault(shard_key(pupil.pupil_id), {})[pupil.pupil_id] = entry
    model = bind()
    existing = read_shards()
    for key, entries in shards.items():
        item = existing.get(key) or model(job=key)
        item.pupils = encode(entries)
        save_checked(item)
    for key in set(existing) - set(shards):
        existing[key].pupils = encode({})
        save_checked(existing[key])
    return len(pupils)


def checked(item: RosterItem):
    """The condition for writing `item` as read (or as new), having added one to its version."""
    model = type(item)
    before = int(item.version or 0)
    item.version = before + 1
    return model.job.does_not_exist() if before == 0 else (model.version == before)


def save_checked(item: RosterItem) -> None:
    item.save(condition=checked(item))
