"""Create a staff account and email them their set-password link. There is no self-registration.

    make user EMAIL=sam.jones@themead.example.org ROLE=staff NAME="Sam Jones" [TITLE="Class Teacher"] [SCHOOL=themead]

By default it acts on the school's running local stack (`make run`); with --aws, on the deployed stack, using the
AWS credentials in the environment.
"""

from __future__ import annotations

import argparse
import sys

from chalicelib.auth import accounts
from chalicelib.errors import LanternError
from chalicelib.settings import ROLES, current_school
from tools import local_stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", default="themead")
    parser.add_argument("--email", required=True)
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--name", required=True)
    parser.add_argument("--title", default="")
    parser.add_argument("--aws", action="store_true", help="act on the deployed stack, not the local one")
    args = parser.parse_args()
    if not args.name.strip() or "@" not in args.email:
        sys.exit(
            "Give the person's NAME and work EMAIL: make user EMAIL=sam.jones@school.org ROLE=staff NAME='Sam Jones'"
        )
    local_stack.connect(args.school, to_aws=args.aws)
    try:
        staff = accounts.create_staff(
            email=args.email, name=args.name, role=args.role, title=args.title, link_from=current_school()
        )
    except LanternError as error:
        sys.exit(error.message)
    print(f"Created {staff.role} {staff.email} and emailed their set-password link.")


if __name__ == "__main__":
    main()
