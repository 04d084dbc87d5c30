"""Import a school's roster from CSV files exported from its MIS (the layout: docs/roster-csv.md).

    make import SCHOOL=themead PUPILS=pupils.csv STAFF=staff.csv [FULL=1] [AWS=1]
    python -m tools.import_roster --school themead --pupils pupils.csv --staff staff.csv [--full] [--aws]

Both files are checked before anything is written: if either has a problem, nothing is imported and every problem is
printed with its line number (exit status 1). Pupils are matched by UPN and staff by email; with --full, pupils not
in the file become leavers (kept, hidden from the typeahead) and staff not in the file are deactivated. New staff are
emailed their set-password link.

By default it acts on the school's running local stack (`make run`); with --aws, on the deployed stack, using the
AWS credentials in the environment, in the region of the school's settings (whatever the environment says).
Pupils are imported as the admin page imports them: planned against the roster index, then applied in batches
(chalicelib/roster_import/pupils.py), with progress printed. --rebuild-index rewrites the roster index from the
pupils table (one Scan, which only the operator's credentials may do), for a stack whose pupils were written some
other way.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from chalicelib import roster_import
from chalicelib.settings import current_school, load_school
from tools import local_stack


def read_file(path: Path) -> tuple[str, list[str]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        sys.exit(f"Cannot read {path}: {error.strerror}.")
    return roster_import.decode(data)


def run(pupils: Path | None, staff: Path | None, *, full: bool = False, out=None, err=None) -> int:
    """Check both files, then import them (staff first) and email new staff. Returns the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    checked: list[tuple[Path, roster_import.Parsed]] = []
    if staff is not None:
        text, warnings = read_file(staff)
        parsed = roster_import.parse_staff(text)
        parsed.warnings[:0] = warnings
        checked.append((staff, parsed))
    if pupils is not None:
        text, warnings = read_file(pupils)
        parsed = roster_import.parse_pupils(text)
        parsed.warnings[:0] = warnings
        checked.append((pupils, parsed))
    broken = [(path, parsed) for path, parsed in checked if parsed.errors]
    if broken:
        for path, parsed in broken:
            print(f"{path.name}: {parsed.error_count} problem(s):", file=err)
            for problem in parsed.errors:
                print(f"  {problem}", file=err)
        print("Nothing was imported. Correct the file(s) and run the import again.", file=err)
        return 1

    school = current_school()
    for path, parsed in checked:
        if parsed.kind == "staff":
            summary = roster_import.apply_staff(parsed, full=full, link_from=school)
        else:
            summary = import_pupils(parsed, full=full, out=out)
        for warning in summary.warnings:
            print(f"{path.name}: warning: {warning}", file=out)
        if summary.errors:
            for problem in summary.errors:
                print(f"{path.name}: {problem}", file=err)
            print(f"{path.name}: nothing was imported from this file.", file=err)
            return 1
        print(f"{path.name}: {summary.text()}", file=out)
        if summary.new_staff:
            print(f"{path.name}: emailed a set-password link to {len(summary.new_staff)} new staff.", file=out)
    return 0


def import_pupils(parsed, *, full: bool, out) -> roster_import.ImportSummary:
    """Plan the job, then run it step by step, printing progress (as the admin page shows it)."""
    from chalicelib.roster_import import pupils

    job = pupils.start(parsed, full=full)
    while job["state"] == "running":
        job = pupils.step(job["job_id"], seconds=pupils.STEP_SECONDS)
        if job["state"] == "running":
            print(f"  {job['done']:,} of {job['total']:,} changes written", file=out)
    return roster_import.ImportSummary.from_dict(job["summary"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", default="themead")
    parser.add_argument("--pupils", type=Path, help="pupils CSV file")
    parser.add_argument("--staff", type=Path, help="staff CSV file")
    parser.add_argument(
        "--full",
        action="store_true",
        help="the files are the whole roster: pupils not in them leave, staff are deactivated",
    )
    parser.add_argument("--aws", action="store_true", help="act on the deployed stack, not the local one")
    parser.add_argument("--rebuild-index", action="store_true", help="rewrite the roster index from the pupils table")
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)  # the running local stack (tests)
    args = parser.parse_args(argv)
    if args.pupils is None and args.staff is None and not args.rebuild_index:
        parser.error("give a pupils file, a staff file or both: make import PUPILS=pupils.csv STAFF=staff.csv")
    if args.aws:  # the school's region, not whatever the environment names (before any client exists)
        from tools.build_site import school_file

        region = load_school(school_file(args.school)).aws_region
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = region
    local_stack.connect(args.school, to_aws=args.aws, state=args.state)
    if args.rebuild_index:
        from chalicelib.roster_import import index

        print(f"Roster index rebuilt: {index.rebuild():,} pupils.")
        if args.pupils is None and args.staff is None:
            return 0
    return run(args.pupils, args.staff, full=args.full)


if __name__ == "__main__":
    from chalicelib.log import logger

    logger.setLevel("WARNING")  # the summary is printed; the service's JSON log lines would only clutter it
    sys.exit(main())
