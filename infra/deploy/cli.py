"""The command line behind the Makefile's deploy targets (`python -m infra.deploy <command> …`)."""

from __future__ import annotations

import argparse
import os
import sys

from infra import build
from infra.build import BuildError, say
from infra.deploy import cleanup, logs, planning, preflight, run, trust
from infra.deploy.aws import Deployer
from infra.deploy.base import DeployError

COMMANDS = {
    "plan": "validate, build, package and lint one school's stack; list it (no AWS; --compare diffs with AWS)",
    "deploy": "preflight, plan, then create or update one school's stack by change set, site, email, first admin",
    "preflight": "check the AWS account and region can run the school's stack (read-only)",
    "cleanup-failed": "remove what a failed first deploy left, if it holds no data (--yes to do it)",
    "plan-all": "plan every school of infra/trust.toml, in order, stopping at the first failure",
    "deploy-all": "deploy every school of infra/trust.toml, in order, stopping at the first failure",
    "status": "every school's stack: state, commit, last change, alarms firing",
    "logs": "a school's function logs (--function, --since minutes, --filter, --follow)",
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m infra.deploy", description="Lantern's per-school stacks")
    commands = top.add_subparsers(dest="command", required=True)
    for name, about in COMMANDS.items():
        command = commands.add_parser(name, help=about, description=about)
        if name not in ("plan-all", "deploy-all", "status"):
            command.add_argument("--school", required=True, help="the school's slug: infra/schools/<slug>.toml")
        if name in ("plan", "deploy", "plan-all", "deploy-all"):
            command.add_argument("--checkov", help="checkov to run (default: $CHECKOV, .venv-checkov, PATH)")
            command.add_argument("--skip-checkov", action="store_true", help="do not run checkov (tests/infra does)")
        if name in ("deploy", "deploy-all"):
            command.add_argument("--allow-replace", action="store_true", help="accept replacing a kept resource")
    commands.choices["plan"].add_argument("--compare", action="store_true", help="diff with the deployed stack")
    deploy = commands.choices["deploy"]
    deploy.add_argument("--admin-email", default=os.environ.get("ADMIN_EMAIL") or None)
    deploy.add_argument("--admin-name", default=os.environ.get("ADMIN_NAME") or None)
    deploy.add_argument("--certificate-arn", default=os.environ.get("CERTIFICATE_ARN") or None)
    commands.choices["preflight"].add_argument("--certificate-arn", default=os.environ.get("CERTIFICATE_ARN") or None)
    commands.choices["cleanup-failed"].add_argument("--yes", action="store_true", help="remove what it lists")
    tail = commands.choices["logs"]
    tail.add_argument("--function", default="api", choices=logs.FUNCTIONS)
    tail.add_argument("--since", type=float, default=60, help="minutes back (default 60)")
    tail.add_argument("--filter", default="", help="a CloudWatch Logs filter pattern, such as ERROR")
    tail.add_argument("--follow", action="store_true", help="keep printing new events until Ctrl-C")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from botocore.exceptions import NoCredentialsError

    checkov = planning.SKIP if getattr(args, "skip_checkov", False) else getattr(args, "checkov", None)
    try:
        if args.command == "plan":
            planning.plan(args.school, checkov_path=checkov, compare=args.compare)
        elif args.command == "deploy":
            run.deploy(
                args.school,
                admin_email=args.admin_email or None,  # make passes "" when ADMIN_EMAIL is not given
                admin_name=args.admin_name or None,
                certificate_arn=args.certificate_arn or None,
                checkov_path=checkov,
                allow_replace=args.allow_replace,
            )
        elif args.command == "preflight":
            target = build.validate(args.school)
            os.environ["AWS_DEFAULT_REGION"] = target.region
            say(f"Preflight for {args.school}: {target.school.url} in {target.region} (read-only)")
            findings = preflight.preflight(Deployer(target), certificate_arn=args.certificate_arn or None)
            return 0 if preflight.report(findings) else 1
        elif args.command == "cleanup-failed":
            cleanup.cleanup_failed(Deployer(build.validate(args.school)), yes=args.yes)
        elif args.command == "plan-all":
            trust.each_school(lambda slug: planning.plan(slug, checkov_path=checkov))
        elif args.command == "deploy-all":
            admins = build.trust().first_admins

            def deploy_one(slug: str) -> None:
                admin = admins.get(slug, {})
                run.deploy(
                    slug,
                    admin_email=admin.get("email"),
                    admin_name=admin.get("name"),
                    checkov_path=checkov,
                    allow_replace=args.allow_replace,
                )

            trust.each_school(deploy_one)
        elif args.command == "status":
            trust.print_status(trust.status([Deployer(build.validate(slug)) for slug in build.trust().schools]))
        elif args.command == "logs":
            logs.tail(
                Deployer(build.validate(args.school)),
                args.function,
                since_minutes=args.since,
                pattern=args.filter,
                follow=args.follow,
            )
    except (BuildError, DeployError) as error:
        print(f"Stopped: {error}", file=sys.stderr)
        return 1
    except NoCredentialsError:
        print(
            "Stopped: no AWS credentials. `make plan` needs none; this does (AWS_PROFILE=…).",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
