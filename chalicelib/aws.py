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
    import os

    import boto3
    from botocore.config import Config

    from chalicelib.settings import current_school

    # Deployed, presigned URLs name the bucket's regional origin (https://<bucket>.s3.<region>.amazonaws.com), the
    # one the CDN's CSP connect-src allows; locally (AWS_ENDPOINT_URL, moto) they stay path-style on that endpoint.
    s3_config = {} if os.environ.get("AWS_ENDPOINT_URL") else {"s3": {"addressing_style": "virtual"}}
    return boto3.client(
        "s3", region_name=current_school().aws_region, config=Config(signature_version="s3v4", **s3_config)
    )


def reset() -> None:
    """Forget every client (tests that move the endpoint)."""
    ses.cache_clear()
    s3.cache_clear()
