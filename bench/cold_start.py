"""Cold start: the import time of app.py against the import of the libraries it loads, alone.

    python bench/cold_start.py [--runs 9]

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


def run(code: str) -> str:
    import os

    env = {**os.environ, **ENV_FOR_IMPORT}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

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
