import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pilotage.env

REPO = Path(__file__).resolve().parents[3]


def run_pilotage(args, tmp_path, **env):
    return subprocess.run(
        [sys.executable, "-m", "pilotage.cli", *args],
        env={**os.environ, "PILOTAGE_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_the_deploy_check_without_warning(tmp_path):
    result = run_pilotage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        PILOTAGE_PRODUCTION="1",
        PILOTAGE_ALLOWED_HOSTS="pilotage.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_mode_does_not_pass_it(tmp_path):
    # Proves the check above can fail: without production mode, HSTS and secure cookies are off.
    result = run_pilotage(["check", "--deploy", "--fail-level", "WARNING"], tmp_path)
    assert result.returncode != 0


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_pilotage(["shell", "--no-imports", "-c", code], tmp_path).stdout.strip()
    second = run_pilotage(["shell", "--no-imports", "-c", code], tmp_path).stdout.strip()
    assert len(first) >= 50 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    given = run_pilotage(
        ["shell", "--no-imports", "-c", code], tmp_path, PILOTAGE_SECRET_KEY="x" * 60
    )
    assert given.stdout.strip() == "x" * 60


def test_sqlite_runs_in_wal_with_immediate_transactions(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: this run is on " + connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_every_environment_variable_is_documented():
    documented = set(
        re.findall(r"^\| `([A-Z_]+)`", (REPO / "docs/configuration.md").read_text(), re.M)
    )
    assert pilotage.env.READ, "settings were not read through pilotage.env"
    assert set(pilotage.env.READ) <= documented, set(pilotage.env.READ) - documented
