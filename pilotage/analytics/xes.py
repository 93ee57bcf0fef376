"""A safe, streaming reader for XES event logs (IEEE 1849).

Safety: an uploaded XML file is hostile until proven otherwise. The parser (lxml) runs with
entity resolution, DTD loading and network access off and libxml2's size limits on
(``huge_tree=False``); on top of that, any document type declaration is refused outright as
soon as the root element opens, because an XES file never needs one and DTDs are how entity
bombs and external-entity reads get in. The byte size is capped before and during reading
(a ``.xes.gz`` is capped on its uncompressed size, which also stops gzip bombs).

Memory: the tree is consumed with ``iterparse`` and each trace is cleared once read, so memory
holds one trace plus the growing columns, never the document.

Mapping: the trace's ``concept:name`` is the case; events map through `ColumnMapping`
(``case:``-prefixed names are trace attributes). ``lifecycle:transition`` start and complete
are kept; other standard transitions are dropped and counted (see `canonical`); an event with
PM4Py's ``start_timestamp`` attribute becomes a start and a complete event.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import pyarrow as pa
from lxml import etree

from .canonical import DEFAULT_NAIVE_TIME_ZONE, EventBuilder
from .errors import EventLogError, ProblemCollector
from .readers import (
    DEFAULT_MAX_BYTES,
    ColumnMapping,
    Pseudonymiser,
    Source,
    check_size,
    display_name,
)

#: XES attribute elements whose ``value`` we read (lists and containers have no value).
ATTRIBUTE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id"})
TRACE_PREFIX = "case:"


class _TooLargeError(Exception):
    """Raised inside the parser's read loop when the byte budget is spent."""


class _LimitedReader(io.RawIOBase):
    """A binary stream that refuses to yield more than `limit` bytes in total."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self.stream = stream
        self.remaining = limit

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.stream.close()
        super().close()

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size if size >= 0 else self.remaining + 1)
        self.remaining -= len(chunk)
        if self.remaining < 0:
            raise _TooLargeError
        return chunk


def _local(tag: Any) -> str | None:
    """The tag without its namespace (XES files may or may not declare one); None for
    comments and processing instructions."""
    if not isinstance(tag, str):
        return None
    return tag.rpartition("}")[2]


def _attributes(element: Any) -> dict[str, str]:
    """The element's direct attribute children as key -> value (nested ones are ignored)."""
    found: dict[str, str] = {}
    for child in element:
        if _local(child.tag) in ATTRIBUTE_TAGS:
            key = child.get("key")
            if key is not None and key not in found:
                found[key] = child.get("value")
    return found


def _open(source: Source, limit: int) -> BinaryIO:
    raw: BinaryIO = open(source, "rb")  # noqa: SIM115 - closed by the caller
    if str(source).lower().endswith(".gz"):
        # GzipFile does not close a passed file object; opening by name makes it own it.
        raw.close()
        raw = gzip.open(source, "rb")  # type: ignore[assignment]
    return _LimitedReader(raw, limit)  # type: ignore[return-value]


def read_xes(
    source: Source,
    mapping: ColumnMapping | None = None,
    *,
    pseudonymise: Pseudonymiser | None = None,
    naive_time_zone: str = DEFAULT_NAIVE_TIME_ZONE,
    timestamp_format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> pa.Table:
    """Read an XES (or gzipped XES) event log into the canonical table.

    Events are numbered 1, 2, ... in document order (`source_row`), traces likewise, and
    problems name both.
    """
    mapping = mapping or ColumnMapping()
    problems = ProblemCollector(display_name(source, name))
    check_size(source, problems, max_bytes)
    builder = EventBuilder(
        problems, naive_time_zone=naive_time_zone, timestamp_format=timestamp_format
    )
    stream = _open(source, max_bytes)
    try:
        for trace_number, trace, events in _traces(stream, problems):
            _add_trace(builder, mapping, trace_number, trace, events)
    except _TooLargeError as exc:
        raise problems.fail("file_too_large", limit=max_bytes) from exc
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        detail = (exc.msg or str(exc)).split(", line ")[0]
        raise problems.fail("xml_malformed", detail=detail, line=line, column=column) from exc
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        # A truncated or corrupt .gz surfaces here rather than as an XML error.
        raise problems.fail("xml_malformed", detail=str(exc), line=0, column=0) from exc
    finally:
        stream.close()
    return builder.table(pseudonymise)


def _traces(
    stream: BinaryIO, problems: ProblemCollector
) -> Iterator[tuple[int, dict[str, str], list[tuple[int, dict[str, str]]]]]:
    """Yield (trace number, trace attributes, [(event number, event attributes)])."""
    parser = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    trace_number = 0
    event_number = 0
    events: list[tuple[int, dict[str, str]]] = []
    for action, element in parser:
        tag = _local(element.tag)
        if action == "start":
            depth += 1
            if depth == 1:
                if element.getroottree().docinfo.doctype:
                    raise problems.fail("xml_forbidden")
                if tag != "log":
                    raise problems.fail("xes_structure", detail=f"the root element is <{tag}>")
            elif tag == "trace" and depth == 2:
                trace_number += 1
                events = []
            elif tag == "event":
                event_number += 1
                if depth != 3:
                    raise problems.fail(
                        "xes_structure", row=event_number, detail="an event outside a trace"
                    )
            continue
        depth -= 1
        if tag == "event" and depth == 2:
            events.append((event_number, _attributes(element)))
            element.clear()
        elif tag == "trace" and depth == 1:
            yield trace_number, _attributes(element), events
            element.clear()
            # Drop the cleared trace itself from the root, or the tree grows with the file.
            while element.getprevious() is not None:
                del element.getparent()[0]


def _add_trace(
    builder: EventBuilder,
    mapping: ColumnMapping,
    trace_number: int,
    trace: dict[str, str],
    events: list[tuple[int, dict[str, str]]],
) -> None:
    columns = mapping.columns()
    case_key = columns["case"]
    if case_key.startswith(TRACE_PREFIX) and not trace.get(case_key[len(TRACE_PREFIX) :]):
        # One problem per trace, not one per event of it.
        builder.problems.add("missing_value", field="case", trace=trace_number)
        return
    for event_number, attributes in events:
        values: dict[str, Any] = {}
        for field_name, key in columns.items():
            if key.startswith(TRACE_PREFIX):
                values[field_name] = trace.get(key[len(TRACE_PREFIX) :])
            else:
                values[field_name] = attributes.get(key)
        builder.add(event_number, values, trace=trace_number)


__all__ = ["EventLogError", "read_xes"]
