"""AWS clients, created on first use so that importing the app creates none (cold start, and moto in tests)."""

from __future__ import annotations

from functools import cache


@cache
def ses():
    import boto3

    from chalicelib.settings import current_school

    return boto3.client("ses", region_name=current_school().aws_region)


@cache
def s3():
    import boto3
    from botocore.config import Config

    from chalicelib.settings import current_school

    return boto3.client("s3", region_name=current_school().aws_region, config=Config(signature_version="s3v4"))


def reset() -> None:
    """Forget every client (tests that move the endpoint)."""
    ses.cache_clear()
    s3.cache_clear()
