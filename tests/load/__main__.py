"""`python -m tests.load`: the load test (tests/load/run.py) with Django set up first."""

from tests.commands import main

main("tests.load.run", "tests.load")
