"""Shared fixtures: Lantern's real stack on moto's server (as `make run` starts it), reset for every test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import requests

from tests.helpers import Api

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # Chalice's test client and the settings paths are relative to the project


@pytest.fixture(scope="session")
def local_aws():
    from tools.build_site import load_school, school_file
    from tools.local_stack import start_local_aws

    running = start_local_aws(load_school(school_file("themead")).aws_region)
    yield running
    running.stop()


@pytest.fixture
def school(local_aws, monkeypatch):
    """The Mead on a freshly reset local AWS, with its tables and verified sender; deployed-style cookies."""
    from tools import local_stack
    from tools.build_site import school_file

    requests.post(f"{local_aws.endpoint}/moto-api/reset", timeout=10).raise_for_status()
    settings = local_stack.configure_school(str(school_file("themead")), "https://themead.test", "lantern-themead-")
    monkeypatch.delenv("LANTERN_LOCAL_HTTP")
    local_stack.create_resources(settings)
    return settings


@pytest.fixture
def client(school):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="api") as test_client:
        yield test_client


@pytest.fixture
def api(client):
    return Api(client)
