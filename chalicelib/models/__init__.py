"""PynamoDB models. One table per kind of record, named `<prefix><kind>` where the prefix is the school's stack
(`lantern-themead-`), so no school can ever read another's data. Every request path is GetItem, Query or a
transaction: the key design of each table is in its model's docstring.

Three modules, each loaded on first use: `accounts` (staff and sessions: every signed-in request reads them),
`sign_in` (sign-in attempts and set-password links) and `records` (everything else). `from chalicelib.models import
Incident` loads the module that holds it, so a request that only reads accounts (or a function that only sends
email) builds only the models it uses: PynamoDB's model classes cost about 0.2 ms each to build, on every cold
start.

Tables are bound to their names on first use (`bind`), never at import: importing creates no connection. A model
loaded after `bind` is named as it loads (`name_tables`).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pynamodb.models import Model

# Each table's kind → (module, model), in the order the template and the IAM policy list them.
TABLES = {
    "staff": ("accounts", "Staff"),
    "sessions": ("accounts", "LoginSession"),
    "password-links": ("sign_in", "PasswordLink"),
    "throttle": ("sign_in", "SignInThrottle"),
    "pupils": ("records", "Pupil"),
    "incidents": ("records", "Incident"),
    "chronology": ("records", "ChronologyEntry"),
    "alerts": ("records", "Alert"),
    "planner": ("records", "PlannerReminder"),
    "incident-events": ("records", "IncidentEvent"),
    "audit": ("records", "AuditEntry"),
    "outbox": ("records", "OutboxItem"),
    "jobs": ("records", "JobCheckpoint"),
}
# Every other name each module holds (indexes and maps), for `from chalicelib.models import …`.
_ALSO = {
    "accounts": ("StaffByEmail", "StaffDirectory", "Passkey", "SessionsByStaff"),
    "records": (
        "PupilRoll",
        "BodyMark",
        "FileRef",
        "IncidentsOpen",
        "IncidentsByMonth",
        "OpenWork",
        "PlannerByOwner",
        "OutboxQueue",
    ),
}
_HOMES = {model: module for module, model in TABLES.values()} | {
    name: module for module, names in _ALSO.items() for name in names
}
IDEMPOTENCY_TABLE = "idempotency"  # Powertools' own record: PK `id`, TTL `expiration`

_bound_prefix: str | None = None
_loaded: dict[str, type[Model]] = {}  # kind → model, for the modules loaded so far


def __getattr__(name: str):
    """A model (or index, or map) by name, its module loaded on first use; `MODELS`, every table's model."""
    if name == "MODELS":
        return {kind: getattr(_module(module), model) for kind, (module, model) in TABLES.items()}
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_module(_HOMES[name]), name)
    globals()[name] = value  # found directly from now on
    return value


def _module(name: str):
    return importlib.import_module(f"{__name__}.{name}")  # the import lock makes two threads' first use safe


def name_tables(models: dict[str, type[Model]]) -> None:
    """Called by each module as it loads: remember its tables' models, and name them if `bind` already ran."""
    _loaded.update(models)
    prefix = _bound_prefix
    if prefix:
        for kind, model in models.items():
            _name(model, f"{prefix}{kind}")


def _name(model: type[Model], name: str) -> None:
    if model.Meta.table_name != name:
        model.Meta.table_name = name
        model._connection = None


def bind(prefix: str | None = None) -> str:
    """Name every table `<prefix><kind>`; the prefix defaults to `LANTERN_TABLE_PREFIX`. Idempotent."""
    global _bound_prefix
    prefix = prefix if prefix is not None else os.environ.get("LANTERN_TABLE_PREFIX", "")
    if not prefix:
        raise RuntimeError("LANTERN_TABLE_PREFIX is not set: it names the school's tables, like 'lantern-themead-'")
    if prefix != _bound_prefix:
        _bound_prefix = prefix  # first, so a module loading meanwhile names its own tables with it
        for kind, model in list(_loaded.items()):
            _name(model, f"{prefix}{kind}")
    return prefix


def table_name(kind: str) -> str:
    return f"{bind()}{kind}"


def bind_model(model: type[Model], kind: str) -> type[Model]:
    """`model`, named for this school's `kind` table: for a model kept out of TABLES because it shares a table with
    one that is in it (the jobs table's roster items), so the table is made and templated once."""
    _name(model, table_name(kind))
    return model


def create_tables() -> None:
    """Create any missing table (local mode and tests; deployed stacks get theirs from the template)."""
    bind()
    for model in __getattr__("MODELS").values():
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    import boto3

    client = boto3.client("dynamodb")
    if table_name(IDEMPOTENCY_TABLE) not in client.list_tables()["TableNames"]:
        client.create_table(
            TableName=table_name(IDEMPOTENCY_TABLE),
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


def refused_by_a_condition(error) -> bool:
    """Was a cancelled transaction (PynamoDB's TransactWriteError) refused by one of its conditions, rather than not
    reaching DynamoDB at all? Only the first is the caller's doing; the second must be retried, never explained."""
    return any(
        reason is not None and reason.code == "ConditionalCheckFailed" for reason in error.cancellation_reasons or []
    )
