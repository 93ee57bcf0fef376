"""The event-log import pages of a trajectory: upload, the batches with their progress, and
withdrawal.

Permissions: a trajectory outside the user's scope is a 404 (decision 3); inside it, only the
leaders of the trajectory's unit or of a unit above (`can_lead`) and the performance advisors
of those units import, follow and withdraw imports, others get a 403. The batch list refreshes
itself every 2 seconds with htmx while an import is queued or running (`hx-get` on the
fragment view), and offers a plain "refresh" link without JavaScript.

Problems are stored with their code and parameters; `problem_text` shows them in the user's
language. The English catalogues (`analytics.MESSAGES`, `trajectories.fhir.FHIR_MESSAGES`,
`actions.IMPORT_MESSAGES`) are the msgids, repeated here literally so that `makemessages`
finds them; a test checks that the two never differ.
"""

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from pilotage.organisation.models import Membership, Role
from pilotage.organisation.scope import can_lead
from pilotage.trajectories.actions import (
    AlreadyImported,
    NotWithdrawable,
    do_queue_import,
    do_withdraw_import,
)
from pilotage.trajectories.forms import ImportForm, WithdrawForm
from pilotage.trajectories.models import EventImport, ImportStatus, Trajectory

#: Batches listed on the page, newest first.
BATCHES_SHOWN = 50

PROBLEM_TEXTS: Mapping[str, Promise] = {
    # pilotage.analytics.MESSAGES
    "file_not_found": gettext_lazy("The file does not exist."),
    "file_too_large": gettext_lazy("The file is larger than the limit of {limit} bytes."),
    "empty_file": gettext_lazy("The file is empty."),
    "no_events": gettext_lazy("The file has no events."),
    "encoding": gettext_lazy("The text is not valid UTF-8."),
    "unsupported_format": gettext_lazy(
        "Unsupported file type {suffix!r}: use .csv, .xlsx, .parquet or .xes."
    ),
    "csv_malformed": gettext_lazy("The CSV is malformed: {detail}."),
    "row_length": gettext_lazy("The row has {found} fields; the header has {expected}."),
    "missing_column": gettext_lazy("Column {column!r} is missing (columns found: {available})."),
    "duplicate_column": gettext_lazy("Column {column!r} appears more than once in the header."),
    "missing_value": gettext_lazy("The value is empty."),
    "bad_timestamp": gettext_lazy(
        "{value!r} is not a date and time (expected ISO 8601, such as 2024-03-01T09:30:00-05:00)."
    ),
    "bad_time_zone": gettext_lazy("Unknown time zone {time_zone!r}."),
    "unknown_lifecycle": gettext_lazy(
        "Lifecycle value {value!r} is not a standard XES transition."
    ),
    "excel_malformed": gettext_lazy("The workbook cannot be read: {detail}."),
    "excel_formula": gettext_lazy("The cell holds a formula ({formula}); export values only."),
    "parquet_malformed": gettext_lazy("The Parquet file cannot be read: {detail}."),
    "xml_forbidden": gettext_lazy(
        "The XML uses a DTD or entity declarations, which are refused for safety."
    ),
    "xml_malformed": gettext_lazy(
        "The XML is malformed or truncated: {detail} (line {line}, column {column})."
    ),
    "xes_structure": gettext_lazy("Unexpected XES structure: {detail}."),
    "too_many_problems": gettext_lazy("More than {limit} problems; the rest were not listed."),
    # pilotage.trajectories.fhir.FHIR_MESSAGES
    "json_malformed": gettext_lazy(
        "The JSON is malformed or truncated: {detail} (line {line}, column {column})."
    ),
    "fhir_not_bundle": gettext_lazy("The file is not a FHIR Bundle (its resourceType is {found})."),
    "fhir_empty_bundle": gettext_lazy("The Bundle has no entries."),
    "fhir_structure": gettext_lazy("Unexpected FHIR structure: {detail}."),
    "fhir_imprecise_date": gettext_lazy(
        "{value!r} is not precise to the day: delays are counted in days."
    ),
    # pilotage.trajectories.actions.IMPORT_MESSAGES
    "unknown_teams": gettext_lazy(
        "{count} teams of the file are not linked to a unit of the trajectory ({teams}): "
        "their events count for the trajectory as a whole, not for a team."
    ),
    "dropped_lifecycle": gettext_lazy(
        "{count} events with another lifecycle transition than start or complete (schedule, "
        "suspend, ...) were left out."
    ),
    "duplicate_events": gettext_lazy(
        "{count} events of this file are already in earlier imports of the trajectory (same "
        "case, activity, time and lifecycle) and will count twice: if the extracts overlap, "
        "withdraw one of them."
    ),
    "internal_error": gettext_lazy(
        "The import stopped on an unexpected error; nothing was imported. Try again, or tell "
        "your administrator."
    ),
}


def problem_text(problem: Mapping[str, Any]) -> str:
    """A stored problem's message in the active language (English as stored, if its code or
    parameters do not fit the catalogue)."""
    template = PROBLEM_TEXTS.get(str(problem.get("code")))
    if template is not None:
        try:
            return str(template).format(**problem.get("params", {}))
        except (KeyError, IndexError, ValueError):
            pass
    return str(problem.get("message", ""))


def can_import(user: object, trajectory: Trajectory) -> bool:
    """Leaders of the trajectory's unit (or above) and its performance advisors."""
    unit = trajectory.unit
    return can_lead(user, unit) or (
        Membership.objects.current()
        .filter(
            person__user=user,
            role=Role.PERFORMANCE_ADVISOR,
            unit_id__in=[*unit.ancestor_ids(), unit.pk],
        )
        .exists()
    )


def _get_trajectory_for_user(user: object, code: str) -> Trajectory:
    """The trajectory if the user may import into it; 404 outside the scope, else 403."""
    trajectory = Trajectory.objects.visible_to(user).filter(code=code).select_related("unit")
    found = trajectory.first()
    if found is None:
        raise Http404
    if not can_import(user, found):
        raise PermissionDenied
    return found


def _batches_context(trajectory: Trajectory) -> dict[str, Any]:
    batches = list(
        EventImport.objects.filter(trajectory=trajectory).select_related(
            "imported_by", "withdrawn_by"
        )[:BATCHES_SHOWN]
    )
    rows = [
        {
            "batch": batch,
            "active": batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
            "withdrawable": batch.status
            in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DONE),
            "problems": [{**p, "text": problem_text(p)} for p in batch.problems or []],
        }
        for batch in batches
    ]
    return {
        "trajectory": trajectory,
        "rows": rows,
        "polling": any(row["active"] for row in rows),
    }


@login_required
def eventlog_import(request: HttpRequest, code: str) -> HttpResponse:
    """The upload form and the trajectory's imports; a valid upload is queued."""
    trajectory = _get_trajectory_for_user(request.user, code)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = do_queue_import(
                trajectory,
                upload,
                upload.name,
                form.cleaned_data["file_format"],
                form.mapping(),
                request.user,
            )
        except AlreadyImported as exc:
            messages.info(request, exc.message)
            return _back(trajectory)
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("“%(file)s” is queued for import; its progress is shown below.")
                % {"file": batch.file_name},
            )
            return _back(trajectory)
    context = {**_batches_context(trajectory), "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "trajectories/import.html", context, status=status)


def _back(trajectory: Trajectory) -> HttpResponse:
    url = reverse("eventlog_import", kwargs={"code": trajectory.code})
    return HttpResponseRedirect(f"{url}#batches")


@login_required
@require_GET
def eventlog_import_status(request: HttpRequest, code: str) -> HttpResponse:
    """The batch list alone: the fragment the page polls while an import runs."""
    trajectory = _get_trajectory_for_user(request.user, code)
    return render(request, "trajectories/import_batches.html", _batches_context(trajectory))


@login_required
def eventlog_withdraw(request: HttpRequest, code: str, batch_id: int) -> HttpResponse:
    """Confirm, with a reason, that an import's events leave every computation."""
    trajectory = _get_trajectory_for_user(request.user, code)
    batch = EventImport.objects.filter(trajectory=trajectory, pk=batch_id).first()
    if batch is None:
        raise Http404
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            withdrawal = do_withdraw_import(batch, request.user, form.cleaned_data["reason"])
        except NotWithdrawable:
            messages.error(request, _("This import cannot be withdrawn: it is not imported."))
        else:
            text = (
                _("“%(file)s” is withdrawn; the indicators are being recomputed without it.")
                if withdrawal.was_imported
                else _("The import of “%(file)s” is cancelled.")
            )
            messages.success(request, text % {"file": batch.file_name})
        return _back(trajectory)
    status = 400 if request.method == "POST" else 200
    context = {"trajectory": trajectory, "batch": batch, "form": form}
    return render(request, "trajectories/import_withdraw.html", context, status=status)


urlpatterns = [
    path("<slug:code>/imports/", eventlog_import, name="eventlog_import"),
    path("<slug:code>/imports/status/", eventlog_import_status, name="eventlog_import_status"),
    path(
        "<slug:code>/imports/<int:batch_id>/withdraw/", eventlog_withdraw, name="eventlog_withdraw"
    ),
]
