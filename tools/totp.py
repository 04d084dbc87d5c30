"""Print the current authenticator code of an account on the running local stack (local mode: no phone needed).

    make totp EMAIL=hannah.lewis@themead.example.org [SCHOOL=themead]

Demo accounts of the roles that read records (leader, DSL, Head, admin) are enrolled when `make run` seeds them;
an account enrolled through the page has its own secret, read here from the local stack. Never for a deployed
school: there, the code comes from the person's own authenticator app.
"""

from __future__ import annotations

import argparse
import sys
import time

from tools import local_stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", default="themead")
    parser.add_argument("--email", required=True)
    args = parser.parse_args()
    local_stack.connect(args.school)

    import pyotp

    from chalicelib.auth import accounts

    staff = accounts.find_by_email(args.email)
    if staff is None or not staff.totp_secret:
        sys.exit(f"{args.email} has no authenticator set up on the local stack (staff who only report need none).")
    totp = pyotp.TOTP(staff.totp_secret)
    now = time.time()
    print(f"{totp.at(now)}   (valid about {30 - int(now) % 30} s more; the next: {totp.at(now + 30)})")


if __name__ == "__main__":
    main()
