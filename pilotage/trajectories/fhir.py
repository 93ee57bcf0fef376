"""A reader for FHIR R4 JSON Bundles: referrals, episodes of care and encounters as events.

Pure Python like the readers of `pilotage.analytics` (no Django import; it can move there once
the analytics catalogue `errors.MESSAGES` takes the FHIR codes): it produces the canonical
event table (`canonical.SCHEMA`) through the same `EventBuilder`, refuses a file whole with
one `EventLogError`, and applies the optional pseudonymisation before returning.

Mapping (one row of the canonical table per event; ``row`` is the 1-based entry index):

* ``ServiceRequest``: one event at ``authoredOn``, activity ``request`` (or
  ``request:<code>`` when ``code`` is coded), case = ``subject``, team = the first
  ``performer`` that is an Organization, CareTeam or HealthcareService, else ``requester``
  when it is one; resource = the first Practitioner or PractitionerRole among the performers;
  priority = ``priority``; episode = the EpisodeOfCare listing it in ``referralRequest``, or
  the episode of an Encounter ``basedOn`` it.
* ``EpisodeOfCare``: one event per ``statusHistory`` entry at its ``period.start``, activity
  ``episode:<status>``; then the current ``status`` unless the last history entry already
  says it, at the end of the last history period, or ``period.end`` for a finished or
  cancelled episode, else ``period.start``. case = ``patient``, team =
  ``managingOrganization``, resource = ``careManager``, episode = the episode itself.
* ``Encounter``: a start event at ``period.start`` and a complete event at ``period.end``
  (a point event when only one is known), activity ``encounter:<type>`` (first ``type``
  code, else its text, else the ``class`` code); case = ``subject``, team =
  ``serviceProvider``, resource = the first Practitioner or PractitionerRole participant,
  episode = the first ``episodeOfCare``, priority = ``priority``.
* Resources ``entered-in-error`` (all three), and planned or cancelled encounters, are
  skipped: they did not happen. Other resource types (Patient, Organization, ...) are read
  for nothing but reference resolution, and are never stored.

References become identifiers as ``Type/id`` (absolute URLs and ``_history`` suffixes are
cut; a ``urn:uuid:`` pointing at an entry of the bundle becomes that entry's ``Type/id``), or
``system|value`` for a reference by identifier. Teams are therefore ``Organization/<id>``:
that is the name a trajectory team carries for a FHIR source.

Safety: JSON has no entities or external references; the size is capped before parsing
(`DEFAULT_MAX_BYTES`, lower than for streamed formats because JSON is parsed whole), and
``NaN``/``Infinity`` and absurd nesting are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from pilotage.analytics.canonical import COMPLETE, DEFAULT_NAIVE_TIME_ZONE, START, EventBuilder
from pilotage.analytics.errors import (
    MAX_PROBLEMS,
    MESSAGES,
    EventLogError,
    Problem,
    ProblemCollector,
)
from pilotage.analytics.readers import Pseudonymiser, Source, check_size, display_name

#: A Bundle is parsed whole, so the cap is lower than the streamed formats' 1 GiB: parsing
#: 256 MiB of JSON takes a few GiB of memory in Python.
DEFAULT_MAX_BYTES = 256 << 20

#: English texts of the problems only this reader reports (the others are in `MESSAGES`).
FHIR_MESSAGES: Mapping[str, str] = {
    "json_malformed": "The JSON is malformed or truncated: {detail} (line {line}, column "
    "{column}).",
    "fhir_not_bundle": "The file is not a FHIR Bundle (its resourceType is {found}).",
    "fhir_empty_bundle": "The Bundle has no entries.",
    "fhir_structure": "Unexpected FHIR structure: {detail}.",
    "fhir_imprecise_date": "{value!r} is not precise to the day: delays are counted in days.",
}

#: Every message this reader may produce, by code.
ALL_MESSAGES: Mapping[str, str] = {**MESSAGES, **FHIR_MESSAGES}

TEAM_TYPES = frozenset({"Organization", "CareTeam", "HealthcareService"})
PERSON_TYPES = frozenset({"Practitioner", "PractitionerRole"})
SKIPPED_STATUSES = {
    "ServiceRequest": frozenset({"entered-in-error"}),
    "EpisodeOfCare": frozenset({"entered-in-error"}),
    "Encounter": frozenset({"entered-in-error", "planned", "cancelled"}),
}
# FHIR dateTime: a year, a month, a day, or a day with a time (and then a zone).
_PARTIAL_DATE = re.compile(r"\d{4}(-\d{2})?")
_HISTORY = re.compile(r"/_history/[^/]*$")
_TYPE_ID = re.compile(r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")


@dataclass(frozen=True)
class FhirProblem(Problem):
    """A problem of a FHIR file: `field` is the FHIR element (``Encounter.period``), `row`
    the 1-based index of the Bundle entry."""

    @property
    def message(self) -> str:
        return ALL_MESSAGES[self.code].format(**self.params)


class _Collector(ProblemCollector):
    """The readers' collector, making `FhirProblem`s so FHIR codes have messages too."""

    def add(
        self,
        code: str,
        *,
        row: int | None = None,
        field: str | None = None,
        trace: int | None = None,
        **params: Any,
    ) -> None:
        self.problems.append(FhirProblem(self.file, code, params, row=row, field=field))
        if len(self.problems) >= self.limit:
            self.problems.append(FhirProblem(self.file, "too_many_problems", {"limit": self.limit}))
            raise EventLogError(self.problems)

    def fail(self, code: str, **kwargs: Any) -> EventLogError:
        row, field = kwargs.pop("row", None), kwargs.pop("field", None)
        kwargs.pop("trace", None)
        self.problems.append(FhirProblem(self.file, code, kwargs, row=row, field=field))
        return EventLogError(self.problems)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _load(source: Source, problems: _Collector) -> Any:
    try:
        with open(source, "rb") as handle:
            text = handle.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise problems.fail("encoding") from exc
    if not text.strip():
        raise problems.fail("empty_file")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise problems.fail(
            "json_malformed", detail=exc.msg, line=exc.lineno, column=exc.colno
        ) from exc
    except ValueError as exc:
        raise problems.fail("json_malformed", detail=str(exc), line=0, column=0) from exc
    except RecursionError as exc:
        raise problems.fail("json_malformed", detail="nested too deeply", line=0, column=0) from exc


class _Bundle:
    """The entries of one Bundle, with what is needed to resolve references between them."""

    def __init__(self, document: Any, problems: _Collector) -> None:
        self.problems = problems
        if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
            found = (
                repr(document.get("resourceType"))
                if isinstance(document, dict)
                else f"not an object but {type(document).__name__}"
            )
            raise problems.fail("fhir_not_bundle", found=found)
        entries = document.get("entry")
        if entries is None or entries == []:
            raise problems.fail("fhir_empty_bundle", field="Bundle.entry")
        if not isinstance(entries, list):
            raise problems.fail(
                "fhir_structure", field="Bundle.entry", detail="entry is not a list"
            )
        self.resources: list[tuple[int, dict[str, Any]]] = []
        self.full_urls: dict[str, str] = {}
        for index, entry in enumerate(entries, start=1):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                problems.add(
                    "fhir_structure",
                    row=index,
                    field="Bundle.entry.resource",
                    detail="the entry holds no resource",
                )
                continue
            kind, rid = resource["resourceType"], resource.get("id")
            if isinstance(rid, str) and isinstance(entry.get("fullUrl"), str):
                self.full_urls[entry["fullUrl"]] = f"{kind}/{rid}"
            self.resources.append((index, resource))
        problems.raise_if_any()

    def key(self, reference: Any) -> str | None:
        """A Reference as a stable identifier (``Type/id`` or ``system|value``), or None."""
        if not isinstance(reference, dict):
            return None
        ref = reference.get("reference")
        if isinstance(ref, str) and ref.strip() and not ref.startswith("#"):
            ref = _HISTORY.sub("", ref.strip())
            if ref in self.full_urls:
                return self.full_urls[ref]
            match = _TYPE_ID.search(ref)
            if match and not ref.startswith("urn:"):
                return f"{match.group(1)}/{match.group(2)}"
            return ref
        identifier = reference.get("identifier")
        if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
            system = identifier.get("system")
            value = identifier["value"].strip()
            return f"{system}|{value}" if isinstance(system, str) and system else value or None
        return None

    def typed(self, reference: Any, types: frozenset[str]) -> str | None:
        """The reference's key when it points at one of `types` (by its ``type`` or its
        ``Type/id`` form)."""
        key = self.key(reference)
        if key is None:
            return None
        declared = reference.get("type") if isinstance(reference, dict) else None
        kind = declared if isinstance(declared, str) else key.split("/", 1)[0]
        return key if kind in types else None


def _code(concept: Any) -> str | None:
    """The first code of a CodeableConcept (or a Coding), else its text."""
    if not isinstance(concept, dict):
        return None
    codings = concept.get("coding")
    if isinstance(codings, list):
        for coding in codings:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return coding["code"].strip() or None
    if isinstance(concept.get("code"), str):  # a Coding, as Encounter.class is
        return concept["code"].strip() or None
    text = concept.get("text")
    if isinstance(text, str):
        return text.strip() or None
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Reader:
    def __init__(self, bundle: _Bundle, builder: EventBuilder) -> None:
        self.bundle = bundle
        self.builder = builder
        self.problems = bundle.problems
        self.episode_of_request: dict[str, str] = {}

    def when(self, value: Any, row: int, field: str, required: bool = True) -> Any:
        """A FHIR dateTime checked to the day, as the builder will parse it; None if absent
        or wrong (a problem is then recorded)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems.add("missing_value", row=row, field=field)
            return None
        if isinstance(value, str) and _PARTIAL_DATE.fullmatch(value.strip()):
            self.problems.add("fhir_imprecise_date", row=row, field=field, value=value)
            return None
        if not isinstance(value, str) or self.builder.parse_timestamp(value) is None:
            self.problems.add("bad_timestamp", row=row, field=field, value=str(value))
            return None
        return value

    def required(self, value: str | None, row: int, field: str) -> str | None:
        if value is None:
            self.problems.add("missing_value", row=row, field=field)
        return value

    def link_episodes(self) -> None:
        """ServiceRequest -> EpisodeOfCare, from the episodes' referralRequest and from the
        encounters based on a request (the first link found wins)."""
        key = self.bundle.key
        for _, resource in self.bundle.resources:
            kind = resource["resourceType"]
            episode_id = resource.get("id")
            if kind == "EpisodeOfCare" and isinstance(episode_id, str):
                for request in _list(resource.get("referralRequest")):
                    if (request_key := key(request)) is not None:
                        self.episode_of_request.setdefault(
                            request_key, f"EpisodeOfCare/{episode_id}"
                        )
        for _, resource in self.bundle.resources:
            if resource["resourceType"] == "Encounter":
                episodes = [key(e) for e in _list(resource.get("episodeOfCare"))]
                if episodes and episodes[0] is not None:
                    for request in _list(resource.get("basedOn")):
                        if (request_key := key(request)) is not None:
                            self.episode_of_request.setdefault(request_key, episodes[0])

    def read(self) -> None:
        self.link_episodes()
        handlers = {
            "ServiceRequest": self.service_request,
            "EpisodeOfCare": self.episode_of_care,
            "Encounter": self.encounter,
        }
        for row, resource in self.bundle.resources:
            kind = resource["resourceType"]
            if kind in handlers and resource.get("status") not in SKIPPED_STATUSES[kind]:
                handlers[kind](row, resource)

    def add(self, row: int, **values: Any) -> None:
        self.builder.add(row, values)

    def service_request(self, row: int, resource: dict[str, Any]) -> None:
        bundle = self.bundle
        case = self.required(bundle.key(resource.get("subject")), row, "ServiceRequest.subject")
        when = self.when(resource.get("authoredOn"), row, "ServiceRequest.authoredOn")
        if case is None or when is None:
            return
        performers = _list(resource.get("performer"))
        team = next(
            (t for p in performers if (t := bundle.typed(p, TEAM_TYPES)) is not None),
            bundle.typed(resource.get("requester"), TEAM_TYPES),
        )
        person = next(
            (r for p in performers if (r := bundle.typed(p, PERSON_TYPES)) is not None), None
        )
        code = _code(resource.get("code"))
        own = f"ServiceRequest/{resource['id']}" if isinstance(resource.get("id"), str) else None
        self.add(
            row,
            case=case,
            activity=f"request:{code}" if code else "request",
            timestamp=when,
            lifecycle=COMPLETE,
            team=team,
            resource=person,
            priority=resource.get("priority")
            if isinstance(resource.get("priority"), str)
            else None,
            episode=self.episode_of_request.get(own) if own else None,
        )

    def episode_of_care(self, row: int, resource: dict[str, Any]) -> None:
        bundle = self.bundle
        case = self.required(bundle.key(resource.get("patient")), row, "EpisodeOfCare.patient")
        episode = f"EpisodeOfCare/{resource['id']}" if isinstance(resource.get("id"), str) else None
        common = {
            "case": case,
            "team": bundle.typed(resource.get("managingOrganization"), TEAM_TYPES),
            "resource": bundle.typed(resource.get("careManager"), PERSON_TYPES),
            "episode": episode,
            "lifecycle": COMPLETE,
        }
        events: list[tuple[str, Any]] = []
        last_status, last_end = None, None
        history = resource.get("statusHistory")
        if history is not None and not isinstance(history, list):
            self.problems.add(
                "fhir_structure",
                row=row,
                field="EpisodeOfCare.statusHistory",
                detail="statusHistory is not a list",
            )
            return
        for position, item in enumerate(_list(history)):
            field = f"EpisodeOfCare.statusHistory[{position}]"
            item = item if isinstance(item, dict) else {}
            status = self.required(
                item.get("status") if isinstance(item.get("status"), str) else None,
                row,
                f"{field}.status",
            )
            period = item.get("period") if isinstance(item.get("period"), dict) else {}
            start = self.when(period.get("start"), row, f"{field}.period.start")
            last_end = self.when(period.get("end"), row, f"{field}.period.end", required=False)
            last_status = status
            if status is not None and start is not None:
                events.append((status, start))
        status = resource.get("status")
        if not isinstance(status, str) or not status.strip():
            self.problems.add("missing_value", row=row, field="EpisodeOfCare.status")
        elif status != last_status:
            period = resource.get("period") if isinstance(resource.get("period"), dict) else {}
            end_field, start_field = "EpisodeOfCare.period.end", "EpisodeOfCare.period.start"
            if last_end is not None:
                when = last_end
            elif status in ("finished", "cancelled") and period.get("end"):
                when = self.when(period.get("end"), row, end_field)
            else:
                when = self.when(period.get("start"), row, start_field)
            if when is not None:
                events.append((status, when))
        if case is None:
            return
        for status_name, when in events:
            self.add(row, activity=f"episode:{status_name}", timestamp=when, **common)

    def encounter(self, row: int, resource: dict[str, Any]) -> None:
        bundle = self.bundle
        case = self.required(bundle.key(resource.get("subject")), row, "Encounter.subject")
        types = _list(resource.get("type"))
        kind = _code(types[0]) if types else None
        kind = kind or _code(resource.get("class"))
        kind = self.required(kind, row, "Encounter.type")
        period = resource.get("period") if isinstance(resource.get("period"), dict) else {}
        if not period.get("start") and not period.get("end"):
            self.problems.add("missing_value", row=row, field="Encounter.period")
            return
        start = self.when(period.get("start"), row, "Encounter.period.start", required=False)
        end = self.when(period.get("end"), row, "Encounter.period.end", required=False)
        if case is None or kind is None or (start is None and end is None):
            return
        participants = _list(resource.get("participant"))
        person = next(
            (
                r
                for p in participants
                if isinstance(p, dict)
                and (r := bundle.typed(p.get("individual"), PERSON_TYPES)) is not None
            ),
            None,
        )
        episodes = _list(resource.get("episodeOfCare"))
        values = {
            "case": case,
            "activity": f"encounter:{kind}",
            "team": bundle.typed(resource.get("serviceProvider"), TEAM_TYPES),
            "resource": person,
            "episode": bundle.key(episodes[0]) if episodes else None,
            "priority": _code(resource.get("priority")),
        }
        if start is not None and end is not None:
            self.add(row, timestamp=start, lifecycle=START, **values)
        self.add(row, timestamp=end if end is not None else start, lifecycle=COMPLETE, **values)


def read_fhir(
    source: Source,
    mapping: object | None = None,
    *,
    pseudonymise: Pseudonymiser | None = None,
    naive_time_zone: str = DEFAULT_NAIVE_TIME_ZONE,
    timestamp_format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> pa.Table:
    """Read a FHIR R4 JSON Bundle into the canonical table (see the module for the mapping).

    `mapping` is accepted for a uniform reader signature and ignored: FHIR elements have
    fixed meanings. Dates without a time (``2024-03-01``) are read at midnight in
    `naive_time_zone`; dates less precise than a day are refused.
    """
    del mapping, timestamp_format  # fixed by the FHIR specification
    problems = _Collector(display_name(source, name), MAX_PROBLEMS)
    check_size(source, problems, max_bytes)
    builder = EventBuilder(problems, naive_time_zone=naive_time_zone)
    bundle = _Bundle(_load(source, problems), problems)
    _Reader(bundle, builder).read()
    return builder.table(pseudonymise)


__all__ = ["ALL_MESSAGES", "FHIR_MESSAGES", "FhirProblem", "read_fhir"]
