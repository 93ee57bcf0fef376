"""Shared locations for the analytics tests.

The published event logs live in the shared directory beside the repository. A missing file
is a failure, never a skip: a suite that silently stops comparing against PM4Py would hide
regressions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
EVENTLOGS = SHARED / "data" / "eventlogs"


@pytest.fixture(scope="session")
def eventlogs() -> Path:
    for name in ("receipt.csv", "interval_event_log.xes", "running-example.xes"):
        assert (EVENTLOGS / name).is_file(), f"missing test data: {EVENTLOGS / name}"
    return EVENTLOGS


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare pytest-django's ini key, for runs with the plugin disabled (``-p no:django``).

    These tests need no Django, so they are run without pytest-django; the project's
    ``DJANGO_SETTINGS_MODULE`` setting would then be an unknown key, which ``--strict-config``
    style checking and warnings-as-errors turn into a failure. With the plugin enabled this
    re-declares the same string option, which changes nothing.
    """
    parser.addini("DJANGO_SETTINGS_MODULE", "Django settings module used by pytest-django.")
