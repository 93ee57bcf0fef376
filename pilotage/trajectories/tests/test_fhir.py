"""The FHIR R4 Bundle reader: the mapping of ServiceRequest, EpisodeOfCare and Encounter to
canonical events, the refusals (named by file, entry and element), and an import through the
worker's task."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from pilotage.analytics import EventLog, EventLogError, keyed_hasher
from pilotage.trajectories.fhir import FhirProblem, read_fhir

UTC = dt.UTC


def entry(resource: dict[str, Any], full_url: str | None = None) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource} if full_url else {"resource": resource}


BUNDLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        entry(
            {"resourceType": "Patient", "id": "p1", "name": [{"family": "Tremblay"}]},
            "urn:uuid:0a1b",
        ),
        entry(
            {
                "resourceType": "ServiceRequest",
                "id": "sr1",
                "status": "active",
                "intent": "order",
                "code": {"coding": [{"system": "http://example.org", "code": "signalement"}]},
                "subject": {"reference": "urn:uuid:0a1b"},
                "authoredOn": "2024-01-01T10:00:00-05:00",
                "requester": {"reference": "Organization/school"},
                "performer": [
                    {"reference": "Practitioner/dr-a"},
                    {"reference": "Organization/screening"},
                ],
                "priority": "urgent",
            }
        ),
        entry(
            {
                "resourceType": "EpisodeOfCare",
                "id": "ep1",
                "status": "finished",
                "statusHistory": [
                    {"status": "waitlist", "period": {"start": "2024-01-01T10:00:00-05:00"}},
                    {
                        "status": "active",
                        "period": {"start": "2024-01-05", "end": "2024-02-01T12:00:00Z"},
                    },
                ],
                "patient": {"reference": "https://fhir.example.org/r4/Patient/p1/_history/3"},
                "managingOrganization": {"reference": "Organization/screening"},
                "careManager": {"reference": "Practitioner/dr-b"},
                "referralRequest": [{"reference": "ServiceRequest/sr1"}],
                "period": {"start": "2024-01-01T10:00:00-05:00", "end": "2024-02-01T12:00:00Z"},
            }
        ),
        entry(
            {
                "resourceType": "Encounter",
                "id": "en1",
                "status": "finished",
                "class": {"code": "HH"},
                "type": [{"coding": [{"code": "evaluation"}]}],
                "subject": {"reference": "Patient/p1"},
                "episodeOfCare": [{"reference": "EpisodeOfCare/ep1"}],
                "participant": [{"individual": {"reference": "Practitioner/dr-c"}}],
                "period": {
                    "start": "2024-01-08T09:00:00-05:00",
                    "end": "2024-01-08T11:00:00-05:00",
                },
                "serviceProvider": {"reference": "Organization/evaluation"},
            }
        ),
        entry(
            {
                "resourceType": "Encounter",
                "id": "en2",
                "status": "in-progress",
                "class": {"code": "AMB"},
                "subject": {"identifier": {"system": "urn:ramq", "value": "TREM12345678"}},
                "period": {"start": "2024-01-15T09:00:00-05:00"},
            }
        ),
        entry(
            {
                "resourceType": "Encounter",
                "id": "en3",
                "status": "entered-in-error",
                "class": {"code": "AMB"},
                "subject": {"reference": "Patient/p1"},
                "period": {"start": "2024-01-16T09:00:00-05:00"},
            }
        ),
    ],
}


def write(tmp_path: Path, document: Any, name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), "utf-8")
    return path


def rows(path: Path, **options: Any) -> list[dict[str, Any]]:
    return read_fhir(path, **options).to_pylist()


def test_mapping_of_the_three_resources(tmp_path: Path) -> None:
    events = rows(write(tmp_path, BUNDLE))
    simple = [
        (e["source_row"], e["case"], e["activity"], e["lifecycle"], e["team"], e["resource"])
        for e in events
    ]
    p1, screening, evaluation = "Patient/p1", "Organization/screening", "Organization/evaluation"
    assert simple == [
        (2, p1, "request:signalement", "complete", screening, "Practitioner/dr-a"),
        (3, p1, "episode:waitlist", "complete", screening, "Practitioner/dr-b"),
        (3, p1, "episode:active", "complete", screening, "Practitioner/dr-b"),
        (3, p1, "episode:finished", "complete", screening, "Practitioner/dr-b"),
        (4, p1, "encounter:evaluation", "start", evaluation, "Practitioner/dr-c"),
        (4, p1, "encounter:evaluation", "complete", evaluation, "Practitioner/dr-c"),
        (5, "urn:ramq|TREM12345678", "encounter:AMB", "complete", None, None),
    ]
    times = [e["timestamp"] for e in events]
    assert times[0] == dt.datetime(2024, 1, 1, 15, 0, tzinfo=UTC)
    # A date without time is midnight in the naive zone (Montreal: UTC-5 in winter).
    assert times[2] == dt.datetime(2024, 1, 5, 5, 0, tzinfo=UTC)
    # The current status starts where the history ends.
    assert times[3] == dt.datetime(2024, 2, 1, 12, 0, tzinfo=UTC)
    assert times[4:6] == [
        dt.datetime(2024, 1, 8, 14, 0, tzinfo=UTC),
        dt.datetime(2024, 1, 8, 16, 0, tzinfo=UTC),
    ]
    # The request joins the episode that lists it; an encounter names its episode.
    assert [e["episode"] for e in events[:6]] == ["EpisodeOfCare/ep1"] * 6
    assert events[0]["priority"] == "urgent"


def test_the_patient_resource_itself_is_never_read_into_events(tmp_path: Path) -> None:
    events = rows(write(tmp_path, BUNDLE))
    assert "Tremblay" not in json.dumps(events, default=str)


def test_identifiers_are_pseudonymised(tmp_path: Path) -> None:
    hasher = keyed_hasher(b"k" * 32)
    events = rows(write(tmp_path, BUNDLE), pseudonymise=hasher)
    assert {e["case"] for e in events} == {hasher("Patient/p1"), hasher("urn:ramq|TREM12345678")}
    assert events[0]["resource"] == hasher("Practitioner/dr-a")
    assert events[0]["episode"] == hasher("EpisodeOfCare/ep1")
    assert events[0]["team"] == "Organization/screening"  # teams name no person


def test_the_engine_reads_the_encounter_as_one_activity_instance(tmp_path: Path) -> None:
    log = EventLog(read_fhir(write(tmp_path, BUNDLE)))
    stats = log.stats()
    assert stats["n_cases"] == 2
    assert stats["n_activity_instances"] == 6


def test_a_requester_organisation_is_the_team_when_no_performer_is(tmp_path: Path) -> None:
    bundle = copy.deepcopy(BUNDLE)
    del bundle["entry"][1]["resource"]["performer"]
    assert rows(write(tmp_path, bundle))[0]["team"] == "Organization/school"


def test_an_episode_without_history_is_one_event_at_its_start(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            entry(
                {
                    "resourceType": "EpisodeOfCare",
                    "id": "e",
                    "status": "active",
                    "patient": {"reference": "Patient/1"},
                    "period": {"start": "2024-03-01T08:00:00Z"},
                }
            )
        ],
    }
    (event,) = rows(write(tmp_path, bundle))
    assert (event["activity"], event["timestamp"]) == (
        "episode:active",
        dt.datetime(2024, 3, 1, 8, tzinfo=UTC),
    )


# --- Refusals ---------------------------------------------------------------------------------


def refused(path: Path, **options: Any) -> list[FhirProblem]:
    with pytest.raises(EventLogError) as caught:
        read_fhir(path, **options)
    problems = caught.value.problems
    assert all(p.message for p in problems)  # every code has its text
    return problems


def located(problems: list[Any]) -> list[tuple[str, str, int | None, str | None]]:
    return [(p.file, p.code, p.row, p.field) for p in problems]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("", "empty_file"),
        ("   \n", "empty_file"),
        ('{"resourceType": "Bundle", "entry": [{"resource": {"resour', "json_malformed"),
        ('{"resourceType": "Patient", "id": "1"}', "fhir_not_bundle"),
        ("[1, 2]", "fhir_not_bundle"),
        ('{"resourceType": "Bundle", "type": "collection"}', "fhir_empty_bundle"),
        ('{"resourceType": "Bundle", "entry": []}', "fhir_empty_bundle"),
        ('{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "X"}}]}', "no_events"),
        ('{"resourceType": "Bundle", "entry": [{"resource": {"a": NaN}}]}', "json_malformed"),
        ("[" * 100_000 + "]" * 100_000, "json_malformed"),
    ],
)  # fmt: skip
def test_malformed_truncated_or_empty_files_are_refused(
    tmp_path: Path, content: str, code: str
) -> None:
    problems = refused(write(tmp_path, content, "export.json"))
    assert [(p.file, p.code) for p in problems] == [("export.json", code)]


def test_a_truncated_file_says_where_it_stops(tmp_path: Path) -> None:
    text = json.dumps(BUNDLE, indent=1)
    (problem,) = refused(write(tmp_path, text[: len(text) // 2]))
    assert problem.code == "json_malformed"
    assert problem.params["line"] > 10
    assert "line" in problem.message


def test_invalid_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"resourceType": "Bundle", "id": "é"}'.encode("latin-1"))
    assert [p.code for p in refused(path)] == ["encoding"]


def test_the_size_is_capped_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, BUNDLE)
    assert [p.code for p in refused(path, max_bytes=100)] == ["file_too_large"]


def test_problems_name_the_entry_and_the_element(tmp_path: Path) -> None:
    bundle = copy.deepcopy(BUNDLE)
    del bundle["entry"][1]["resource"]["subject"]
    bundle["entry"][2]["resource"]["statusHistory"][0]["period"]["start"] = "2024-01"
    bundle["entry"][3]["resource"]["period"] = {}
    bundle["entry"][4]["resource"]["period"]["start"] = "yesterday"
    bundle["entry"].append({"request": {"method": "DELETE"}})
    problems = refused(write(tmp_path, bundle, "cisss.json"))
    assert located(problems) == [
        ("cisss.json", "fhir_structure", 7, "Bundle.entry.resource"),
    ]
    bundle["entry"].pop()
    problems = refused(write(tmp_path, bundle, "cisss.json"))
    assert located(problems) == [
        ("cisss.json", "missing_value", 2, "ServiceRequest.subject"),
        ("cisss.json", "fhir_imprecise_date", 3, "EpisodeOfCare.statusHistory[0].period.start"),
        ("cisss.json", "missing_value", 4, "Encounter.period"),
        ("cisss.json", "bad_timestamp", 5, "Encounter.period.start"),
    ]
    assert "not precise to the day" in problems[1].message
    assert str(problems[0]).startswith("cisss.json, row 2, field ServiceRequest.subject: ")


# --- Import through the task ------------------------------------------------------------------


@pytest.mark.usefixtures("storage_dirs")
def test_a_bundle_imports_through_the_task(jimmy, diana, tmp_path, storage_dirs) -> None:
    from django.test import TestCase

    from pilotage.trajectories import tasks
    from pilotage.trajectories.actions import do_queue_import
    from pilotage.trajectories.models import ImportStatus

    path = write(tmp_path, BUNDLE, "export.json")
    batch = do_queue_import(jimmy, path.read_bytes(), path.name, None, {}, diana)
    assert batch.file_format == "fhir"
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.run_import.call(batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.n_events, batch.n_cases) == (ImportStatus.DONE, 7, 2)
    # The Organization references are teams the trajectory does not list yet: kept, said.
    assert [p["code"] for p in batch.problems] == ["unknown_teams"]
    stored = pq.read_table(storage_dirs["eventlogs"] / batch.parquet_path).to_pylist()
    text = json.dumps(stored, default=str)
    for identifier in ("Patient/p1", "TREM12345678", "dr-a", "EpisodeOfCare/ep1"):
        assert identifier not in text


@pytest.mark.usefixtures("storage_dirs")
def test_a_refused_bundle_is_reported_by_entry(jimmy, tmp_path) -> None:
    from pilotage.trajectories import tasks
    from pilotage.trajectories.actions import do_queue_import

    bundle = copy.deepcopy(BUNDLE)
    del bundle["entry"][3]["resource"]["subject"]
    path = write(tmp_path, bundle, "export.json")
    batch = do_queue_import(jimmy, path.read_bytes(), path.name, None, {}, None)
    tasks.run_import.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "failed"
    (problem,) = batch.problems
    assert (problem["file"], problem["row"], problem["field"], problem["code"]) == (
        "export.json",
        4,
        "Encounter.subject",
        "missing_value",
    )
