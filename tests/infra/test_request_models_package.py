"""The request models work from the Lambda package itself: pydantic and pydantic_core (its compiled core, a
manylinux2014 wheel for Lambda's python3.11 on glibc 2.26) are in the package, unpacked as /var/task, with nothing
but the package and the standard library on the path; and importing the app does not import pydantic."""

from __future__ import annotations

import subprocess
import sys
import zipfile

READ_REQUESTS = r"""
import sys
import app
assert "pydantic" not in sys.modules, "the app's import loaded pydantic: it should load on the first request"
from chalicelib.errors import InvalidInputError
from chalicelib.web import routing
login = routing.request_models().read_body(routing.model_named("SignIn"), b'{"email": " a@b.org ", "password": "x"}')
assert login.email == "a@b.org"
try:
    routing.request_models().read_body(routing.model_named("SignIn"), b'{"email": 12, "password": "x", "x": 1}')
except InvalidInputError as error:
    assert error.fields == {"email": "Email address must be text.", "x": "This is not a field Lantern expects."}
else:
    raise AssertionError("a number was taken as an email address")
upload = routing.model_named("roster_requests.RosterUpload")
assert routing.request_models().read_body(upload, b'{"kind": "staff", "csv": "a,b"}').full is False
import pydantic_core
assert pydantic_core.__file__.startswith(sys.argv[1]), pydantic_core.__file__
print("request models ok")
"""


def test_the_package_reads_requests_through_pydantic(packaged, tmp_path):
    with zipfile.ZipFile(packaged.zip_path) as package:
        names = package.namelist()
        package.extractall(tmp_path)
    assert any(name.startswith("pydantic/") for name in names)
    assert any(name.startswith("pydantic_core/_pydantic_core") and name.endswith(".so") for name in names)
    env = {"PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1", "LANTERN_SETTINGS": "chalicelib/school.toml"}
    done = subprocess.run(
        [sys.executable, "-S", "-c", READ_REQUESTS, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.strip() == "request models ok", done.stderr
