"""The demo's trajectory event log: deterministic, realistic, and telling the Jimmy story
through the real analytics engine and the real import pipeline."""

import datetime
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.test import override_settings

from pilotage.analytics import SCHEMA, WeeklyMeasures, read_csv, read_parquet, weekly_measures
from pilotage.demo import eventlog
from pilotage.demo.indicators import END, JIMMY_START
from pilotage.demo.trajectory import (
    CODE,
    STEPS,
    build_trajectory,
    define_trajectory,
    engine_definition,
)

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
#: A quarter of the demo's volume, over the same four years: fast, and enough children
#: per period for the story's figures to be steady.
VOLUME = 0.25
YEAR_BEFORE = (JIMMY_START - datetime.timedelta(weeks=52), JIMMY_START)
AFTER = (JIMMY_START, END)


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return eventlog.generate(volume=VOLUME)


@pytest.fixture(scope="module")
def weekly(table) -> list[WeeklyMeasures]:
    return weekly_measures(table, engine_definition(), time_zone=eventlog.TIME_ZONE)


def weighted(
    rows: Iterable[WeeklyMeasures],
    statistic: str,
    weight: str,
    period: tuple[datetime.date, datetime.date],
    team: str | None = None,
) -> float:
    """A weekly statistic over a period, each week weighted by the items it is over."""
    total = items = 0.0
    for row in rows:
        value = getattr(row, statistic)
        if row.team == team and period[0] <= row.week < period[1] and value is not None:
            total += value * getattr(row, weight)
            items += getattr(row, weight)
    return total / items


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_same_arguments_give_the_same_bytes(tmp_path):
    first = eventlog.generate(years=1, volume=0.05)
    second = eventlog.generate(years=1, volume=0.05)
    assert first.equals(second)
    [a] = eventlog.write_demo_files(tmp_path / "a", table=first)
    [b] = eventlog.write_demo_files(tmp_path / "b", table=second)
    assert sha256(a) == sha256(b)
    other = eventlog.generate(seed=eventlog.SEED + 1, years=1, volume=0.05)
    assert not other.equals(first)


def test_the_table_is_canonical_and_in_the_source_vocabulary(table):
    assert table.schema.equals(SCHEMA)
    assert set(pc.unique(table["activity"]).to_pylist()) == set(eventlog.ACTIVITIES)
    assert set(pc.unique(table["team"]).to_pylist()) == set(eventlog.TEAM_UNITS)
    assert set(pc.unique(table["lifecycle"]).to_pylist()) == {"start", "complete"}
    assert set(pc.unique(table["priority"]).to_pylist()) == {None, "1", "2", "3"}
    assert all(re.fullmatch(r"DOSSIER-\d{6}", c) for c in pc.unique(table["case"]).to_pylist())
    assert all(re.fullmatch(r"EPS-\d{7}", e) for e in pc.unique(table["episode"]).to_pylist())
    workers = pc.unique(table["resource"]).to_pylist()
    assert all(re.fullmatch(r"INT-\d{4}", w) for w in workers)
    # Only evaluations have a start event, and each is completed unless still running at
    # the export.
    starts = table.filter(pc.equal(table["lifecycle"], "start"))
    assert set(pc.unique(starts["activity"]).to_pylist()) == {eventlog.EVALUATION}
    # In time order, from four years before the demo's "today" to the night before it.
    timestamps = table["timestamp"]
    assert pc.all(pc.greater_equal(timestamps[1:], timestamps[:-1])).as_py() is not False
    local = timestamps.cast(pa.timestamp("us", tz=eventlog.TIME_ZONE))
    first, last = pc.min(local).as_py().date(), pc.max(local).as_py().date()
    assert first == END.replace(year=END.year - 4)
    assert END - datetime.timedelta(days=3) <= last < END
    assert table["source_row"].to_pylist() == list(range(1, table.num_rows + 1))


def test_the_volume_is_proportional_over_several_years(table):
    cases = len(pc.unique(table["case"]))
    episodes = len(pc.unique(table["episode"]))
    assert 8_000 <= cases <= 10_000  # a quarter of the demo's children
    assert cases < episodes < 1.3 * cases  # some families come back
    assert 70_000 <= table.num_rows <= 90_000


def test_the_csv_export_reads_back_through_the_real_reader(tmp_path):
    small = eventlog.generate(years=0.5, volume=0.1)
    [path] = eventlog.write_demo_files(tmp_path, table=small)
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "dossier;episode;activite;date_heure;cycle_de_vie;equipe;intervenant;priorite"
    back = read_csv(path, eventlog.COLUMN_MAPPING)
    assert back.drop_columns(["source_row"]).equals(small.drop_columns(["source_row"]))
    # Rows are numbered as a spreadsheet shows them: the header is row 1.
    assert back["source_row"].to_pylist() == list(range(2, small.num_rows + 2))


def test_the_parquet_export_holds_the_same_log(tmp_path):
    small = eventlog.generate(years=0.25, volume=0.05)
    csv_path, parquet_path = eventlog.write_demo_files(tmp_path, table=small, parquet=True)
    assert csv_path.suffix == ".csv" and parquet_path.suffix == ".parquet"
    back = read_parquet(parquet_path, eventlog.COLUMN_MAPPING)
    assert back.equals(small)


def test_the_night_the_clocks_go_back_is_exported_without_ambiguity():
    times = pa.array(
        [datetime.datetime(2025, 11, 2, 5, 30), datetime.datetime(2025, 11, 2, 6, 30)],
        pa.timestamp("us", tz="UTC"),
    )
    text = eventlog._local_text(pa.chunked_array([times])).to_pylist()
    assert text == ["2025-11-02T01:30:00-04:00", "2025-11-02T01:30:00-05:00"]


def test_fewer_reports_in_summer_and_at_christmas_more_after_school_starts(table, weekly):
    requests = table.filter(
        pc.is_in(
            table["activity"],
            pa.array([eventlog.REPORT_RECEIVED, eventlog.SERVICE_REQUEST]),
        )
    )
    local = requests["timestamp"].cast(pa.timestamp("us", tz=eventlog.TIME_ZONE))
    months = pc.month(local).to_numpy()
    days = pc.day(local).to_numpy()

    def per_month(*wanted: int) -> float:
        return sum((months == m).sum() for m in wanted) / len(wanted)

    assert per_month(9, 10) > 1.3 * per_month(7, 8)
    christmas = ((months == 12) & (days >= 20)) | ((months == 1) & (days < 5))
    november = months == 11
    assert christmas.sum() / 16 < 0.8 * november.sum() / 30
    # The engine counts the same: new requests by week, September-October above summer.
    by_month: dict[int, int] = {}
    for row in weekly:
        if row.team is None:
            by_month[row.week.month] = by_month.get(row.week.month, 0) + row.new_requests
    assert by_month[9] + by_month[10] > 1.3 * (by_month[7] + by_month[8])


def test_most_reports_are_screened_out_and_closed(table):
    counts = {
        row["values"]: row["counts"] for row in pc.value_counts(table["activity"]).to_pylist()
    }
    screened = counts[eventlog.REPORT_RETAINED] + counts[eventlog.REPORT_NOT_RETAINED]
    assert 0.5 < counts[eventlog.REPORT_NOT_RETAINED] / screened < 0.65


def test_the_reorganisation_halves_the_delay_to_evaluation(weekly):
    before = weighted(weekly, "evaluation_delay_mean_days", "evaluations", YEAR_BEFORE)
    after = weighted(weekly, "evaluation_delay_mean_days", "evaluations", AFTER)
    assert 15.0 <= before <= 17.0  # "from 16 days ..."
    assert 7.5 <= after <= 9.5  # "... down to 8"
    # In evaluation-orientation, the unit of the demo's "delai-evaluation" indicator, too.
    assert (
        15.0
        <= weighted(weekly, "evaluation_delay_mean_days", "evaluations", YEAR_BEFORE, "E/O")
        <= 17.0
    )
    assert weighted(weekly, "evaluation_delay_mean_days", "evaluations", AFTER, "E/O") <= 9.5
    # The 12-day standard: about half the evaluations met it before, most after.
    within_before = weighted(weekly, "evaluation_within_target", "evaluations", YEAR_BEFORE)
    within_after = weighted(weekly, "evaluation_within_target", "evaluations", AFTER)
    assert within_before < 0.6 < 0.75 < within_after
    # The Jimmy team evaluates from the reorganisation on, not before.
    jimmy = [r for r in weekly if r.team == "JEF Famille (Jimmy)" and r.evaluations]
    assert min(r.week for r in jimmy) >= JIMMY_START


def test_the_reorganisation_cuts_hand_offs(weekly):
    def handoffs(period, team=None):
        return weighted(weekly, "handoffs_per_closed_episode", "closed_with_services", period, team)

    def continuity(period):
        return weighted(weekly, "same_team_continuity_rate", "closed_with_services", period)

    assert handoffs(AFTER) < handoffs(YEAR_BEFORE) - 0.1
    assert continuity(AFTER) > continuity(YEAR_BEFORE) + 0.08
    jimmy = "JEF Famille (Jimmy)"
    assert handoffs(AFTER, jimmy) < 0.6 * handoffs(YEAR_BEFORE, jimmy)

    # The Jimmy team takes most families on after the reorganisation.
    def share_of_first_services(period):
        rows = [r for r in weekly if period[0] <= r.week < period[1]]
        total = sum(r.first_services for r in rows if r.team is None)
        return sum(r.first_services for r in rows if r.team == jimmy) / total

    assert share_of_first_services(YEAR_BEFORE) < 0.4 < 0.6 < share_of_first_services(AFTER)


def test_families_come_back_and_are_assessed_again_less_after(weekly):
    requests = sum(r.new_requests for r in weekly if r.team is None)
    returns = sum(r.re_referrals for r in weekly if r.team is None)
    assert 0.08 < returns / requests < 0.25

    def repeated(period):
        rows = [r for r in weekly if r.team is None and period[0] <= r.week < period[1]]
        return sum(r.repeated_assessments for r in rows) / sum(r.evaluations for r in rows)

    assert repeated(AFTER) < 0.7 * repeated(YEAR_BEFORE)


def test_code_1_reports_are_evaluated_first(table):
    evaluations = table.filter(
        pc.and_(
            pc.equal(table["activity"], eventlog.EVALUATION),
            pc.invert(pc.is_null(table["priority"])),
        )
    )
    delays = {}
    for code in ("1", "2", "3"):
        episodes = pc.unique(evaluations.filter(pc.equal(evaluations["priority"], code))["episode"])
        rows = weekly_measures(
            table.filter(pc.is_in(table["episode"], episodes)), engine_definition()
        )
        delays[code] = weighted(
            rows, "evaluation_delay_mean_days", "evaluations", (datetime.date.min, END)
        )
    assert delays["1"] <= 1.0
    assert delays["1"] < delays["2"] < 5.0 < delays["3"]


@pytest.mark.slow
def test_the_demo_log_has_tens_of_thousands_of_children():
    full = eventlog.generate()
    cases = len(pc.unique(full["case"]))
    assert 30_000 <= cases <= 40_000
    assert 300_000 <= full.num_rows <= 500_000


# --- The trajectory and the import through the application's pipeline --------------------


@pytest.fixture
def storage(settings, tmp_path):
    """Uploads, event logs and the pseudonymisation key under the test's own directory."""
    settings.DATA_DIR = tmp_path / "data"
    settings.EVENT_LOG_DIR = tmp_path / "eventlogs"
    settings.PSEUDONYM_KEY_FILE = tmp_path / "secrets" / "pseudonym.key"
    settings.DATA_DIR.mkdir()
    return tmp_path


@pytest.fixture
def organisation(db):
    from pilotage.demo.organisation import build_organisation

    with override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        build_organisation()


def test_the_trajectory_matches_the_generator(organisation):
    trajectory = define_trajectory()
    assert trajectory.unit.code == "jimmy"
    assert trajectory.definition() == engine_definition()
    assert [s.code for s in trajectory.steps.order_by("order")] == [s[0] for s in STEPS]
    teams = {t.source_name: t.unit.code for t in trajectory.teams.select_related("unit")}
    assert teams == eventlog.TEAM_UNITS
    mapped = {a for s in engine_definition().steps for a in s.activities}
    assert mapped == set(eventlog.ACTIVITIES)
    again = define_trajectory()
    assert again.pk == trajectory.pk and again.steps.count() == len(STEPS)


def test_the_log_is_imported_through_the_pipeline_once(organisation, storage):
    from pilotage.indicators.models import Value, ValueChange
    from pilotage.trajectories.models import EventImport, ImportStatus, Trajectory

    counts = build_trajectory(years=0.25, volume=0.05)
    trajectory = Trajectory.objects.get(code=CODE)
    [batch] = EventImport.objects.filter(trajectory=trajectory)
    assert batch.status == ImportStatus.DONE
    assert batch.imported_by is not None  # the partnership's performance advisor
    generated = eventlog.generate(years=0.25, volume=0.05)
    assert batch.n_events == counts["events"] == generated.num_rows
    assert batch.n_cases == counts["children"] == len(pc.unique(generated["case"]))
    assert batch.problems == []  # every team of the log is linked to a unit
    stored = pa.parquet.read_table(Path(storage / "eventlogs" / batch.parquet_path))
    assert "DOSSIER-000001" not in stored["case"].to_pylist()  # pseudonymised at import
    values = Value.objects.filter(indicator__code__startswith=f"traj-{CODE}-").count()
    assert values > 0 and counts["computed values created"] == values
    changes = ValueChange.objects.count()

    again = build_trajectory(years=0.25, volume=0.05)
    assert EventImport.objects.filter(trajectory=trajectory).count() == 1
    assert again["computed values created"] == again["computed values changed"] == 0
    assert ValueChange.objects.count() == changes
    assert not (storage / "data" / "uploads" / "eventlogs").exists() or not any(
        (storage / "data" / "uploads" / "eventlogs").iterdir()
    )


def test_a_regenerated_log_replaces_the_previous_one(organisation, storage):
    from pilotage.trajectories.models import EventImport, ImportStatus

    build_trajectory(years=0.1, volume=0.05)
    build_trajectory(years=0.1, volume=0.06)
    batches = EventImport.objects.filter(trajectory__code=CODE).order_by("pk")
    assert [b.status for b in batches] == [ImportStatus.WITHDRAWN, ImportStatus.DONE]


def test_batch_files_left_by_a_deleted_database_do_not_block_the_import(organisation, storage):
    from pilotage.trajectories.models import EventImport, ImportStatus

    folder = storage / "eventlogs" / CODE
    folder.mkdir(parents=True)
    # What a previous demo database left: its first batch's file, named by id and hash.
    (folder / "1-0123456789ab.parquet").write_bytes(b"an older demo batch")
    build_trajectory(years=0.1, volume=0.05)
    [batch] = EventImport.objects.filter(trajectory__code=CODE)
    assert batch.status == ImportStatus.DONE
    assert [p.name for p in folder.glob("*.parquet")] == [Path(batch.parquet_path).name]
