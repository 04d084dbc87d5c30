"""The daily digest: once a school day, at the school's chosen time, what is still open, for those who follow up.

- The DSL team: open incidents in the categories only they read (Safeguarding), by age; the Head: every open
  incident; leaders: the open incidents they may read. Everyone: alerts unread for more than the school's number
  of days and actions past their follow-up date, on incidents they may read. The DSL team also get the open work
  of disabled accounts (someone must pick it up) and any email Lantern could not send.
- Built from three Queries (open incidents, the school's open work, the staff directory), whatever the history.
- An empty digest is not sent. Each person's digest is an outbox item keyed by the day, written only if absent,
  so a run that crashed half-way, or two runs at once, never send a digest twice; the day is marked done last.
The digest names incidents by reference, category and age: never a pupil's name or an account.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from pynamodb.exceptions import PutError

from chalicelib import access, outbox, people
from chalicelib.clock import utcnow
from chalicelib.incidents.review import is_overdue, plain
from chalicelib.log import logger
from chalicelib.models import Alert, Incident, JobCheckpoint, Staff
from chalicelib.settings import SchoolSettings

JOB = "digest"
DIGEST_ROLES = ("leader", "dsl", "head")


def is_due(school: SchoolSettings, now: datetime) -> bool:
    """A school day (Monday to Friday), at or after the digest's time, and today's not yet sent."""
    if not school.digest.enabled:
        return False
    local = now.astimezone(school.zone)
    if local.weekday() >= 5 or local.time() < time.fromisoformat(school.digest.time):
        return False
    try:
        done = JobCheckpoint.get(JOB, consistent_read=True).day_done
    except JobCheckpoint.DoesNotExist:
        done = None
    return done is None or done < local.date().isoformat()


def send_if_due(school: SchoolSettings, now: datetime | None = None) -> int:
    """Queue today's digests if it is time; return how many were queued."""
    now = now or utcnow()
    if not is_due(school, now):
        return 0
    queued = 0
    day = school.today(now).isoformat()
    for member, context in build(school, now):
        try:
            outbox.item("daily_digest", member.staff_id, f"digest#{day}", context, now).save(
                condition=outbox.OutboxItem.outbox_id.does_not_exist()
            )
            queued += 1
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    JobCheckpoint(job=JOB, day_done=day).save()
    logger.info("daily digest queued", extra={"digests": queued})
    return queued


def build(school: SchoolSettings, now: datetime) -> list[tuple[Staff, dict]]:
    """(member, email context) for everyone whose digest has something in it."""
    staff = people.directory()
    today = school.today(now)
    open_incidents = list(Incident.open_incidents.query("open"))
    work = list(Alert.open_items.query("open"))
    unread_before = (now - timedelta(days=school.digest.unread_days)).isoformat()
    stale = [a for a in work if not a.is_action and not a.read and a.alert < unread_before]
    overdue: dict[str, list[Alert]] = {}
    for alert in work:
        if alert.is_action and is_overdue(alert.follow_up, today):
            overdue.setdefault(alert.action_id, []).append(alert)
    orphaned = [a for a in work if a.staff_id not in staff]
    parked = outbox.parked()
    # Directory entries hold no email_problem: the few accounts concerned are read whole, once, for the DSL team.
    unreachable = sorted(m.name for m in people.accounts(staff) if m.email_problem) if staff else []

    digests = []
    for member in staff.values():
        if member.role not in DIGEST_ROLES:
            continue

        def readable(categories) -> bool:
            return access.may_read_categories(member.role, list(categories), school)  # noqa: B023

        incidents = [
            _incident_line(i, now)
            for i in open_incidents
            if readable(plain(i.state)["categories"])
            and _in_digest_of(member.role, plain(i.state)["categories"], school)
        ]
        unread = [_unread_line(a, staff, now) for a in stale if readable(a.categories)]
        late = [_overdue_line(alerts, staff) for alerts in overdue.values() if readable(alerts[0].categories)]
        dsl_team = member.role in ("dsl", "head")
        left = [_orphan_line(a) for a in orphaned if dsl_team and readable(a.categories)]
        failed = len(parked) if dsl_team else 0
        not_emailed = unreachable if dsl_team else []
        if not (incidents or unread or late or left or failed or not_emailed):
            continue
        digests.append(
            (
                member,
                {
                    "day": f"{today:%A} {today.day} {today:%B %Y}",
                    "incidents": incidents,
                    "unread": unread,
                    "unread_days": school.digest.unread_days,
                    "overdue": late,
                    "orphaned": left,
                    "parked": failed,
                    "not_emailed": not_emailed,
                },
            )
        )
    return digests


def _in_digest_of(role: str, categories, school: SchoolSettings) -> bool:
    """The DSL's digest holds what only the DSL team reads (Safeguarding); the Head's and leaders' everything
    they may read."""
    if role != "dsl":
        return True
    return any("leader" not in school.category(name).readable_by for name in categories if school.category(name))


def _age(then: datetime, now: datetime) -> str:
    days = (now - then).days
    return "today" if days == 0 else "1 day" if days == 1 else f"{days} days"


def _incident_line(incident: Incident, now: datetime) -> str:
    categories = " and ".join(plain(incident.state)["categories"])
    return f"{incident.reference} ({categories}), open {_age(incident.recorded_at, now)}"


def _name(staff: dict[str, Staff], staff_id: str) -> str:
    member = staff.get(staff_id)
    return member.name if member else "a disabled account"


def _unread_line(alert: Alert, staff: dict[str, Staff], now: datetime) -> str:
    alerted = datetime.fromisoformat(alert.alert.split("#", 1)[0])
    return f"{alert.reference}: unread by {_name(staff, alert.staff_id)} for {_age(alerted, now)}"


def _overdue_line(alerts: list[Alert], staff: dict[str, Staff]) -> str:
    first = alerts[0]
    who = ", ".join(_name(staff, a.staff_id) for a in alerts)
    return f"{first.reference}: action for {who}, follow up by {first.follow_up}"


def _orphan_line(alert: Alert) -> str:
    what = "an action" if alert.is_action else "an unread alert"
    return f"{alert.reference}: {what} of a disabled account"
