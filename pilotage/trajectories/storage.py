"""Where the events of a trajectory live: the pseudonymisation key and the Parquet batches.

* The key (HMAC-SHA256, `analytics.keyed_hasher`) is a file outside the database
  (`settings.PSEUDONYM_KEY_FILE`), created once with 32 random bytes and mode 0600. A database
  dump alone therefore cannot re-identify anyone, and losing the key only breaks the link
  between old and new batches (the same child gets a new pseudonym), never the stored data.
* Each import batch is one Parquet file, `EVENT_LOG_DIR/<trajectory code>/<batch id>-<sha256
  prefix>.parquet`, written once (to a temporary name, then linked into place, which fails
  rather than overwrite), and never changed. `EventImport.parquet_path` holds the path
  relative to `EVENT_LOG_DIR`, so the directory can move.
* A withdrawn batch's file moves to `<trajectory code>/withdrawn/`, so that a tool reading
  the trajectory's folder directly (DuckDB or Spark over `<code>/*.parquet`) never sees it;
  Pilotage itself reads only the batches the database lists as imported (`live_paths`).
"""

from __future__ import annotations

import errno
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from pilotage.analytics import EventLog, keyed_hasher
from pilotage.analytics.pseudonymise import MIN_KEY_BYTES

if TYPE_CHECKING:
    from pilotage.trajectories.models import EventImport, Trajectory

KEY_BYTES = 32
WITHDRAWN_DIR = "withdrawn"
#: The batch's id in every row, so a figure can be traced to the import it came from.
BATCH_COLUMN = "batch"


def pseudonym_key() -> bytes:
    """The pseudonymisation key, created on first use.

    Created atomically: the bytes go to a private temporary file that is then hard-linked to
    the key's name, which fails if another process created it first (then theirs is used), so
    two workers starting together never use two keys and no one ever reads half a key.
    """
    path = Path(settings.PSEUDONYM_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(secrets.token_bytes(KEY_BYTES))
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    key = path.read_bytes()
    if len(key) < MIN_KEY_BYTES:
        raise ImproperlyConfigured(
            f"The pseudonymisation key {path} is shorter than {MIN_KEY_BYTES} bytes."
        )
    return key


def pseudonymiser() -> Callable[[str], str]:
    """Case, episode and resource identifiers -> their keyed pseudonyms."""
    return keyed_hasher(pseudonym_key())


def event_log_dir() -> Path:
    return Path(settings.EVENT_LOG_DIR)


def batch_relative_path(batch: EventImport) -> str:
    return f"{batch.trajectory.code}/{batch.pk}-{batch.sha256[:12]}.parquet"


def absolute(relative: str) -> Path:
    """A stored relative path under the event-log directory (never outside it)."""
    root = event_log_dir().resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError(f"{relative!r} is outside the event-log directory")
    return path


def _place(temporary: str, final: Path) -> None:
    """Move a finished file to its final name, refusing to replace an existing file."""
    try:
        os.link(temporary, final)
    except OSError as exc:
        # Filesystems without hard links (some network or object-storage mounts) fall back
        # to a check then a rename; an existing file is always refused.
        if isinstance(exc, FileExistsError) or exc.errno not in (
            errno.EPERM,
            errno.ENOTSUP,
            errno.EXDEV,
            errno.EMLINK,
        ):
            raise
        if final.exists():
            raise FileExistsError(errno.EEXIST, "batch file exists", str(final)) from exc
        os.replace(temporary, final)
        return
    os.unlink(temporary)


def write_batch(batch: EventImport, table: pa.Table) -> str:
    """Write the batch's (already pseudonymised) events; returns the relative path.

    Written to a temporary file in the same folder, flushed to disk, then linked into place:
    a reader sees the whole file or none, and an existing batch file is never overwritten
    (FileExistsError instead).
    """
    relative = batch_relative_path(batch)
    final = event_log_dir() / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    table = table.append_column(
        pa.field(BATCH_COLUMN, pa.int64(), nullable=False),
        pa.array([batch.pk] * table.num_rows, pa.int64()),
    )
    handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=".batch-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            pq.write_table(table, out, compression="zstd")
            out.flush()
            os.fsync(out.fileno())
        _place(temporary, final)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return relative


def delete_batch_file(relative: str) -> None:
    """Remove a batch file that was never recorded as imported (a failed import's)."""
    if relative:
        absolute(relative).unlink(missing_ok=True)


def move_to_withdrawn(relative: str) -> str:
    """Move a withdrawn batch's file aside (`<code>/withdrawn/`); returns its new path."""
    source = absolute(relative)
    target_relative = str(Path(relative).parent / WITHDRAWN_DIR / Path(relative).name)
    target = event_log_dir() / target_relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise FileExistsError(errno.EEXIST, "withdrawn batch file exists", str(target))
    os.rename(source, target)
    return target_relative


def move_back(relative_withdrawn: str, relative: str) -> None:
    """Undo `move_to_withdrawn` (when the withdrawal's transaction fails)."""
    os.rename(absolute(relative_withdrawn), event_log_dir() / relative)


def live_batches(trajectory: Trajectory) -> list[EventImport]:
    """The trajectory's imported batches, neither withdrawn nor failed, oldest first."""
    from pilotage.trajectories.models import EventImport, ImportStatus

    return list(
        EventImport.objects.filter(trajectory=trajectory, status=ImportStatus.DONE)
        .exclude(parquet_path="")
        .order_by("pk")
    )


def live_paths(trajectory: Trajectory) -> list[Path]:
    """Paths of the Parquet files of the trajectory's live batches."""
    return [absolute(batch.parquet_path) for batch in live_batches(trajectory)]


def read_events(trajectory: Trajectory) -> EventLog | None:
    """The trajectory's live events as an `EventLog` (read in place), None when there are
    none. The caller closes it."""
    paths = live_paths(trajectory)
    return EventLog(paths) if paths else None
