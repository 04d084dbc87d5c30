"""Cold start: the import time of app.py against the import of the libraries it loads, alone.

    python bench/cold_start.py [--runs 9] [--package build/deploy/themead/package/deployment.zip]

Measured as the function runs: from the deployment package (`make plan` builds it) unpacked on a read-only file
system, as Lambda's /var/task, where Python cannot write `.pyc` files, without the venv (only the package and the
standard library on the path). Twice: the package as Chalice makes it (no `.pyc`: every cold start compiles
every module it imports), and with the `.pyc` files Lantern's build adds (infra/build.py, `compile_package`).
Without a package it measures the working tree, as before.

Each measurement is a fresh interpreter, the two kinds interleaved; the ratio (target ≤ 1.2) is of the fastest
runs (as timeit does: slower runs measure the shared machine's noise, not the code), medians printed beside.
Exits non-zero if importing the app creates any AWS client (every client must be created on first use).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ENV_FOR_IMPORT = {"LANTERN_SETTINGS": "infra/schools/themead.toml", "LANTERN_TABLE_PREFIX": "lantern-themead-"}

# Every third-party module (full dotted name) that importing the app loads, in the order it was loaded.
FIND_LIBRARIES = """
import sys
before = set(sys.modules)
import app
stdlib = set(sys.stdlib_module_names)
ours = ('app', 'chalicelib')
print(' '.join(
    name for name in list(sys.modules)
    if name not in before and name.split('.')[0] not in stdlib and name.split('.')[0] not in ours
    and not name.startswith('_')
))
"""

TIMED_IMPORT = """
import json, time
import chalicelib  # as in Lambda, before botocore: its __init__ keeps botocore from loading pyOpenSSL (in neither)
import botocore.session
created = []
original = botocore.session.Session.create_client
def spy(self, service_name, *args, **kwargs):
    created.append(service_name)
    return original(self, service_name, *args, **kwargs)
botocore.session.Session.create_client = spy
started = time.perf_counter()
{imports}
elapsed = time.perf_counter() - started
print(json.dumps({{"seconds": elapsed, "clients": created}}))
"""


HERE = {"cwd": ROOT, "isolated": False}


def run(code: str) -> str:
    import os

    env = {**os.environ, **ENV_FOR_IMPORT}
    command = [sys.executable, "-c", code]
    if HERE["isolated"]:  # only the unpacked package and the standard library, as in Lambda; no .pyc written
        env |= {
            "PYTHONPATH": str(HERE["cwd"]),
            "PYTHONDONTWRITEBYTECODE": "1",
            "LANTERN_SETTINGS": "chalicelib/school.toml",
        }
        command = [sys.executable, "-S", "-c", code]
    return subprocess.run(command, cwd=HERE["cwd"], env=env, check=True, capture_output=True, text=True).stdout


def unpack(package: Path, into: Path, *, compiled: bool) -> Path:
    """The package as Lambda's /var/task: unpacked, then read-only (with Lantern's .pyc when `compiled`)."""
    import os
    import zipfile

    from infra.build import compile_package

    target = into / ("compiled" if compiled else "as-chalice-makes-it")
    source = package
    if compiled:
        source = into / "compiled.zip"
        source.write_bytes(package.read_bytes())
        compile_package(source)
    with zipfile.ZipFile(source) as archive:  # without: as Chalice makes it, so no .pyc at all
        archive.extractall(target, [n for n in archive.namelist() if compiled or not n.endswith(".pyc")])
    for folder, _, names in os.walk(target):
        for name in names:
            os.chmod(os.path.join(folder, name), 0o444)
        os.chmod(folder, 0o555)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--package", type=Path, default=ROOT / "build/deploy/themead/package/deployment.zip")
    args = parser.parse_args()
    if not args.package.exists():
        print(f"No package at {args.package}: measuring the working tree (`make plan` builds the package)")
        return measure(args.runs)
    import tempfile

    status = 0
    with tempfile.TemporaryDirectory() as scratch:
        for compiled in (False, True):
            HERE["cwd"], HERE["isolated"] = unpack(args.package, Path(scratch), compiled=compiled), True
            print(f"From {args.package}, read-only, {'with' if compiled else 'without'} .pyc files:")
            status |= measure(args.runs)
        for folder in Path(scratch).rglob("*"):
            if folder.is_dir():
                folder.chmod(0o755)
        Path(scratch).chmod(0o755)
    return status


def measure(runs: int) -> int:
    class args:  # noqa: N801 - the old single measurement's argument
        pass

    args.runs = runs
    libraries = run(FIND_LIBRARIES).split()
    # botocore.session is imported first in both runs (by the spy), so it counts in neither.
    library_imports = "\n".join(f"try: import {name}\nexcept ImportError: pass" for name in libraries)
    app_times, library_times, clients = [], [], []
    for _ in range(args.runs):
        measured = json.loads(run(TIMED_IMPORT.format(imports="import app")))
        app_times.append(measured["seconds"])
        clients += measured["clients"]
        library_times.append(json.loads(run(TIMED_IMPORT.format(imports=library_imports)))["seconds"])

    ratio = min(app_times) / min(library_times)
    packages = sorted({name.split(".")[0] for name in libraries})
    print(f"libraries loaded by app.py: {', '.join(packages)} ({len(libraries)} modules)")
    print(f"fresh interpreters: {args.runs} of each")
    for label, times in (("import app.py", app_times), ("import libraries alone", library_times)):
        print(f"{label:<24} fastest {min(times) * 1000:6.1f} ms   median {statistics.median(times) * 1000:6.1f} ms")
    print(f"ratio app / libraries    {ratio:5.2f}  (target <= 1.20: {'met' if ratio <= 1.2 else 'MISSED'})")
    print(f"AWS clients created at import: {len(clients)} {sorted(set(clients)) or ''}")
    if clients:
        print("FAIL: importing the app created AWS clients; create them on first use (chalicelib/aws.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
