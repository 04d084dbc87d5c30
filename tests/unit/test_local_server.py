"""Local-mode plumbing that needs no AWS: schedules and the static file guard."""

from __future__ import annotations

import pytest
from chalice import Chalice, Rate

from tools.local_server import Scheduler, schedule_seconds, scheduled_functions, seconds_to_next_run


def test_rate_schedules_are_understood():
    assert schedule_seconds("rate(1 minute)") == 60
    assert schedule_seconds("rate(5 minutes)") == 300
    assert schedule_seconds("rate(2 hours)") == 7200
    with pytest.raises(ValueError, match="rate"):
        schedule_seconds("cron(0 8 * * ? *)")


def test_the_scheduler_runs_each_scheduled_function():
    app = Chalice(app_name="scheduled")
    calls = []

    @app.schedule("rate(1 minute)")
    def every_minute(event):
        calls.append(event.to_dict()["detail-type"])

    @app.schedule(Rate(2, unit=Rate.HOURS))
    def every_two_hours(event):
        raise RuntimeError("a failing run must not stop the others")

    assert scheduled_functions(app) == [("every_minute", 60), ("every_two_hours", 7200)]
    scheduler = Scheduler(app)
    scheduler.invoke("every_minute")
    scheduler.invoke("every_two_hours")
    assert calls == ["Scheduled Event"]
    assert scheduler.runs == {"every_minute": 1, "every_two_hours": 1}


def test_scheduled_functions_run_just_after_the_clocks_whole_minutes():
    twelve = 1_796_212_800.0  # 2026-12-02 12:00:00 UTC
    assert seconds_to_next_run(60, twelve + 42.5) == pytest.approx(18.5)  # 12:01:01
    assert seconds_to_next_run(60, twelve) == pytest.approx(61.0)  # the next whole minute: 12:01:01
    assert seconds_to_next_run(300, twelve + 60) == pytest.approx(241.0)  # 12:05:01
