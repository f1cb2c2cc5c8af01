"""The strict fake Bot API server, which lives in the shipped package `fakeapi` (the demo runs on
it). `tests.fakebot` and its submodules (`tests.fakebot.server`, `.html`, …) stay importable
under their old names: they are the same module objects as `fakeapi`'s."""

import importlib
import sys

import fakeapi
from fakeapi import *  # noqa: F403
from fakeapi import __all__  # noqa: F401

for _name in ("html", "limits", "methods", "models", "schema", "server", "world"):
    sys.modules[f"{__name__}.{_name}"] = importlib.import_module(f"fakeapi.{_name}")
    setattr(sys.modules[__name__], _name, sys.modules[f"{__name__}.{_name}"])

del fakeapi
