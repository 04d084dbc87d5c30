"""Seed a school's tables with invented demo staff and pupils (local mode only)."""

from __future__ import annotations

from chalicelib.auth import accounts
from chalicelib.models import Pupil, Staff
from tools.demo import demo_pupils, demo_staff


def seed_demo(slug: str) -> list[Staff]:
    """Create the demo accounts (without passwords: staff set them by email) and the pupil roster."""
    staff = [accounts.create_staff(**person) for person in demo_staff(slug)]
    with Pupil.batch_write() as batch:
        for pupil in demo_pupils(slug):
            batch.save(Pupil(**pupil))
    return staff
