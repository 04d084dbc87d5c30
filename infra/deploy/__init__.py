"""Deploying and running a trust's per-school stacks, split by what each part drives:

- `planning`: `make plan` — validate, build, package, lint, list (no AWS);
- `preflight`: `make preflight` — can this account and region run the school (read-only; deploy's first step);
- `stack`: the deploy bucket, the package, CloudFormation by change set (a replacement of kept data refused);
- `site`: the static site's upload (fingerprinted assets cached for good) and the CDN's invalidation;
- `email`: the SES identity, DKIM, the sandbox; `admin`: the school's first admin account;
- `run`: `make deploy` — all of it, in order; `cleanup`: `make cleanup-failed`;
- `trust`: `make plan-all`, `make deploy-all`, `make status`; `logs`: `make logs`;
- `cli`: the command line (`python -m infra.deploy <command>`), `aws`: the Deployer joining the AWS parts.
"""

from infra.deploy.aws import Deployer
from infra.deploy.base import DeployError, covers
from infra.deploy.cli import main
from infra.deploy.planning import SKIP, compare_templates, plan, prepare
from infra.deploy.run import deploy

__all__ = ["SKIP", "DeployError", "Deployer", "compare_templates", "covers", "deploy", "main", "plan", "prepare"]
