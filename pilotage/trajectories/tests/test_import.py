"""Event-log imports: the published logs end to end through the worker's task, pseudonymisation,
"twice is once", refusals named by file, row and field, atomicity, withdrawal, the pages."""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.apps import apps
from django.core import serializers
from django.db import connection
from django.test import TestCase
from django.urls import include, path, reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from pilotage.organisation.models import AuditEntry, Membership, Person, Role
from pilotage.trajectories import actions, storage, tasks
from pilotage.trajectories.actions import AlreadyImported, do_queue_import, do_withdraw_import
from pilotage.trajectories.models import EventImport, ImportStatus

pytestmark = [
    pytest.mark.usefixtures("storage_dirs"),
    pytest.mark.urls("pilotage.trajectories.tests.test_import"),
]

# The project's URLs with the import pages mounted where pilotage/trajectories/urls.py
# includes them (so the tests pass before and after that include).
urlpatterns = [
    path("trajectories/", include("pilotage.trajectories.import_views")),
    path("", include("pilotage.urls")),
]


def queue(trajectory, path: Path, user=None, name: str | None = None, **kwargs) -> EventImport:
    return do_queue_import(
        trajectory,
        path.read_bytes(),
        name or path.name,
        kwargs.pop("file_format", None),
        kwargs.pop("mapping", {}),
        user,
        **kwargs,
    )


def run(batch: EventImport) -> EventImport:
    """Run the import task as the worker would, then what it queued on commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.run_import.call(batch.pk)
    batch.refresh_from_db()
    return batch


def parquet_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def enqueued(task_name: str) -> list[DBTaskResult]:
    return [r for r in DBTaskResult.objects.all() if r.task_path.endswith(task_name)]


# --- End to end -----------------------------------------------------------------------------


def test_receipt_csv_imports_through_the_task(receipt_trajectory, eventlogs, diana, storage_dirs):
    batch = queue(receipt_trajectory, eventlogs / "receipt.csv", diana)
    assert batch.status == ImportStatus.QUEUED
    upload = actions.upload_path(batch.sha256, batch.file_name, batch.file_format)
    assert upload.is_file()
    assert stat.S_IMODE(upload.stat().st_mode) == 0o600

    batch = run(batch)

    assert batch.status == ImportStatus.DONE
    assert batch.progress == 100
    assert (batch.n_events, batch.n_cases) == (8577, 1434)
    assert batch.first_event_at.year == 2010 or batch.first_event_at.year == 2011
    assert batch.parquet_path == f"receipt/{batch.pk}-{batch.sha256[:12]}.parquet"
    stored = pq.read_table(storage_dirs["eventlogs"] / batch.parquet_path)
    assert stored.num_rows == 8577
    assert set(stored.column("batch").to_pylist()) == {batch.pk}
    assert not upload.exists()  # the raw file is gone once imported
    # Teams the trajectory does not list are kept, and said.
    (warning,) = [p for p in batch.problems if p["code"] == "unknown_teams"]
    assert warning["level"] == "warning"
    listed = warning["params"]["teams"].split(", ")
    assert "Group 2" in listed
    assert "Group 1" not in listed and "Group 4" not in listed
    # The recomputation is queued for the worker.
    assert [r.args_kwargs["args"] for r in enqueued("recompute_trajectory")] == [
        [receipt_trajectory.pk]
    ]
    assert AuditEntry.objects.filter(action="eventlog.import", object_id=str(batch.pk)).exists()


def test_xes_keeps_start_and_complete_events(jimmy, eventlogs, storage_dirs):
    batch = run(queue(jimmy, eventlogs / "interval_event_log.xes"))
    assert batch.status == ImportStatus.DONE
    table = pq.read_table(storage_dirs["eventlogs"] / batch.parquet_path)
    lifecycles = table.column("lifecycle").to_pylist()
    assert {"start", "complete"} <= set(lifecycles)
    assert batch.n_cases == 1266
    assert batch.n_events == len(lifecycles)


def test_running_example_xes_imports(jimmy, eventlogs):
    batch = run(queue(jimmy, eventlogs / "running-example.xes"))
    assert (batch.status, batch.n_cases, batch.n_events) == (ImportStatus.DONE, 6, 42)


def test_excel_with_a_column_mapping(jimmy, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["dossier", "étape", "quand", "équipe"])
    sheet.append(["D-1", "Signalement", "2024-01-01T10:00:00", "A"])
    sheet.append(["D-1", "Évaluation", "2024-01-05T10:00:00", "A"])
    path = tmp_path / "journal.xlsx"
    workbook.save(path)
    mapping = {"case": "dossier", "activity": "étape", "timestamp": "quand", "team": "équipe"}
    batch = run(queue(jimmy, path, mapping=mapping))
    assert (batch.status, batch.n_events, batch.n_cases, batch.file_format) == (
        ImportStatus.DONE,
        2,
        1,
        "xlsx",
    )
    assert batch.column_mapping == mapping


def test_the_key_is_created_once_private_and_outside_the_database(storage_dirs):
    key_file = storage_dirs["key"]
    assert not key_file.exists()
    key = storage.pseudonym_key()
    assert len(key) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert storage.pseudonym_key() == key
    assert storage.pseudonymiser()("case-1") == storage.pseudonymiser()("case-1")
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary file left


# --- Pseudonymisation -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_no_original_identifier_in_the_parquet_file_or_the_database(
    receipt_trajectory, eventlogs, diana, storage_dirs
):
    with (eventlogs / "receipt.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    cases = {row["case:concept:name"] for row in rows}
    resources = {row["org:resource"] for row in rows} - {""}
    batch = run(queue(receipt_trajectory, eventlogs / "receipt.csv", diana))
    assert batch.status == ImportStatus.DONE
    tasks.recompute_trajectory.call(receipt_trajectory.pk)

    path = storage_dirs["eventlogs"] / batch.parquet_path
    table = pq.read_table(path)
    # Decoded values and metadata, and the file's raw bytes.
    texts = [str(v) for column in table.columns for v in column.to_pylist()]
    texts.append(str(pq.read_metadata(path).metadata))
    decoded = "\n".join(texts)
    raw = path.read_bytes()
    dump = "\n".join(
        serializers.serialize("json", model.objects.all()) for model in apps.get_models()
    )
    database_bytes = b"".join(
        p.read_bytes()
        for p in Path(connection.settings_dict["NAME"]).parent.glob(
            Path(str(connection.settings_dict["NAME"])).name + "*"
        )
        if connection.vendor == "sqlite"
    )
    for identifier in sorted(cases | resources):
        assert identifier not in decoded, identifier
        assert identifier.encode() not in raw, identifier
        assert identifier not in dump, identifier
        assert identifier.encode() not in database_bytes, identifier
    # The pseudonyms are there instead, and teams (which name no person) are kept.
    pseudonym = storage.pseudonymiser()
    assert pseudonym("case-10011") in set(table.column("case").to_pylist())
    assert "Group 1" in set(table.column("team").to_pylist())


# --- Twice is once ----------------------------------------------------------------------------


def test_the_same_file_twice_changes_nothing(jimmy, eventlogs, diana, storage_dirs):
    first = run(queue(jimmy, eventlogs / "running-example.xes", diana))
    files = parquet_files(storage_dirs["eventlogs"])
    uploads = parquet_files(storage_dirs["data"])
    counts = (EventImport.objects.count(), AuditEntry.objects.count(), DBTaskResult.objects.count())

    with pytest.raises(AlreadyImported) as refused:
        queue(jimmy, eventlogs / "running-example.xes", diana, name="renamed.xes")

    assert refused.value.batch == first
    message = refused.value.message
    assert "already imported on" in message
    assert "by Diana: nothing to change" in message
    assert parquet_files(storage_dirs["eventlogs"]) == files
    assert parquet_files(storage_dirs["data"]) == uploads
    assert (
        EventImport.objects.count(),
        AuditEntry.objects.count(),
        DBTaskResult.objects.count(),
    ) == counts


def test_the_same_file_while_queued_is_refused_too(jimmy, eventlogs, diana):
    queue(jimmy, eventlogs / "running-example.xes", diana)
    with pytest.raises(AlreadyImported) as refused:
        queue(jimmy, eventlogs / "running-example.xes", diana)
    assert "already being imported" in refused.value.message
    assert EventImport.objects.count() == 1


def test_the_same_file_for_another_trajectory_is_imported(jimmy, receipt_trajectory, eventlogs):
    one = run(queue(jimmy, eventlogs / "running-example.xes"))
    two = run(queue(receipt_trajectory, eventlogs / "running-example.xes"))
    assert one.status == two.status == ImportStatus.DONE
    assert one.parquet_path != two.parquet_path


def test_a_task_run_twice_imports_once(jimmy, eventlogs, storage_dirs):
    batch = run(queue(jimmy, eventlogs / "running-example.xes"))
    tasks.run_import.call(batch.pk)
    assert len(parquet_files(storage_dirs["eventlogs"])) == 1
    assert EventImport.objects.get().status == ImportStatus.DONE


# --- Refusals ---------------------------------------------------------------------------------

TRUNCATED_XES = """<?xml version="1.0" encoding="UTF-8"?>
<log><trace><string key="concept:name" value="1"/>
<event><string key="concept:name" value="a"/>
<date key="time:timestamp" value="2024-01-01T10:00:00+00:00"/></event>
<event><string key="concept:na"""
ENTITY_XES = """<?xml version="1.0"?>
<!DOCTYPE log [<!ENTITY boom "boom">]>
<log><trace><string key="concept:name" value="&boom;"/></trace></log>"""
HEADER = "case:concept:name,concept:name,time:timestamp\n"


@pytest.mark.parametrize(
    ("name", "content", "code", "row", "field"),
    [
        ("empty.csv", "", "empty_file", None, None),
        ("header-only.csv", HEADER, "no_events", None, None),
        (
            "short-row.csv",
            HEADER + "1,Signalement,2024-01-01T10:00:00\n2,Signalement\n",
            "row_length",
            3,
            None,
        ),
        ("no-date.csv", HEADER + "1,Signalement,\n", "missing_value", 2, "timestamp"),
        ("bad-date.csv", HEADER + "1,Signalement,03/01/2024\n", "bad_timestamp", 2, "timestamp"),
        ("missing-column.csv", "case,activity\n1,a\n", "missing_column", 1, "case"),
        ("truncated.xes", TRUNCATED_XES, "xml_malformed", None, None),
        ("entity.xes", ENTITY_XES, "xml_forbidden", None, None),
        ("truncated.json", '{"resourceType": "Bundle", "entry": [', "json_malformed", None, None),
    ],
)
def test_refused_files_name_the_file_row_and_field(
    jimmy, tmp_path, storage_dirs, name, content, code, row, field
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    batch = run(queue(jimmy, path))

    assert batch.status == ImportStatus.FAILED
    assert batch.n_events == 0
    assert batch.parquet_path == ""
    problem = batch.problems[0]
    assert (problem["file"], problem["code"], problem["row"], problem["field"]) == (
        name,
        code,
        row,
        field,
    )
    assert problem["message"]
    assert parquet_files(storage_dirs["eventlogs"]) == []
    assert not actions.upload_path(batch.sha256, name, batch.file_format).exists()
    assert enqueued("recompute_trajectory") == []


def test_a_refused_file_can_be_imported_again_once_corrected(jimmy, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(HEADER, encoding="utf-8")
    assert run(queue(jimmy, path)).status == ImportStatus.FAILED
    # The same (wrong) content again is simply refused again: a failed batch is not live.
    assert run(queue(jimmy, path)).status == ImportStatus.FAILED
    path.write_text(HEADER + "1,Signalement,2024-01-01T10:00:00\n", encoding="utf-8")
    assert run(queue(jimmy, path)).status == ImportStatus.DONE


def test_unknown_format_and_mapping_are_refused_before_anything_is_written(
    jimmy, tmp_path, storage_dirs
):
    path = tmp_path / "log.txt"
    path.write_text(HEADER, encoding="utf-8")
    with pytest.raises(ValueError):
        queue(jimmy, path)
    with pytest.raises(ValueError):
        queue(jimmy, path, file_format="csv", mapping={"patient": "x"})
    assert EventImport.objects.count() == 0
    assert parquet_files(storage_dirs["data"]) == []


# --- Atomicity --------------------------------------------------------------------------------


def test_a_crash_while_writing_leaves_no_file_and_no_imported_batch(
    jimmy, eventlogs, storage_dirs, monkeypatch
):
    batch = queue(jimmy, eventlogs / "running-example.xes")

    def write_half_then_die(table, where, **kwargs):
        where.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(storage.pq, "write_table", write_half_then_die)
    with pytest.raises(OSError, match="disk full"):
        tasks.run_import.call(batch.pk)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert [p["code"] for p in batch.problems] == ["internal_error"]
    assert batch.parquet_path == ""
    assert parquet_files(storage_dirs["eventlogs"]) == []
    assert not actions.upload_path(batch.sha256, batch.file_name, batch.file_format).exists()
    assert enqueued("recompute_trajectory") == []


def test_a_crash_after_writing_removes_the_file(jimmy, eventlogs, storage_dirs, monkeypatch):
    batch = queue(jimmy, eventlogs / "running-example.xes")

    def die(batch):
        raise RuntimeError("killed")

    monkeypatch.setattr(actions, "_queue_recompute", die)
    with pytest.raises(RuntimeError, match="killed"):
        tasks.run_import.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert batch.n_events == 0
    assert parquet_files(storage_dirs["eventlogs"]) == []


def test_an_existing_batch_file_is_never_overwritten(jimmy, eventlogs, storage_dirs):
    batch = queue(jimmy, eventlogs / "running-example.xes")
    target = storage_dirs["eventlogs"] / f"jimmy/{batch.pk}-{batch.sha256[:12]}.parquet"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"an earlier batch")
    with pytest.raises(FileExistsError):
        tasks.run_import.call(batch.pk)
    assert target.read_bytes() == b"an earlier batch"
    assert [p.name for p in parquet_files(storage_dirs["eventlogs"])] == [target.name]


# --- Withdrawal -------------------------------------------------------------------------------


def test_withdrawing_moves_the_file_aside_and_recomputes(jimmy, eventlogs, diana, storage_dirs):
    batch = run(queue(jimmy, eventlogs / "running-example.xes", diana))
    live = storage_dirs["eventlogs"] / batch.parquet_path
    assert storage.live_paths(jimmy) == [live]
    DBTaskResult.objects.all().delete()

    with TestCase.captureOnCommitCallbacks(execute=True):
        withdrawal = do_withdraw_import(batch, diana, "wrong extraction")

    batch.refresh_from_db()
    assert withdrawal.was_imported
    assert batch.status == ImportStatus.WITHDRAWN
    assert (batch.withdrawn_by, batch.withdrawal_reason) == (diana, "wrong extraction")
    assert not live.exists()
    assert (storage_dirs["eventlogs"] / batch.parquet_path).is_file()
    assert batch.parquet_path.startswith("jimmy/withdrawn/")
    assert storage.live_paths(jimmy) == []
    assert [r.args_kwargs["args"] for r in enqueued("recompute_trajectory")] == [[jimmy.pk]]
    entry = AuditEntry.objects.get(action="eventlog.withdraw")
    assert (entry.user, entry.unit, entry.details["reason"]) == (
        diana,
        jimmy.unit,
        "wrong extraction",
    )
    # Withdrawn, the same file may come in again, as a new batch.
    again = run(queue(jimmy, eventlogs / "running-example.xes", diana))
    assert again.status == ImportStatus.DONE and again.pk != batch.pk
    with pytest.raises(actions.NotWithdrawable):
        do_withdraw_import(batch, diana, "twice")


def test_withdrawing_a_queued_import_cancels_it(jimmy, eventlogs, diana, storage_dirs):
    batch = queue(jimmy, eventlogs / "running-example.xes", diana)
    upload = actions.upload_path(batch.sha256, batch.file_name, batch.file_format)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert not do_withdraw_import(batch, diana, "sent by mistake").was_imported
    assert not upload.exists()
    assert tasks.run_import.call(batch.pk) is None
    batch.refresh_from_db()
    assert batch.status == ImportStatus.WITHDRAWN
    assert parquet_files(storage_dirs["eventlogs"]) == []


def test_withdrawing_an_import_a_killed_worker_left_running(jimmy, eventlogs, diana, storage_dirs):
    batch = queue(jimmy, eventlogs / "running-example.xes", diana)
    # The worker claimed it, wrote the file, and died before recording the batch.
    EventImport.objects.filter(pk=batch.pk).update(status="running", progress=90)
    orphan = storage_dirs["eventlogs"] / storage.batch_relative_path(batch)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"PAR1")
    with TestCase.captureOnCommitCallbacks(execute=True):
        do_withdraw_import(batch, diana, "stuck")
    assert parquet_files(storage_dirs["eventlogs"]) == []
    assert not actions.upload_path(batch.sha256, batch.file_name, batch.file_format).exists()
    assert run(queue(jimmy, eventlogs / "running-example.xes", diana)).status == "done"


def test_a_batch_withdrawn_while_the_worker_writes_stays_withdrawn(
    jimmy, eventlogs, diana, storage_dirs, monkeypatch
):
    batch = queue(jimmy, eventlogs / "running-example.xes", diana)
    write = storage.write_batch

    def write_then_get_withdrawn(running, table):
        relative = write(running, table)
        do_withdraw_import(running, diana, "changed my mind")
        return relative

    monkeypatch.setattr(storage, "write_batch", write_then_get_withdrawn)
    batch = run(batch)
    assert batch.status == ImportStatus.WITHDRAWN
    assert parquet_files(storage_dirs["eventlogs"]) == []
    assert enqueued("recompute_trajectory") == []


# --- Pages ------------------------------------------------------------------------------------


def make_advisor(org):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("erin", "erin@example.org", "x")
    person = Person.objects.create(
        user=user, given_name="Erin", family_name="Test", employer=org["health"]
    )
    Membership.objects.create(person=person, unit=org["youth"], role=Role.PERFORMANCE_ADVISOR)
    return user


def test_who_may_import(client_for, jimmy, org, alice, bob, charlie, diana):
    url = reverse("eventlog_import", kwargs={"code": "jimmy"})
    assert client_for(diana).get(url).status_code == 200  # director of the trajectory's unit
    assert client_for(make_advisor(org)).get(url).status_code == 200
    assert client_for(alice).get(url).status_code == 403  # leads a team, not the trajectory
    assert client_for(bob).get(url).status_code == 403
    assert client_for(charlie).get(url).status_code == 404  # outside the scope
    status = reverse("eventlog_import_status", kwargs={"code": "jimmy"})
    assert client_for(bob).get(status).status_code == 403
    assert client_for(charlie).get(status).status_code == 404
    assert (
        client_for(diana).get(reverse("eventlog_import", kwargs={"code": "nope"})).status_code
        == 404
    )


def test_upload_queues_and_the_page_shows_progress(
    client_for, jimmy, diana, eventlogs, django_capture_on_commit_callbacks
):
    client = client_for(diana)
    url = reverse("eventlog_import", kwargs={"code": "jimmy"})
    with (eventlogs / "running-example.xes").open("rb") as handle:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"file": handle, "column_case": ""})
    assert response.status_code == 302
    batch = EventImport.objects.get()
    assert (batch.status, batch.file_format, batch.imported_by) == ("queued", "xes", diana)
    assert [r.args_kwargs["args"] for r in enqueued("run_import")] == [[batch.pk]]

    EventImport.objects.filter(pk=batch.pk).update(status="running", progress=50)
    page = client.get(url).content.decode()
    assert f'<progress id="progress-{batch.pk}" max="100" value="50"' in page
    assert 'hx-trigger="every 2s"' in page
    assert reverse("eventlog_import_status", kwargs={"code": "jimmy"}) in page
    assert "Refresh" in page
    fragment = client.get(reverse("eventlog_import_status", kwargs={"code": "jimmy"}))
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert b"<progress" in fragment.content

    EventImport.objects.filter(pk=batch.pk).update(status="queued")
    run(batch)
    page = client.get(url).content.decode()
    assert "<progress" not in page
    assert "hx-trigger" not in page  # polling stops once nothing runs


def test_upload_of_the_same_file_says_nothing_changes(client_for, jimmy, diana, eventlogs):
    run(queue(jimmy, eventlogs / "running-example.xes", diana))
    client = client_for(diana)
    url = reverse("eventlog_import", kwargs={"code": "jimmy"})
    with (eventlogs / "running-example.xes").open("rb") as handle:
        response = client.post(url, {"file": handle}, follow=True)
    assert "nothing to change" in response.content.decode()
    assert EventImport.objects.count() == 1


def test_upload_without_a_known_format_is_refused(client_for, jimmy, diana, tmp_path):
    path = tmp_path / "log.txt"
    path.write_text(HEADER, encoding="utf-8")
    with path.open("rb") as handle:
        response = client_for(diana).post(
            reverse("eventlog_import", kwargs={"code": "jimmy"}), {"file": handle}
        )
    assert response.status_code == 400
    assert EventImport.objects.count() == 0


def test_problems_are_shown_as_a_table_in_the_users_language(client_for, jimmy, diana, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "1,Signalement,03/01/2024\n", encoding="utf-8")
    run(queue(jimmy, path, diana))
    diana.language = "en"
    diana.save()
    page = client_for(diana).get(reverse("eventlog_import", kwargs={"code": "jimmy"}))
    content = page.content.decode()
    assert "Refused" in content
    assert "bad.csv" in content
    assert "&#x27;03/01/2024&#x27; is not a date and time" in content
    assert "<td>timestamp</td>" in content


def test_withdraw_page(client_for, jimmy, diana, bob, eventlogs):
    batch = run(queue(jimmy, eventlogs / "running-example.xes", diana))
    url = reverse("eventlog_withdraw", kwargs={"code": "jimmy", "batch_id": batch.pk})
    assert client_for(bob).post(url, {"reason": "no"}).status_code == 403
    client = client_for(diana)
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "duplicate extraction"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.withdrawal_reason) == ("withdrawn", "duplicate extraction")
    page = client.get(reverse("eventlog_import", kwargs={"code": "jimmy"})).content.decode()
    assert "duplicate extraction" in page
    other = reverse("eventlog_withdraw", kwargs={"code": "jimmy", "batch_id": batch.pk + 99})
    assert client.get(other).status_code == 404


def test_every_problem_code_has_its_translatable_text():
    from pilotage.analytics import MESSAGES
    from pilotage.trajectories.fhir import FHIR_MESSAGES
    from pilotage.trajectories.import_views import PROBLEM_TEXTS

    english = {**MESSAGES, **FHIR_MESSAGES, **actions.IMPORT_MESSAGES}
    with translation.override("en"):
        assert {code: str(text) for code, text in PROBLEM_TEXTS.items()} == dict(english)


# --- A real worker ----------------------------------------------------------------------------


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{host}:{port}/{s['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_imports_and_recomputes(
    receipt_trajectory, eventlogs, diana, storage_dirs
):
    from pilotage.indicators.models import Value

    batch = queue(receipt_trajectory, eventlogs / "receipt.csv", diana)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PILOTAGE_DATA_DIR": str(storage_dirs["data"]),
        "PILOTAGE_EVENT_LOG_DIR": str(storage_dirs["eventlogs"]),
        "PILOTAGE_PSEUDONYM_KEY_FILE": str(storage_dirs["key"]),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "pilotage.cli", "worker", "--interval", "0.2", "--no-startup-delay"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            results = list(DBTaskResult.objects.all())
            if len(results) == 2 and all(r.status in {"SUCCESSFUL", "FAILED"} for r in results):
                break
            time.sleep(0.3)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert sorted(r.status for r in DBTaskResult.objects.all()) == ["SUCCESSFUL"] * 2, output
    batch.refresh_from_db()
    assert (batch.status, batch.progress, batch.n_events) == ("done", 100, 8577)
    assert (storage_dirs["eventlogs"] / batch.parquet_path).is_file()
    requests = Value.objects.filter(
        indicator__code="traj-receipt-requests", unit=receipt_trajectory.unit
    )
    assert sum(v.value for v in requests) == 1434
