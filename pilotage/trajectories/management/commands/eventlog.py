"""`pilotage eventlog stats|import`: event-log statistics for analysts, and back-loads.

``pilotage eventlog stats FILE [--format csv|xlsx|parquet|xes|fhir] [--case COL --activity COL
--timestamp COL --resource COL --team COL --lifecycle COL] --json OUT`` writes, as JSON:
``n_cases``, ``n_events``, ``directly_follows`` (``from``, ``to``, ``count``,
``mean_seconds``, ``median_seconds``), ``case_duration`` (``mean_seconds``,
``median_seconds``, ``p90_seconds``), ``variants`` (``variant``: the activities, ``count``)
and ``handovers``: ``{"resource": [...], "team": [...]}``, each list of ``from``, ``to``,
``count``, a key present only when the log names resources (teams). Definitions:
docs/trajectory-measures.md, section 2. The file is read, never stored; case identifiers do
not appear in the output, resource names do unless ``--pseudonymise`` replaces them by the
application's keyed pseudonyms (the same as in imports, so figures can be matched).

``pilotage eventlog import TRAJECTORY FILE --user U [--format ...] [--mapping JSON]`` runs
the page's import synchronously (the same checks, pseudonymisation and storage), then
recomputes the trajectory's indicators unless ``--no-recompute``.

A refused file prints its problems (file, row, field, message) and exits with code 2.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pilotage.analytics import ColumnMapping, EventLog, EventLogError

FORMATS = ("csv", "xlsx", "parquet", "xes", "fhir")
MAPPED_OPTIONS = ("case", "activity", "timestamp", "resource", "team", "lifecycle")
USAGE_ERROR = 2


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def stats_document(log: EventLog) -> dict[str, Any]:
    """The `eventlog stats` JSON document for a loaded log."""
    stats = log.stats()
    durations = stats["case_duration"]
    document: dict[str, Any] = {
        "n_cases": stats["n_cases"],
        "n_events": stats["n_events"],
        "directly_follows": [
            {
                "from": d["source"],
                "to": d["target"],
                "count": d["count"],
                "mean_seconds": _number(d["mean_seconds"]),
                "median_seconds": _number(d["median_seconds"]),
            }
            for d in stats["directly_follows"]
        ],
        "case_duration": {
            "mean_seconds": _number(durations["mean_seconds"]),
            "median_seconds": _number(durations["median_seconds"]),
            "p90_seconds": _number(durations["p90_seconds"]),
        },
        "variants": [{"variant": v["activities"], "count": v["count"]} for v in stats["variants"]],
        "handovers": {},
    }
    counts = log.connection.execute("SELECT count(resource), count(team) FROM events").fetchall()[0]
    for by, named in zip(("resource", "team"), counts, strict=True):
        if named:
            document["handovers"][by] = [
                {"from": h["source"], "to": h["target"], "count": h["count"]}
                for h in stats["handovers"][by]
            ]
    return document


def _problems_text(error: EventLogError) -> str:
    lines = []
    for p in error.problems:
        where = [p.file]
        if p.trace is not None:
            where.append(f"trace {p.trace}")
        if p.row is not None:
            where.append(f"row {p.row}")
        if p.field is not None:
            where.append(f"field {p.field}")
        lines.append(f"{', '.join(where)}: {p.message}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Event logs: statistics of a file as JSON (stats), or a synchronous import (import)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{stats,import}")
        stats = actions.add_parser(
            "stats",
            help="Cases, events, directly-follows, case durations, variants and hand-overs of "
            "a file, as JSON.",
        )
        stats.add_argument("file", help="the event log (CSV, Excel, Parquet, XES or FHIR JSON)")
        stats.add_argument("--format", choices=FORMATS, help="default: from the file name")
        for name in MAPPED_OPTIONS:
            stats.add_argument(f"--{name}", metavar="COL", help=f"the {name} column")
        stats.add_argument("--time-zone", help="zone of timestamps without offset")
        stats.add_argument(
            "--json", required=True, metavar="OUT", help="where to write; - for stdout"
        )
        stats.add_argument(
            "--pseudonymise",
            action="store_true",
            help="replace resource names by the application's keyed pseudonyms",
        )
        load = actions.add_parser(
            "import", help="Import a file into a trajectory now (the page's import, synchronous)."
        )
        load.add_argument("trajectory", help="the trajectory's code")
        load.add_argument("file")
        load.add_argument("--user", required=True, help="the account the import is made by")
        load.add_argument("--format", choices=FORMATS, help="default: from the file name")
        load.add_argument(
            "--mapping", help='column mapping as JSON, e.g. {"case": "dossier", "team": "equipe"}'
        )
        load.add_argument(
            "--no-recompute", action="store_true", help="leave the recomputation to the worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "stats":
            self.stats(options)
        else:
            self.load(options)

    # --- stats ---------------------------------------------------------------------------

    def stats(self, options: dict[str, Any]) -> None:
        from pilotage.trajectories.actions import READERS, detect_format

        path = Path(options["file"])
        file_format = options["format"] or detect_format(path.name)
        if file_format not in READERS:
            raise CommandError(
                f"{path.name}: unknown file type; give --format {{{','.join(FORMATS)}}}",
                returncode=USAGE_ERROR,
            )
        mapped = {name: options[name] for name in MAPPED_OPTIONS if options.get(name)}
        reader_options: dict[str, Any] = {}
        if options["time_zone"]:
            reader_options["naive_time_zone"] = options["time_zone"]
        if options["pseudonymise"]:
            from pilotage.trajectories.storage import pseudonymiser

            hasher = pseudonymiser()
            reader_options["pseudonymise"] = hasher
        try:
            mapping = None if file_format == "fhir" else ColumnMapping(**mapped)
            table = READERS[file_format](path, mapping, **reader_options)
        except EventLogError as exc:
            raise CommandError(_problems_text(exc), returncode=USAGE_ERROR) from exc
        log = EventLog(table)
        try:
            document = stats_document(log)
        finally:
            log.close()
        document = {"file": path.name, "format": file_format, **document}
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if options["json"] == "-":
            self.stdout.write(text, ending="")
            return
        out = Path(options["json"])
        handle, temporary = tempfile.mkstemp(dir=out.parent or Path("."), prefix=".stats-")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, out)
        self.stdout.write(
            f"{path.name}: {document['n_cases']} cases, {document['n_events']} events -> {out}"
        )

    # --- import --------------------------------------------------------------------------

    def load(self, options: dict[str, Any]) -> None:
        from pilotage.trajectories.actions import AlreadyImported, do_queue_import, do_run_import
        from pilotage.trajectories.computed import recompute
        from pilotage.trajectories.models import ImportStatus, Trajectory

        try:
            trajectory = Trajectory.objects.get(code=options["trajectory"])
        except Trajectory.DoesNotExist:
            raise CommandError(
                f"No trajectory {options['trajectory']!r}.", returncode=USAGE_ERROR
            ) from None
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"No account {options['user']!r}.", returncode=USAGE_ERROR) from None
        try:
            mapping = json.loads(options["mapping"]) if options["mapping"] else {}
            if not isinstance(mapping, dict):
                raise ValueError("the mapping must be a JSON object")
        except ValueError as exc:
            raise CommandError(f"--mapping: {exc}", returncode=USAGE_ERROR) from exc
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.", returncode=USAGE_ERROR)
        try:
            with path.open("rb") as content:
                batch = do_queue_import(
                    trajectory, content, path.name, options["format"], mapping, user, enqueue=False
                )
        except AlreadyImported as exc:
            self.stdout.write(exc.message)
            return
        except ValueError as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from exc
        result = do_run_import(batch.pk, after=lambda batch: None)
        assert result is not None
        if result.status != ImportStatus.DONE:
            lines = [self._problem_line(p) for p in result.problems]
            raise CommandError("\n".join(lines), returncode=USAGE_ERROR)
        for problem in result.problems:
            self.stdout.write(self._problem_line(problem))
        self.stdout.write(
            f"{result.file_name}: {result.n_events} events, {result.n_cases} cases imported "
            f"into {trajectory.code} (batch {result.pk})."
        )
        if not options["no_recompute"]:
            done = recompute(trajectory)
            self.stdout.write(
                f"Indicators: {done.created} values created, {done.updated} changed, "
                f"{done.unchanged} unchanged, {done.deleted} deleted."
                + (f" Skipped: {done.skipped}" if done.skipped else "")
            )

    @staticmethod
    def _problem_line(problem: dict[str, Any]) -> str:
        where = [problem.get("file") or ""]
        for label in ("trace", "row", "field"):
            if problem.get(label) is not None:
                where.append(f"{label} {problem[label]}")
        return f"{', '.join(where)}: {problem['message']}"
