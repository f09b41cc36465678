"""The ops tests run against the same service as the console tests (tests/console/conftest.py)."""

from tests.console.conftest import svc  # noqa: F401 - the fixture, shared

