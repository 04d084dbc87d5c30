"""Check a school's audit trail: every record's chain of entries is whole and unchanged.

    make verify-audit [SCHOOL=themead] [AWS=1]

Reads every audit item (a Scan: this is trust IT's check, never a request path) and recomputes each record's hash
chain (chalicelib/audit.py). Prints each problem (an entry changed, one missing, the newest removed) and exits 1;
prints a one-line summary and exits 0 when every chain is intact. By default it checks the running local stack;
with --aws, the deployed one, with the AWS credentials in the environment.
"""

from __future__ import annotations

import argparse
import sys

from tools import local_stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", default="themead")
    parser.add_argument("--aws", action="store_true", help="check the deployed stack, not the local one")
    args = parser.parse_args()
    local_stack.connect(args.school, to_aws=args.aws)

    from chalicelib import audit
    from chalicelib.models import AuditEntry

    items = list(AuditEntry.scan())
    problems = audit.verify(items)
    for problem in problems:
        print(problem)
    records = len({item.subject for item in items})
    if problems:
        sys.exit(f"The audit trail of {args.school} has {len(problems)} problem(s) in {records} records.")
    print(f"The audit trail of {args.school} is intact: {len(items)} items in {records} records.")


if __name__ == "__main__":
    main()
