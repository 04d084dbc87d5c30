"""The models load by module on first use (chalicelib/models/__init__.py): every name is findable, every table is
named however late its module loads, and a cold start that reads only accounts never builds the other models."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

from pynamodb.models import Model

from chalicelib import models


def test_every_model_index_and_map_of_each_module_is_known_by_name():
    for module_name in ("accounts", "sign_in", "records"):
        module = importlib.import_module(f"chalicelib.models.{module_name}")
        defined = {
            name
            for name, value in vars(module).items()
            if inspect.isclass(value) and value.__module__ == module.__name__
        }
        known = {name for name, home in models._HOMES.items() if home == module_name}
        assert defined == known, module_name
        assert all(getattr(models, name) is getattr(module, name) for name in defined)


def test_every_model_with_a_table_is_one_of_the_tables():
    with_tables = {getattr(models, name) for name in models._HOMES if issubclass(getattr(models, name), Model)}
    assert with_tables == set(models.MODELS.values())


def test_a_module_loaded_after_binding_names_its_tables_as_it_loads():
    code = """
import sys
from chalicelib import models
models.bind("lantern-x-")
assert "chalicelib.models.records" not in sys.modules
from chalicelib.models import Incident, Staff
print(Incident.Meta.table_name, Staff.Meta.table_name)
"""
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert shown == ["lantern-x-incidents", "lantern-x-staff"]


def test_importing_the_app_builds_only_the_accounts_models():
    code = """
import sys
import app
print(" ".join(sorted(name for name in sys.modules if name.startswith("chalicelib.models"))))
"""
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == ["chalicelib.models", "chalicelib.models.accounts"]


def test_an_unknown_name_is_an_attribute_error():
    try:
        models.NoSuchModel  # noqa: B018 - the lookup is the test
    except AttributeError as error:
        assert "NoSuchModel" in str(error)
    else:
        raise AssertionError("an unknown model name was found")
