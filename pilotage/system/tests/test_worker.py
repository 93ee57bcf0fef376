"""A task enqueued by a request is run by a real `pilotage worker` process."""

import os
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult


def database_url() -> str:
    """The test database, as a URL the worker process can open."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{host}:{port}/{s['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_request_enqueues_and_a_worker_process_runs_it(client, alice, tmp_path):
    response = client.post(reverse("password_reset"), {"email": "alice@example.org"})
    assert response.status_code == 302
    result = DBTaskResult.objects.get()
    assert result.status == "READY"

    outbox = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PILOTAGE_DATA_DIR": str(tmp_path / "data"),
        "PILOTAGE_EMAIL_FILE_PATH": str(outbox),
        "PILOTAGE_EMAIL_HOST": "",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "pilotage.cli", "worker", "--interval", "0.2", "--no-startup-delay"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            result.refresh_from_db()
            if result.status in {"SUCCESSFUL", "FAILED"}:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert result.status == "SUCCESSFUL", output
    sent = list(outbox.iterdir())
    assert len(sent) == 1
    message = sent[0].read_text()
    assert "To: alice@example.org" in message
    assert "/password/reset/" in message
