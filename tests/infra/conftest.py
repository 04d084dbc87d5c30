"""The packaged stack, built once per session (chalice package takes 2-20 s), and moto for the deploy steps."""

from __future__ import annotations

import pytest
import requests

SCHOOL = "castlemeadtrowbridge"


@pytest.fixture(scope="session")
def packaged(tmp_path_factory):
    """The real package for Castle Mead Trowbridge: site, staging copy, merge template, sam.json, zip."""
    from infra import build

    target = build.validate(SCHOOL)
    return build.package(target, tmp_path_factory.mktemp(SCHOOL))


@pytest.fixture(scope="session")
def template(packaged) -> dict:
    return packaged.template


@pytest.fixture
def moto(local_aws, monkeypatch):
    """moto's server, emptied; the variables a deploy changes are put back afterwards."""
    requests.post(f"{local_aws.endpoint}/moto-api/reset", timeout=10).raise_for_status()
    for name in ("LANTERN_SETTINGS", "LANTERN_TABLE_PREFIX", "LANTERN_PUBLIC_URL", "LANTERN_FILES_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    yield local_aws
    from chalicelib import aws
    from chalicelib.settings import current_school

    current_school.cache_clear()
    aws.reset()
