"""Time in one place: UTC, timezone-aware, so tests can pass their own `now`."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def no_sooner_than(seconds: float):
    """Take at least `seconds`, so that which branch ran inside cannot be told from the response time."""
    started = time.monotonic()
    yield
    remaining = seconds - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
