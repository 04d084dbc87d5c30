"""The AWS side of a deploy, in one object: each part is its own module, by what it drives."""

from __future__ import annotations

from infra.deploy.admin import AdminSteps
from infra.deploy.base import Session
from infra.deploy.email import EmailSteps
from infra.deploy.site import SiteSteps
from infra.deploy.stack import StackSteps


class Deployer(StackSteps, SiteSteps, EmailSteps, AdminSteps, Session):
    """One school's AWS steps, one client per service and region (tests put stubbed or moto clients in)."""
