"""Event-log imports: queue a file, run the import (the worker), withdraw a batch.

The flow (decision 16):

1. `do_queue_import` keeps the uploaded bytes under `DATA_DIR/uploads/eventlogs/` by their
   SHA-256 and records a queued `EventImport`, unless the same content is already live for
   the trajectory (then nothing at all is written). The import runs in the worker.
2. `do_run_import` reads and validates the file with the analytics readers, which replace
   case, episode and resource identifiers by keyed pseudonyms before returning anything;
   writes the batch's Parquet file; records the batch as imported; deletes the upload; and
   queues the recomputation of the trajectory's indicators. A refused file or a crash leaves
   no Parquet file and no imported batch, only the refused record with its problems.
3. `do_withdraw_import` takes a batch out of every computation (its file moves aside) and
   queues the recomputation, which deletes the computed values only it produced.

Problems are stored as plain data (file, row, trace, field, code, params, English message)
so that the page can show them in the user's language by their code.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pilotage.analytics import (
    ColumnMapping,
    EventLog,
    EventLogError,
    Problem,
    dropped_events,
    read_csv,
    read_excel,
    read_parquet,
    read_xes,
)
from pilotage.organisation.models import audit
from pilotage.tasks import enqueue_on_commit
from pilotage.trajectories import storage
from pilotage.trajectories.fhir import read_fhir
from pilotage.trajectories.models import EventImport, ImportStatus, Trajectory, TrajectoryTeam

logger = logging.getLogger(__name__)

#: Readers by `EventImport.file_format`.
READERS: Mapping[str, Callable[..., pa.Table]] = {
    "csv": read_csv,
    "xlsx": read_excel,
    "parquet": read_parquet,
    "xes": read_xes,
    "fhir": read_fhir,
}
#: File-name endings -> format, longest first (".xes.gz" before ".gz" would matter).
SUFFIXES: tuple[tuple[str, str], ...] = (
    (".xes.gz", "xes"),
    (".xes", "xes"),
    (".csv", "csv"),
    (".xlsx", "xlsx"),
    (".parquet", "parquet"),
    (".pq", "parquet"),
    (".json", "fhir"),
)
#: Largest upload accepted (the streamed readers' own limit).
MAX_UPLOAD_BYTES = 1 << 30

PROGRESS_READING = 10
PROGRESS_VALIDATED = 50
PROGRESS_WRITTEN = 90
PROGRESS_DONE = 100

#: English texts of the problems the import itself reports (the readers' are in
#: `analytics.MESSAGES` and `trajectories.fhir.FHIR_MESSAGES`).
IMPORT_MESSAGES: Mapping[str, str] = {
    "unknown_teams": "{count} teams of the file are not linked to a unit of the trajectory "
    "({teams}): their events count for the trajectory as a whole, not for a team.",
    "dropped_lifecycle": "{count} events with another lifecycle transition than start or "
    "complete (schedule, suspend, ...) were left out.",
    "duplicate_events": "{count} events of this file are already in earlier imports of the "
    "trajectory (same case, activity, time and lifecycle) and will count twice: if the "
    "extracts overlap, withdraw one of them.",
    "internal_error": "The import stopped on an unexpected error; nothing was imported. "
    "Try again, or tell your administrator.",
}
#: At most this many unknown team names are listed in the warning.
TEAMS_LISTED = 20
#: Values quoted in problems (a bad timestamp, an unknown lifecycle) are cut to this length.
QUOTED_LENGTH = 60


class AlreadyImported(Exception):
    """The same content is already live (or on its way) for this trajectory."""

    def __init__(self, batch: EventImport) -> None:
        self.batch = batch
        super().__init__(self.message)

    @property
    def message(self) -> str:
        batch = self.batch
        who = batch.imported_by
        name = (who.get_full_name() or who.get_username()) if who is not None else _("someone")
        when = date_format(timezone.localtime(batch.created_at), "DATETIME_FORMAT")
        params = {"file": batch.file_name, "date": when, "name": name}
        if batch.status == ImportStatus.DONE:
            return (
                _("“%(file)s” was already imported on %(date)s by %(name)s: nothing to change.")
                % params
            )
        return _("“%(file)s” is already being imported (since %(date)s, by %(name)s).") % params


class NotWithdrawable(Exception):
    """Only a batch that is queued, running or imported can be withdrawn."""


def detect_format(file_name: str) -> str | None:
    """The format from the file name's ending, None when unknown."""
    lower = file_name.lower()
    return next((fmt for suffix, fmt in SUFFIXES if lower.endswith(suffix)), None)


def _upload_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads" / "eventlogs"


#: The ending an upload is stored with, by format: openpyxl opens only names ending in
#: .xlsx, and the XES reader decompresses names ending in .gz.
STORED_SUFFIXES: Mapping[str, str] = {
    "csv": ".csv",
    "xlsx": ".xlsx",
    "parquet": ".parquet",
    "xes": ".xes",
    "fhir": ".json",
}


def upload_path(sha256: str, file_name: str, file_format: str) -> Path:
    """Where an upload waits for the worker: ``<sha256>`` and the format's usual ending."""
    gzipped = file_format == "xes" and file_name.lower().endswith(".gz")
    return _upload_dir() / (sha256 + STORED_SUFFIXES[file_format] + (".gz" if gzipped else ""))


def _chunks(content: bytes | Any) -> Iterator[bytes]:
    if isinstance(content, bytes):
        yield content
        return
    if hasattr(content, "seek"):
        content.seek(0)
    if hasattr(content, "chunks"):  # a Django UploadedFile
        yield from content.chunks()
        return
    while chunk := content.read(1 << 20):
        yield chunk


def _sha256(content: bytes | Any) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(content):
        digest.update(chunk)
    return digest.hexdigest()


def _live_duplicate(trajectory: Trajectory, sha256: str) -> EventImport | None:
    return (
        EventImport.objects.filter(trajectory=trajectory, sha256=sha256)
        .exclude(status__in=[ImportStatus.WITHDRAWN, ImportStatus.FAILED])
        .select_related("imported_by")
        .first()
    )


def _keep_upload(content: bytes | Any, path: Path) -> None:
    """Write the upload aside, then rename: the worker never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in _chunks(content):
                out.write(chunk)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _discard_upload(sha256: str, file_name: str, file_format: str) -> None:
    """Delete an upload unless another batch waiting to run needs the same bytes."""
    waiting = EventImport.objects.filter(
        sha256=sha256, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    )
    if not waiting.exists():
        upload_path(sha256, file_name, file_format).unlink(missing_ok=True)


def do_queue_import(
    trajectory: Trajectory,
    content: bytes | Any,
    file_name: str,
    file_format: str | None,
    column_mapping: Mapping[str, str | None] | None,
    user: object,
    *,
    enqueue: bool = True,
) -> EventImport:
    """Keep an uploaded event log and queue its import; AlreadyImported when the same bytes
    are already live for the trajectory (nothing is written then).

    `content` is bytes, a Django UploadedFile or a seekable binary file. `file_format` None
    means: from the file name. The column mapping is checked here (ValueError) so that a
    typo is reported to the person, not found later by the worker. `enqueue=False` leaves
    the running to the caller (the `eventlog import` command runs it at once).
    """
    file_name = Path(file_name).name
    file_format = file_format or detect_format(file_name)
    if file_format not in READERS:
        raise ValueError(_("Unknown file type: use .csv, .xlsx, .parquet, .xes or .json (FHIR)."))
    mapping = {k: v for k, v in (column_mapping or {}).items() if v not in (None, "")}
    ColumnMapping.from_dict(mapping)  # ValueError on an unknown field
    sha256 = _sha256(content)
    if (existing := _live_duplicate(trajectory, sha256)) is not None:
        raise AlreadyImported(existing)
    path = upload_path(sha256, file_name, file_format)
    _keep_upload(content, path)
    try:
        with transaction.atomic():
            batch = EventImport.objects.create(
                trajectory=trajectory,
                file_name=file_name[:255],
                sha256=sha256,
                file_format=file_format,
                column_mapping=mapping,
                imported_by=user if getattr(user, "pk", None) else None,
            )
            audit(
                user,
                "eventlog.import",
                batch,
                unit=trajectory.unit,
                file=batch.file_name,
                sha256=sha256,
                format=file_format,
            )
            if enqueue:
                from pilotage.trajectories.tasks import run_import

                enqueue_on_commit(run_import, batch.pk)
    except IntegrityError:
        # Another request queued the same bytes between the check and the insert.
        existing = _live_duplicate(trajectory, sha256)
        if existing is None:
            raise
        _discard_upload(sha256, file_name, file_format)
        raise AlreadyImported(existing) from None
    return batch


def problem_as_dict(problem: Problem, level: str = "error") -> dict[str, Any]:
    """A reader's problem as plain data for `EventImport.problems`."""
    params = {}
    for key, value in problem.params.items():
        if isinstance(value, str) and len(value) > QUOTED_LENGTH:
            value = value[: QUOTED_LENGTH - 1] + "…"
        elif not isinstance(value, str | int | float | bool | type(None)):
            value = str(value)
        params[key] = value
    return {
        "level": level,
        "file": problem.file,
        "row": problem.row,
        "trace": problem.trace,
        "field": problem.field,
        "code": problem.code,
        "params": params,
        "message": problem.message,
    }


def _import_problem(file: str, code: str, level: str, field: str | None = None, **params: Any):
    return {
        "level": level,
        "file": file,
        "row": None,
        "trace": None,
        "field": field,
        "code": code,
        "params": params,
        "message": IMPORT_MESSAGES[code].format(**params),
    }


def _warnings(batch: EventImport, table: pa.Table) -> list[dict[str, Any]]:
    """Unknown teams and dropped events: the import goes on, the page says so.

    A team the trajectory does not list yet is kept as it is in the file (its name, which
    names no person): its events count in the trajectory's all-teams figures, and once the
    team is linked to a unit the next recomputation gives that unit its own figures.
    """
    found = {t for t in pc.unique(table["team"]).to_pylist() if t is not None}
    known = set(
        TrajectoryTeam.objects.filter(trajectory=batch.trajectory).values_list(
            "source_name", flat=True
        )
    )
    warnings = []
    unknown = sorted(found - known)
    if unknown:
        listed = ", ".join(unknown[:TEAMS_LISTED]) + (" …" if len(unknown) > TEAMS_LISTED else "")
        warnings.append(
            _import_problem(
                batch.file_name,
                "unknown_teams",
                "warning",
                "team",
                count=len(unknown),
                teams=listed,
            )
        )
    if duplicates := _duplicates(batch, table):
        warnings.append(
            _import_problem(batch.file_name, "duplicate_events", "warning", None, count=duplicates)
        )
    if dropped := dropped_events(table):
        warnings.append(
            _import_problem(
                batch.file_name, "dropped_lifecycle", "warning", "lifecycle", count=dropped
            )
        )
    return warnings


# Events of the new batch that a live batch already holds. Both sides are pseudonymised with
# the same key, so the same child has the same case value in both.
DUPLICATES_SQL = """
SELECT count(*) FROM incoming i
WHERE EXISTS (
    SELECT 1 FROM events e
    WHERE e."case" = i."case" AND e.activity = i.activity AND e."timestamp" = i."timestamp"
      AND e.lifecycle = i.lifecycle
)
"""


def _duplicates(batch: EventImport, table: pa.Table) -> int:
    paths = storage.live_paths(batch.trajectory)
    if not paths:
        return 0
    log = EventLog(paths)
    try:
        log.connection.register("incoming", table)
        return int(log.connection.execute(DUPLICATES_SQL).fetchall()[0][0])
    finally:
        log.close()


def _read(batch: EventImport) -> pa.Table:
    """The batch's events, validated and already pseudonymised by the reader."""
    reader = READERS[batch.file_format]
    options: dict[str, Any] = {
        "pseudonymise": storage.pseudonymiser(),
        "naive_time_zone": batch.trajectory.time_zone,
        "name": batch.file_name,
    }
    mapping = None if batch.file_format == "fhir" else ColumnMapping.from_dict(batch.column_mapping)
    path = upload_path(batch.sha256, batch.file_name, batch.file_format)
    return reader(path, mapping, **options)


def _progress(batch: EventImport, value: int) -> None:
    # update(), not save(): visible to the page at once, and never overwrites other fields.
    EventImport.objects.filter(pk=batch.pk).update(progress=value)


def _fail(batch: EventImport, problems: list[dict[str, Any]]) -> None:
    EventImport.objects.filter(pk=batch.pk).exclude(status=ImportStatus.WITHDRAWN).update(
        status=ImportStatus.FAILED, problems=problems, finished_at=timezone.now()
    )


class _WithdrawnMeanwhile(Exception):
    pass


def do_run_import(
    import_id: int, *, after: Callable[[EventImport], None] | None = None
) -> EventImport | None:
    """Run one queued import (the worker's task; the `eventlog import` command too).

    Returns the batch, or None when it is no longer queued (already run, or withdrawn before
    it started). `after` is called once the batch is recorded as imported (default: queue the
    recomputation of the trajectory's indicators when the transaction commits).
    """
    claimed = EventImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, progress=PROGRESS_READING
    )
    if not claimed:
        return None
    batch = EventImport.objects.select_related("trajectory").get(pk=import_id)
    written = ""
    try:
        table = _read(batch)
        _progress(batch, PROGRESS_VALIDATED)
        warnings = _warnings(batch, table)
        written = storage.write_batch(batch, table)
        _progress(batch, PROGRESS_WRITTEN)
        with transaction.atomic():
            # Only a batch still running becomes imported: one withdrawn meanwhile stays so.
            updated = EventImport.objects.filter(pk=batch.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.DONE,
                progress=PROGRESS_DONE,
                problems=warnings,
                n_events=table.num_rows,
                n_cases=len(pc.unique(table["case"])),
                first_event_at=pc.min(table["timestamp"]).as_py(),
                last_event_at=pc.max(table["timestamp"]).as_py(),
                parquet_path=written,
                finished_at=timezone.now(),
            )
            if not updated:
                raise _WithdrawnMeanwhile
            batch.refresh_from_db()
            (after or _queue_recompute)(batch)
    except _WithdrawnMeanwhile:
        storage.delete_batch_file(written)
        batch.refresh_from_db()
    except EventLogError as exc:
        storage.delete_batch_file(written)
        _fail(batch, [problem_as_dict(p) for p in exc.problems])
        batch.refresh_from_db()
    except Exception:
        logger.exception("Import %s of %s failed", batch.pk, batch.trajectory.code)
        storage.delete_batch_file(written)
        _fail(batch, [_import_problem(batch.file_name, "internal_error", "error")])
        raise
    finally:
        _discard_upload(batch.sha256, batch.file_name, batch.file_format)
    return batch


def _queue_recompute(batch: EventImport) -> None:
    from pilotage.trajectories.tasks import recompute_trajectory

    enqueue_on_commit(recompute_trajectory, batch.trajectory_id)


def _forget_unfinished(batch: EventImport) -> None:
    _discard_upload(batch.sha256, batch.file_name, batch.file_format)
    storage.delete_batch_file(storage.batch_relative_path(batch))


@dataclass(frozen=True)
class Withdrawal:
    batch: EventImport
    was_imported: bool


def do_withdraw_import(batch: EventImport, user: object, reason: str) -> Withdrawal:
    """Withdraw a batch: its events leave every computation, the record stays (who, when,
    why). An imported batch's file moves to the trajectory's `withdrawn/` folder and the
    trajectory's indicators are recomputed; a queued or running one is cancelled (the worker
    then writes nothing, or deletes what it wrote)."""
    moved = ""
    try:
        with transaction.atomic():
            # Two leaders withdrawing at once, or the worker finishing the import now: the
            # row lock orders them, and the status read under it decides.
            batch = (
                EventImport.objects.select_for_update()
                .select_related("trajectory")
                .get(pk=batch.pk)
            )
            if batch.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DONE):
                raise NotWithdrawable(batch.get_status_display())
            was_imported = batch.status == ImportStatus.DONE
            original = batch.parquet_path
            if was_imported and original:
                moved = storage.move_to_withdrawn(original)
                batch.parquet_path = moved
            batch.status = ImportStatus.WITHDRAWN
            batch.withdrawn_by = user if getattr(user, "pk", None) else None
            batch.withdrawn_at = timezone.now()
            batch.withdrawal_reason = reason
            batch.save(
                update_fields=[
                    "status",
                    "parquet_path",
                    "withdrawn_by",
                    "withdrawn_at",
                    "withdrawal_reason",
                ]
            )
            audit(
                user,
                "eventlog.withdraw",
                batch,
                unit=batch.trajectory.unit,
                file=batch.file_name,
                reason=reason,
            )
            if was_imported:
                _queue_recompute(batch)
            else:
                # A cancelled import: its raw upload goes, and so does a file a worker killed
                # midway may have left under the batch's name (no other batch has that name).
                transaction.on_commit(lambda: _forget_unfinished(batch))
    except BaseException:
        if moved:
            storage.move_back(moved, original)
        raise
    return Withdrawal(batch, was_imported)
