"""Pattern alerts: the school's rules (settings `[[pattern_alerts]]`), checked when an incident is added.

A rule fires for the pupil an incident is about when, counting this incident, there are at least `count` concerns
about them (as the pupil it is about) that happened within `days` up to this one's time, in the rule's categories
(or any); or, for a `flag` rule, when the pupil has that flag. The DSL team is then alerted in Lantern and by email,
naming the rule and never the pupil. Each check is one Query with Select=COUNT on the pupil's chronology.

>>> [rule.name for rule in fired(school, ["Behaviour"], occurred_at, pupil)]
['Any concern about a pupil on a child-protection plan']
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.models import ChronologyEntry, Pupil
from chalicelib.settings import PatternAlert, SchoolSettings


def _applies(rule: PatternAlert, categories: list[str]) -> bool:
    return not rule.categories or bool(set(rule.categories) & set(categories))


def _earlier_concerns(rule: PatternAlert, pupil_id: str, occurred_at: datetime) -> int:
    """Concerns about the pupil (as the pupil it is about) in the `days` up to `occurred_at`, in the rule's
    categories: one COUNT Query."""
    moment = occurred_at.astimezone(UTC)
    start = (moment - timedelta(days=rule.days)).isoformat()
    condition = ChronologyEntry.involvement == "subject"
    if rule.categories:
        any_of = None
        for name in rule.categories:
            test = ChronologyEntry.categories.contains(name)
            any_of = test if any_of is None else any_of | test
        condition = condition & any_of
    return ChronologyEntry.count(
        pupil_id,
        range_key_condition=ChronologyEntry.entry.between(start, f"{moment.isoformat()}#\uffff"),
        filter_condition=condition,
    )


def fired(
    school: SchoolSettings, categories: list[str], occurred_at: datetime, pupil: Pupil | None
) -> list[PatternAlert]:
    """The rules an incident about `pupil` makes fire (before the incident itself is saved)."""
    from chalicelib.reports.keys import flag_keys

    if pupil is None:
        return []
    found = []
    for rule in school.pattern_alerts:
        if not _applies(rule, categories):
            continue
        if rule.flag:
            if rule.flag in flag_keys(pupil):
                found.append(rule)
        elif _earlier_concerns(rule, pupil.pupil_id, occurred_at) + 1 >= rule.count:
            found.append(rule)
    return found
