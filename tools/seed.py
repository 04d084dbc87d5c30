"""Seed a school's tables with invented demo staff, pupils and a term of incidents (local mode only)."""

from __future__ import annotations

import base64
import hashlib
import os

from chalicelib.auth import accounts, second_factor
from chalicelib.clock import utcnow
from chalicelib.models import ChronologyEntry, Incident, IncidentEvent, Pupil, Staff
from chalicelib.settings import current_school
from tools.demo import demo_pupils, demo_staff
from tools.demo_incidents import demo_incidents


def demo_secret(email: str) -> str:
    """Local demo accounts only: a fixed authenticator secret per email, so codes can be made without a phone."""
    return base64.b32encode(hashlib.sha256(f"lantern-demo:{email}".encode()).digest()[:20]).decode()


def seed_demo(slug: str, *, incidents: bool | None = None) -> list[Staff]:
    """Create the demo accounts (without passwords: staff set them by email), the pupil roster and a term of
    invented incidents up to yesterday (tools/demo_incidents.py), unless `incidents` is False or the environment
    says LANTERN_DEMO_INCIDENTS=0 (tests that need a school with no history)."""
    if incidents is None:
        incidents = os.environ.get("LANTERN_DEMO_INCIDENTS", "1") != "0"
    staff = [accounts.create_staff(**person) for person in demo_staff(slug)]
    for member in staff:  # enrolled already, so `make totp EMAIL=…` gives their code
        if second_factor.required(member.role):
            member.update(
                actions=[Staff.totp_secret.set(demo_secret(member.email)), Staff.second_factor_at.set(utcnow())]
            )
    pupils = [Pupil(**pupil) for pupil in demo_pupils(slug)]
    with Pupil.batch_write() as batch:
        for pupil in pupils:
            batch.save(pupil)
    if incidents:
        school = current_school()
        items = demo_incidents(school, staff, pupils, school.today())
        for model in (Incident, ChronologyEntry, IncidentEvent):
            with model.batch_write() as batch:
                for item in items:
                    if isinstance(item, model):
                        batch.save(item)
    return staff
