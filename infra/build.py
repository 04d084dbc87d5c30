"""Everything a deploy does that needs no AWS: validate the settings, build the site, package the app with the
stack merged in, and say what the template holds.

The app is packaged from a staging copy (build/deploy/<school>/app): app.py, chalicelib/ with the school's
settings file copied in as chalicelib/school.toml (what LANTERN_SETTINGS names), requirements.txt and
.chalice/config.json, in which the staging copy alone sets `manage_iam_role: false` so that every function's
role is the one infra/stack.yaml writes. Nothing is written into the working tree outside build/.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from chalicelib.settings import SchoolSettings, SettingsError, load_school
from infra import template as merge
from tools import build_site

ROOT = Path(__file__).resolve().parent.parent
TRUST = ROOT / "infra" / "trust.toml"
BUILD = ROOT / "build" / "deploy"
CHALICE_CACHE = BUILD / ".chalice-cache"  # Chalice's dependency cache, shared by every school and the tests
STAGE = "api"
PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/lantern-role-comes-from-infra-stack-yaml"
PLAN_CERTIFICATE = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"


class BuildError(RuntimeError):
    """Something the operator must fix before the stack can be built; the message says what."""


@dataclass(frozen=True)
class Target:
    """One school's stack: everything derived from its settings file."""

    school: SchoolSettings
    settings_file: Path
    alarm_email: str = ""  # infra/trust.toml

    @property
    def slug(self) -> str:
        return self.school.slug

    @property
    def stack_name(self) -> str:
        return f"lantern-{self.slug}"

    @property
    def table_prefix(self) -> str:
        return f"lantern-{self.slug}-"

    @property
    def region(self) -> str:
        return self.school.aws_region

    @property
    def host(self) -> str:
        return self.school.url.removeprefix("https://")

    @property
    def sender_domain(self) -> str:
        return self.school.sender_email.rsplit("@", 1)[1].lower()

    def parameters(self, certificate_arn: str, create_ses_identity: bool | None = True) -> dict[str, str | None]:
        """The stack's parameters; None means "keep the stack's previous value"."""
        return {
            "School": self.slug,
            "SchoolHost": self.host,
            "SenderDomain": self.sender_domain,
            "CertificateArn": certificate_arn,
            "CreateSesIdentity": None if create_ses_identity is None else str(create_ses_identity).lower(),
            "AlarmEmail": self.alarm_email,
        }


@dataclass(frozen=True)
class Package:
    target: Target
    work: Path  # build/deploy/<school>
    site: Path
    template_path: Path
    zip_path: Path

    @property
    def template(self) -> dict:
        return json.loads(self.template_path.read_text(encoding="utf-8"))

    def zip_sha256(self) -> str:
        digest = hashlib.sha256()
        with self.zip_path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def say(message: str) -> None:
    print(message, flush=True)


# --- 1. validate ------------------------------------------------------------------------------------------------


def validate(slug: str, schools: Path = build_site.SCHOOLS) -> Target:
    """Load the school's settings and check what a deployed stack needs beyond what the app checks."""
    path = schools / f"{slug}.toml"
    try:
        school = load_school(path)
    except SettingsError as error:
        raise BuildError(str(error)) from None
    host = school.url.removeprefix("https://")
    if ":" in host:
        raise BuildError(f"{path}: url: a deployed school is served on port 443; remove the port from {school.url!r}")
    if host != host.lower() or "." not in host:
        raise BuildError(f"{path}: url: {school.url!r} needs a lower-case, fully qualified host name")
    if school.sender_email != school.sender_email.lower():
        raise BuildError(f"{path}: sender_email: write it in lower case")
    check_chalice_config()
    return Target(school=school, settings_file=path, alarm_email=trust(schools.parent / "trust.toml").alarm_email(slug))


@dataclass(frozen=True)
class Trust:
    """infra/trust.toml: the trust's schools (in deploy order) and who gets their alarms."""

    schools: tuple[str, ...]
    default_alarm_email: str
    alarm_email_for: dict
    first_admins: dict = None  # slug → {"email", "name"}: who deploy-all makes each school's first admin

    def alarm_email(self, slug: str) -> str:
        return self.alarm_email_for.get(slug, self.default_alarm_email)


def trust(path: Path = TRUST) -> Trust:
    """Read infra/trust.toml (an absent file: every school in infra/schools, no alarm email)."""
    import re
    import tomllib

    if not path.exists():
        return Trust(tuple(sorted(p.stem for p in path.parent.glob("schools/*.toml"))), "", {}, {})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise BuildError(f"{path}: {error}") from None
    known = {"schools", "alarm_email", "alarm_email_for", "first_admin"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise BuildError(f"{path}: {unknown[0]} is not a trust setting ({', '.join(sorted(known))})")
    first_admins = data.get("first_admin", {})
    for slug, admin in first_admins.items():
        if not isinstance(admin, dict) or set(admin) != {"email", "name"}:
            raise BuildError(f'{path}: first_admin.{slug}: write {{ email = "…", name = "…" }}')
    schools = data.get("schools", [])
    if (
        not isinstance(schools, list)
        or not all(isinstance(s, str) for s in schools)
        or len(set(schools)) != len(schools)
    ):
        raise BuildError(f"{path}: schools must be a list of distinct school slugs")
    for slug in schools:
        if not (path.parent / "schools" / f"{slug}.toml").exists():
            raise BuildError(f"{path}: schools: there is no infra/schools/{slug}.toml")
    emails = {"": data.get("alarm_email", ""), **data.get("alarm_email_for", {})}
    for where, email in emails.items():
        if not isinstance(email, str) or (email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
            raise BuildError(
                f"{path}: alarm_email{'_for.' + where if where else ''}: {email!r} is not an email address"
            )
    return Trust(tuple(schools), emails.pop(""), emails, first_admins)


def chalice_config(root: Path = ROOT) -> dict:
    return json.loads((root / ".chalice" / "config.json").read_text(encoding="utf-8"))


def settings_path_in_package(config: dict) -> str:
    """Where LANTERN_SETTINGS points in the deployed function (a path inside chalicelib/)."""
    stage = config.get("stages", {}).get(STAGE, {})
    variables = {**config.get("environment_variables", {}), **stage.get("environment_variables", {})}
    return variables.get("LANTERN_SETTINGS", "")


def check_chalice_config(root: Path = ROOT) -> None:
    config = chalice_config(root)
    problems = []
    if STAGE not in config.get("stages", {}):
        problems.append(f'it needs the stage "{STAGE}" (the API Gateway stage the CDN routes /api/* to)')
    autogen = config.get("stages", {}).get(STAGE, {}).get("autogen_policy", config.get("autogen_policy", True))
    if autogen is not False:
        problems.append('"autogen_policy" must be false: each function\'s policy is written in infra/stack.yaml')
    settings = settings_path_in_package(config)
    if not settings.startswith("chalicelib/") or ".." in settings:
        problems.append(
            "LANTERN_SETTINGS must name a file inside chalicelib/ (only app.py and chalicelib/ are deployed), "
            f"like chalicelib/school.toml; it is {settings!r}"
        )
    if problems:
        raise BuildError(".chalice/config.json: " + "; ".join(problems))


# --- 2. build the site ------------------------------------------------------------------------------------------


def build_static_site(target: Target, out: Path) -> Path:
    return build_site.build(target.school, out)


# --- 3. package -------------------------------------------------------------------------------------------------


def stage_app(target: Target, dest: Path, root: Path = ROOT, cache: Path = CHALICE_CACHE) -> Path:
    """A clean copy of what Chalice deploys, with the school's settings inside chalicelib/."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    config = chalice_config(root)
    settings_in_package = settings_path_in_package(config)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", Path(settings_in_package).name)
    shutil.copytree(root / "chalicelib", dest / "chalicelib", ignore=ignore)
    shutil.copy2(root / "app.py", dest / "app.py")
    shutil.copy2(root / "requirements.txt", dest / "requirements.txt")
    (dest / settings_in_package).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(target.settings_file, dest / settings_in_package)
    # Roles come from the merge template: Chalice is told to create none and to use a placeholder that
    # infra/stack.yaml replaces (package() refuses a template in which any placeholder is left).
    config["manage_iam_role"] = False
    config["iam_role_arn"] = PLACEHOLDER_ROLE
    for stage in config.get("stages", {}).values():
        stage.pop("manage_iam_role", None)
        stage.pop("iam_role_arn", None)
        for function in stage.get("lambda_functions", {}).values():
            function.pop("manage_iam_role", None)
            function.pop("iam_role_arn", None)
    (dest / ".chalice").mkdir()
    (dest / ".chalice" / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    cache.mkdir(parents=True, exist_ok=True)
    (dest / ".chalice" / "deployments").symlink_to(cache.resolve(), target_is_directory=True)
    return dest


# Chalice caches a whole package (dependencies + app) under a hash of requirements.txt *and* the app's files, so
# any code change, or another school's settings file, rebuilds the dependencies with pip (15-20 s, network).
# Lantern keeps the dependencies alone, keyed by requirements.txt, and seeds Chalice's cache with them plus the
# current app files, written exactly as Chalice writes them (its own file list and zip class).


def _packager():
    from chalice.deploy.packager import LambdaDeploymentPackager
    from chalice.utils import OSUtils

    return LambdaDeploymentPackager(OSUtils(), None, None)


def _python_version() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def _dependencies_zip(staging: Path, cache: Path) -> Path:
    requirements = hashlib.sha256((staging / "requirements.txt").read_bytes()).hexdigest()[:32]
    return cache / "dependencies" / f"{requirements}-{_python_version()}.zip"


def _is_app_file(name: str) -> bool:
    return name in ("app.py", "chalice/app.py", "chalice/__init__.py") or name.startswith("chalicelib/")


def seed_chalice_cache(staging: Path, cache: Path = CHALICE_CACHE) -> bool:
    """Put the package Chalice would build into its cache, from cached dependencies. True if it did."""
    import zipfile

    packager = _packager()
    wanted = Path(packager.deployment_package_filename(str(staging), _python_version()))
    dependencies = _dependencies_zip(staging, cache)
    if wanted.exists() or not dependencies.exists():
        return False
    partial = wanted.with_suffix(".partial")
    with zipfile.ZipFile(dependencies) as source, packager._osutils.open_zip(str(partial), "w") as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        for full_path, zip_path in packager._iter_app_filenames(str(staging)):
            out.write(full_path, zip_path)
    partial.rename(wanted)
    return True


def remember_dependencies(staging: Path, cache: Path = CHALICE_CACHE, keep: int = 4) -> None:
    """Keep the dependencies of the package Chalice just built; prune Chalice's cache to the newest `keep`."""
    import zipfile

    built = Path(_packager().deployment_package_filename(str(staging), _python_version()))
    dependencies = _dependencies_zip(staging, cache)
    if built.exists() and not dependencies.exists():
        dependencies.parent.mkdir(parents=True, exist_ok=True)
        partial = dependencies.with_suffix(".partial")
        with zipfile.ZipFile(built) as source, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                if not _is_app_file(info.filename):
                    out.writestr(info, source.read(info))
        partial.rename(dependencies)
    packages = sorted(cache.glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in packages[keep:]:
        old.unlink(missing_ok=True)


def chalice_command() -> list[str]:
    chalice = Path(sys.executable).with_name("chalice")
    return [str(chalice)] if chalice.exists() else [sys.executable, "-m", "chalice.cli"]


def package(target: Target, work: Path, *, site: Path | None = None, root: Path = ROOT) -> Package:
    """Build the site (unless given), stage the app (from `root`), write the merge template, `chalice package`."""
    work.mkdir(parents=True, exist_ok=True)
    if site is None:
        site = build_static_site(target, work / "site")
    staging = stage_app(target, work / "app", root=root)
    merge_path = work / "merge.json"
    merge_path.write_text(json.dumps(merge.merge_template(), indent=1), encoding="utf-8")
    out = work / "package"
    if out.exists():
        shutil.rmtree(out)
    env = {**os.environ, "AWS_DEFAULT_REGION": target.region, "AWS_REGION": target.region}
    started = time.monotonic()
    seed_chalice_cache(staging)
    result = subprocess.run(  # noqa: S603 - our own venv's chalice, fixed arguments
        [*chalice_command(), "package", "--stage", STAGE, "--merge-template", str(merge_path), str(out)],
        cwd=staging,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BuildError(f"chalice package failed:\n{result.stdout}{result.stderr}")
    remember_dependencies(staging)
    compile_package(out / "deployment.zip")
    built = Package(
        target=target,
        work=work,
        site=site,
        template_path=out / "sam.json",
        zip_path=out / "deployment.zip",
    )
    text = built.template_path.read_text(encoding="utf-8")
    if PLACEHOLDER_ROLE in text:
        functions = [
            name
            for name, resource in built.template["Resources"].items()
            if resource["Type"] == "AWS::Serverless::Function"
            and resource["Properties"].get("Role") == PLACEHOLDER_ROLE
        ]
        raise BuildError(
            "these functions have no role of their own in infra/stack.yaml: "
            + ", ".join(functions)
            + ". Add `<Function>: Properties: {FunctionName, Role}` and a `<Function>Role` with its own written "
            "policy, and a log group, as for APIHandler."
        )
    say(f"  packaged in {time.monotonic() - started:.1f} s: {built.zip_path.stat().st_size / 1e6:.1f} MB")
    return built


def compile_package(zip_path: Path) -> int:
    """Add a `.pyc` beside every module of the package, so that Lambda (whose /var/task is read-only, where Python
    cannot write them) does not compile every module it imports on every cold start. Unchecked-hash `.pyc` files:
    used as they are, whatever the files' times in the zip. Compiled by this Python, which must be the runtime's
    (python3.11: checked by `chalice package`). Returns how many were added; a package that has them is left."""
    import importlib.util
    import zipfile

    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        if any(name.endswith(".pyc") for name in names):
            return 0
        sources = [(name, archive.read(name)) for name in names if name.endswith(".py")]
    tag = sys.implementation.cache_tag
    added = 0
    with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as archive:
        for name, source in sources:
            try:
                code = compile(source, f"/var/task/{name}", "exec", dont_inherit=True)
            except SyntaxError:
                continue  # a file no import reaches (templates, Python 2 leftovers in a dependency)
            folder, _, module = name.rpartition("/")
            pyc = f"{folder + '/' if folder else ''}__pycache__/{module[:-3]}.{tag}.pyc"
            data = importlib._bootstrap_external._code_to_hash_pyc(  # the stdlib's own writer (py_compile uses it)
                code, importlib.util.source_hash(source), checked=False
            )
            info = zipfile.ZipInfo(pyc, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
            added += 1
    return added


# --- what the template holds --------------------------------------------------------------------------------


def _sub(value, parameters: dict[str, str]) -> str:
    """A readable value: parameters substituted, other references left as ${Name}."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for name, given in parameters.items():
            text = text.replace("${" + name + "}", given or "")
        return text
    if isinstance(value, dict) and "Ref" in value:
        return parameters.get(value["Ref"]) or "${" + value["Ref"] + "}"
    if isinstance(value, int | float):
        return str(value)
    return "(set by CloudFormation)"


def describe(resource: dict, parameters: dict[str, str]) -> str:
    """One line on what a resource is, for plan's output."""
    kind = resource["Type"]
    properties = resource.get("Properties", {})
    notes = []
    if kind == "AWS::DynamoDB::Table":
        notes.append(_sub(properties["TableName"], parameters))
        if properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            notes.append("PITR")
        if properties.get("DeletionProtectionEnabled"):
            notes.append("deletion protection")
        if properties.get("SSESpecification", {}).get("KMSMasterKeyId"):
            notes.append("KMS (school key)")
        if "TimeToLiveSpecification" in properties:
            notes.append(f"TTL {properties['TimeToLiveSpecification']['AttributeName']}")
        for index in properties.get("GlobalSecondaryIndexes", []):
            notes.append(f"GSI {index['IndexName']} ({index['Projection']['ProjectionType']})")
    elif kind == "AWS::S3::Bucket":
        encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        notes.append(encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"])
        if properties.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            notes.append("versioned")
        if all(properties.get("PublicAccessBlockConfiguration", {}).values()):
            notes.append("public access blocked")
    elif kind in ("AWS::Serverless::Function", "AWS::Logs::LogGroup", "AWS::IAM::Role"):
        for key in ("FunctionName", "LogGroupName", "RetentionInDays", "MemorySize", "Timeout"):
            if key in properties:
                notes.append(f"{key} {_sub(properties[key], parameters)}")
        if kind == "AWS::IAM::Role":
            notes.append("policies: " + ", ".join(p["PolicyName"] for p in properties.get("Policies", [])))
    elif kind == "AWS::CloudFront::Distribution":
        config = properties["DistributionConfig"]
        notes.append(", ".join(_sub(alias, parameters) for alias in config.get("Aliases", [])))
        notes.append(config["ViewerCertificate"]["MinimumProtocolVersion"])
        notes.append("/api/* → API, everything else → site bucket")
    elif kind == "AWS::Serverless::Api":
        settings = properties.get("MethodSettings", [{}])[0]
        notes.append(f"stage {properties.get('StageName')}")
        notes.append(f"throttle {settings.get('ThrottlingRateLimit')}/s burst {settings.get('ThrottlingBurstLimit')}")
    elif kind == "AWS::SES::EmailIdentity":
        notes.append(f"{_sub(properties['EmailIdentity'], parameters)} with DKIM")
    if resource.get("DeletionPolicy") == "Retain":
        notes.append("kept if deleted")
    return "; ".join(note for note in notes if note)


def summary(template: dict, parameters: dict[str, str]) -> list[str]:
    lines = []
    for name, resource in sorted(template["Resources"].items(), key=lambda item: (item[1]["Type"], item[0])):
        about = describe(resource, parameters)
        lines.append(f"{resource['Type']:<42} {name:<28} {about}".rstrip())
    return lines
