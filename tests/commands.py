"""Run a command kept in tests/ (the benchmarks, the load test) as `python -m tests.X`: the
same Django set-up as manage.py, without shipping the command inside the apps."""

from __future__ import annotations

import importlib
import os
import sys

import django


def main(module: str, name: str) -> None:
    """Set Django up, then import `module` (it may import models) and run its `Command`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slaweb.settings")
    django.setup()
    command = importlib.import_module(module).Command
    command().run_from_argv(["python -m", name, *sys.argv[1:]])
