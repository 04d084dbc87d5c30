"""The short version of `make loadtest`: 10 simulated staff for 10 s against a local Lantern; no request fails and
every acknowledged incident is stored. Its figures (p95 per request) are printed as a baseline, never asserted."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_a_short_load_run_has_no_errors_and_loses_no_incident():
    run = subprocess.run(
        [sys.executable, "-m", "tools.loadtest", "--users", "10", "--seconds", "10"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    figures = "\n".join(line for line in run.stdout.splitlines() if not line.startswith("{"))
    print(figures)
    assert run.returncode == 0, figures + run.stderr[-2000:]
    assert "missing afterwards 0" in figures
