"""`make logs SCHOOL=… [FUNCTION=api] [SINCE=60] [FOLLOW=1] [FILTER=…]`: a school's function logs, newest last.

The functions log JSON lines (Powertools): no incident text, names or tokens ever reach them. FUNCTION is one of
FUNCTIONS; SINCE is in minutes; FILTER is a CloudWatch Logs filter pattern (such as ERROR, or
'"email parked after repeated failures"'). FOLLOW polls every few seconds until Ctrl-C.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from infra.build import say
from infra.deploy.base import DeployError

FUNCTIONS = ("api", "outbox", "outbox-sweep", "reminders", "digest", "email-feedback")
POLL_SECONDS = 5


def log_group(slug: str, function: str) -> str:
    if function not in FUNCTIONS:
        raise DeployError(f"FUNCTION={function}: choose one of {', '.join(FUNCTIONS)}")
    return f"/aws/lambda/lantern-{slug}-{function}"


def read(aws, function: str, *, since_minutes: float = 60, pattern: str = "", start_ms: int | None = None):
    """Yield (timestamp ms, message) for the function's log events from `start_ms` (or `since_minutes` ago)."""
    logs = aws.client("logs")
    start = start_ms if start_ms is not None else int((time.time() - since_minutes * 60) * 1000)
    options = {"logGroupName": log_group(aws.target.slug, function), "startTime": start}
    if pattern:
        options["filterPattern"] = pattern
    for page in logs.get_paginator("filter_log_events").paginate(**options):
        for event in page.get("events", []):
            yield event["timestamp"], event["message"].rstrip("\n")


def tail(
    aws,
    function: str = "api",
    *,
    since_minutes: float = 60,
    pattern: str = "",
    follow: bool = False,
    out=say,
    polls: int | None = None,
) -> int:
    """Print the events; with `follow`, keep printing new ones (`polls` bounds it, for tests). Returns how many."""
    shown = 0
    last = None
    seen: set[tuple[int, str]] = set()
    while True:
        for timestamp, message in read(aws, function, since_minutes=since_minutes, pattern=pattern, start_ms=last):
            if (timestamp, message) in seen:
                continue
            seen.add((timestamp, message))
            when = datetime.fromtimestamp(timestamp / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
            out(f"{when} {message}")
            shown += 1
            last = timestamp
        if not follow or (polls is not None and (polls := polls - 1) <= 0):
            return shown
        time.sleep(POLL_SECONDS)
