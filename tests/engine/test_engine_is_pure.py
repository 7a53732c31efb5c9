"""The engine is plain Python: importing it must not load Django or DRF."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_engine_loads_no_django() -> None:
    code = (
        "import sys, pkgutil, importlib, policies.engine as engine\n"
        "for module in pkgutil.iter_modules(engine.__path__):\n"
        "    importlib.import_module(f'policies.engine.{module.name}')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'rest_framework', 'django_filters', 'polymorphic'))\n"
        "import json\n"
        "print(json.dumps([loaded, len(list(pkgutil.iter_modules(engine.__path__)))]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    loaded, count = json.loads(result.stdout)
    assert loaded == []
    assert count >= 4  # vocabulary, types, conditions, clock and the rest were imported
