"""AWS clients, created on first use so that importing the app creates none (cold start, and moto in tests)."""

from __future__ import annotations

from functools import cache


@cache
def ses():
    import boto3

    from chalicelib.settings import current_school

    return boto3.client("ses", region_name=current_school().aws_region)


def reset() -> None:
    """Forget every client (tests that move the endpoint)."""
    ses.cache_clear()
