"""A term of invented demo incidents for local mode, with patterns a school would recognise, so every chart of the
reports page shows something true on `make run`: more at lunchtime and on Mondays, more in the playground, a few
pupils with repeated concerns, a cluster in one class, some Safeguarding that only the DSL team and the Head see.

Deterministic (its own `random.Random`), invented throughout: accounts come from a small pool of made-up sentences
that name nobody. Written straight to the tables as the service writes them (incident, chronology entries), with
no alerts or emails, so the demo outbox and dashboards are not flooded with history.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from chalicelib.models import ChronologyEntry, Incident, IncidentEvent
from chalicelib.reports.keys import groups_of, report_month
from chalicelib.settings import SchoolSettings

_IDS = uuid.UUID("0b7e2a4c-2f4e-4d55-9a55-6c1f0c7d9e21")
DAY_WEIGHT = {0: 1.7, 1: 1.0, 2: 1.0, 3: 1.0, 4: 0.8}  # Mondays are busier
SESSION_WEIGHT = {"Lunchtime": 4.0, "Morning break": 2.0, "Morning": 1.4, "Late morning": 1.0, "Afternoon": 1.5}
OUTSIDE = {"Lunchtime", "Morning break"}
CATEGORY_WEIGHT = {"Behaviour": 0.6, "Bullying": 0.12, "Prejudicial": 0.06, "Safeguarding": 0.22}
PER_SCHOOL_DAY = 2.2
ACCOUNTS = {
    "Behaviour": [
        "Pushed another pupil in the line and would not stop when asked. Moved to the front with an adult.",
        "Threw equipment across the room during the lesson; no one was hurt. Calmed in the reading corner.",
        "Refused to come in from play and ran around the field. Came in after take-up time.",
        "Swore at a member of staff when asked to tidy away. Spoke with the class teacher afterwards.",
        "Kicked a ball at another pupil deliberately during a game. Time out for the rest of the break.",
    ],
    "Bullying": [
        "Said other pupils keep leaving them out of games at lunchtime and calling them names.",
        "Reported that a group took their snack every day this week.",
        "Parent reported unkind messages in an online game group from classmates.",
    ],
    "Prejudicial": [
        "Overheard making a derogatory remark about another pupil's religion in the playground.",
        "Used a racist word towards another pupil during a disagreement at lunch.",
    ],
    "Safeguarding": [
        "Came in hungry and said there had been no tea or breakfast. Given breakfast club food.",
        "Noticed a bruise on the upper arm when changing for PE; said it happened at home.",
        "Said they were scared to go home because of shouting between adults last night.",
        "Seemed withdrawn and tearful all morning; said they did not want to talk about it yet.",
        "Uniform not washed for several weeks and complaining of toothache.",
    ],
}


def _school_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _term_start(school: SchoolSettings, today: date) -> date:
    started = [date.fromisoformat(t.start) for t in school.terms if date.fromisoformat(t.start) <= today]
    return started[-1] if started else today - timedelta(weeks=12)


def demo_incidents(school: SchoolSettings, staff: list, pupils: list, today: date) -> list:
    """Incidents (and their chronology entries and a few closing events) from the start of this term to yesterday."""
    rng = random.Random(f"lantern-demo-incidents-{school.slug}")  # noqa: S311 - demo data, not secrets
    reporters = [m for m in staff if m.role == "staff"] or list(staff)
    closers = [m for m in staff if m.role in ("leader", "dsl")] or list(staff)
    sessions = {s.name: s for s in school.sessions if s.name in SESSION_WEIGHT}
    classes = sorted({p.class_name for p in pupils})
    cluster = classes[len(classes) // 2] if classes else ""  # one class with more incidents than the rest
    repeat = rng.sample(pupils, min(5, len(pupils)))  # a few pupils with repeated concerns
    weights = [8.0 if p in repeat else 3.0 if p.class_name == cluster else 1.0 for p in pupils]
    categories = [c for c in CATEGORY_WEIGHT if school.category(c)]
    items: list = []
    number = 0
    for day in _school_days(_term_start(school, today), today - timedelta(days=1)):
        for _ in range(int(rng.random() * 2 * PER_SCHOOL_DAY * DAY_WEIGHT[day.weekday()] + 0.5)):
            number += 1
            session = rng.choices(list(sessions), [SESSION_WEIGHT[s] for s in sessions])[0]
            start, end = (time.fromisoformat(t) for t in (sessions[session].start, sessions[session].end))
            minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
            moment = datetime.combine(day, start, tzinfo=school.zone) + timedelta(minutes=rng.randrange(minutes))
            category = rng.choices(categories, [CATEGORY_WEIGHT[c] for c in categories])[0]
            if session in OUTSIDE:
                places = ["Playground", "Field", "Dining hall", "Toilets"], [10, 2, 2, 1]
            else:
                places = ["Classroom", "Corridor", "Hall", "Toilets", "Online"], [4, 2, 1, 1, 0.5]
            if category == "Safeguarding":
                places = ["Classroom", "School gate", "Home", "Online", "Playground"], [3, 2, 2, 1, 1]
            location = rng.choices(*places)[0]
            pupil = rng.choices(pupils, weights)[0]
            linked = []
            if category in ("Behaviour", "Bullying") and rng.random() < 0.25:
                mates = [p for p in pupils if p.class_name == pupil.class_name and p is not pupil]
                linked = [rng.choice(mates)] if mates else []
            settings_category = school.category(category)
            subcategories = {category: sorted(rng.sample(settings_category.subcategories, 1))}
            answers = {}
            for question in settings_category.questions:
                if question.kind == "choose-all":
                    answers[question.id] = rng.sample(list(question.options), rng.randint(1, 2))
            closed = (today - day).days > 21 and rng.random() < 0.8
            status = "Closed" if closed else "Active"
            items.extend(
                _incident(
                    school,
                    number,
                    moment,
                    day,
                    session,
                    location,
                    pupil,
                    linked,
                    category,
                    subcategories,
                    answers,
                    status,
                    rng.choice(reporters),
                    rng.choice(closers),
                    rng,
                )
            )
    return items


def _incident(
    school,
    number,
    moment,
    day,
    session,
    location,
    pupil,
    linked,
    category,
    subcategories,
    answers,
    status,
    reporter,
    closer,
    rng,
) -> list:
    incident_id = str(uuid.uuid5(_IDS, f"{school.slug}#{number}"))
    occurred = moment.astimezone(UTC)
    recorded = occurred + timedelta(minutes=rng.randint(5, 90))
    state = {
        "categories": [category],
        "subcategories": subcategories,
        "answers": answers,
        "status": status,
        "concern_level": None,
        "assigned_ids": [],
        "agencies": [],
        "tagged_ids": [],
    }
    incident = Incident(
        incident_id=incident_id,
        reference=f"LAN-{incident_id[:8].upper()}",
        reporter_id=reporter.staff_id,
        recorded_at=recorded,
        occurred_at=occurred,
        day=day.strftime("%A"),
        session=session,
        location=location,
        pupil_id=pupil.pupil_id,
        linked_pupil_ids=[p.pupil_id for p in linked],
        categories=[category],
        subcategories=subcategories,
        answers=answers,
        account=rng.choice(ACCOUNTS[category]),
        status="Active",
        state=state,
        open="open" if status == "Active" else None,
        report_month=report_month(occurred),
        pupil_groups=groups_of([pupil, *linked]),
    )
    timeline = []
    items: list = [incident]
    if status == "Closed":
        at = recorded + timedelta(days=rng.randint(1, 5))
        text = "Status set to Closed: Resolved in school"
        timeline.append({"at": at.isoformat(), "kind": "status", "text": text, "by": closer.name})
        items.append(
            IncidentEvent(
                incident_id=incident_id,
                event=f"{at.isoformat()}#demo-{number}",
                event_id=f"demo-{number}",
                kind="status",
                actor_id=closer.staff_id,
                reason="Spoken to the pupils and parents; no further concerns.",
                details={"status": "Closed", "decision": "Resolved in school"},
            )
        )
    for involved, how in [(pupil, "subject"), *[(p, "linked") for p in linked]]:
        items.append(
            ChronologyEntry(
                pupil_id=involved.pupil_id,
                entry=f"{occurred.isoformat()}#{incident_id}",
                incident_id=incident_id,
                categories=[category],
                involvement=how,
                reference=incident.reference,
                location=location,
                status=status,
                timeline=timeline,
            )
        )
    return items
