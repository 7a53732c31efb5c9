"""Run a command kept in tests/ (the benchmarks, the load test) as `python -m tests.X`: the
same Django set-up as manage.py, without shipping the command inside the apps."""

from __future__ import annotations

import os
import sys

import django
from django.core.management.base import BaseCommand


def main(command: type[BaseCommand], name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slaweb.settings")
    django.setup()
    command().run_from_argv([f"python -m {name}", name, *sys.argv[1:]])
