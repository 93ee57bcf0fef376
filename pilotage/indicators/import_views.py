"""Importing indicator values from a file: upload and dry run, confirm, and the templates.

Between the dry run and the confirmation the file stays on the server, in the data directory
under its SHA-256; the form carries the hash only, and the file is checked again in full when
the import is confirmed (a client-side copy is never trusted). Mounted at
`indicators/import/` by `pilotage/indicators/urls.py`.
"""

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import re_path
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pilotage.indicators.imports import (
    HEADERS,
    MAX_BYTES,
    ImportPlan,
    do_import_values,
    example_row,
    plan_import,
    template_csv,
    template_xlsx,
)
from pilotage.organisation.models import Unit

TEMPLATE = "indicators/import.html"
#: Errors listed on the page; the count of the others is shown.
ERRORS_SHOWN = 500
#: Uploads never confirmed are removed after this many seconds.
UPLOAD_LIFETIME = 24 * 3600
_SHA256 = re.compile(r"[0-9a-f]{64}")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File of values (CSV or Excel .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("“%(file)s” is larger than %(limit)s MB: split it into smaller files.")
                % {"file": Path(upload.name).name, "limit": MAX_BYTES // (1024 * 1024)}
            )
        return upload


# --- The uploaded file, kept on the server between the dry run and the confirmation -------


def _upload_dir(user: object) -> Path:
    return Path(settings.DATA_DIR) / "uploads" / "indicator-imports" / str(user.pk)


def _keep_upload(user: object, data: bytes, file_name: str) -> str:
    directory = _upload_dir(user)
    directory.mkdir(parents=True, exist_ok=True)
    _forget_old_uploads(directory.parent)
    sha256 = hashlib.sha256(data).hexdigest()
    for suffix, content in (("", data), (".name", file_name.encode("utf-8"))):
        # Written aside then renamed: a confirmation never reads a half-written file.
        handle, temporary = tempfile.mkstemp(dir=directory)
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, directory / f"{sha256}{suffix}")
    return sha256


def _load_upload(user: object, sha256: str) -> tuple[bytes, str] | None:
    if not _SHA256.fullmatch(sha256):
        return None
    path = _upload_dir(user) / sha256
    try:
        data = path.read_bytes()
        file_name = path.with_name(f"{sha256}.name").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return (data, file_name) if hashlib.sha256(data).hexdigest() == sha256 else None


def _discard_upload(user: object, sha256: str) -> None:
    if _SHA256.fullmatch(sha256):
        for suffix in ("", ".name"):
            (_upload_dir(user) / f"{sha256}{suffix}").unlink(missing_ok=True)


def _forget_old_uploads(root: Path) -> None:
    limit = time.time() - UPLOAD_LIFETIME
    for path in root.glob("*/*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass  # removed by another request meanwhile


# --- Pages --------------------------------------------------------------------------------


def _render(
    request: HttpRequest, form: UploadForm, plan: ImportPlan | None = None, upload: str = ""
) -> HttpResponse:
    context = {
        "form": form,
        "plan": plan,
        "upload": upload,
        "languages": [("fr", "Français"), ("en", "English")],
        "columns": HEADERS["fr" if (get_language() or "").startswith("fr") else "en"],
        "max_megabytes": MAX_BYTES // (1024 * 1024),
    }
    if plan is not None:
        counts = plan.counts()
        context.update(
            summary=plan.by_indicator(),
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            errors=plan.errors[:ERRORS_SHOWN],
            errors_not_shown=max(0, len(plan.errors) - ERRORS_SHOWN),
        )
    return render(request, TEMPLATE, context)


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """The upload form; a posted file is checked (the dry run) and nothing is written."""
    if not Unit.objects.visible_to(request.user).exists():
        return render(request, TEMPLATE, {"no_unit": True})
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _render(request, form)
    upload = form.cleaned_data["file"]
    data, file_name = upload.read(), Path(upload.name).name
    plan = plan_import(data, file_name, request.user)
    sha256 = ""
    if plan.is_valid and plan.changes_something:
        sha256 = _keep_upload(request.user, data, file_name)
    return _render(request, UploadForm(), plan, sha256)


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Apply the file checked in the dry run, checking it again: all of it or nothing."""
    sha256 = request.POST.get("upload", "")
    upload = _load_upload(request.user, sha256)
    if upload is None:
        messages.error(
            request, _("The file to import is no longer on the server: upload it again.")
        )
        return redirect("indicator_import")
    data, file_name = upload
    result = do_import_values(data, file_name, request.user)
    _discard_upload(request.user, sha256)
    if not result.plan.is_valid:  # something changed since the dry run
        return _render(request, UploadForm(), result.plan)
    if result.batch is None:
        messages.info(
            request,
            _("Nothing to change: every value of “%(file)s” is already stored.")
            % {"file": file_name},
        )
    else:
        messages.success(
            request,
            _(
                "“%(file)s” imported: %(created)s new values, %(updated)s changed, "
                "%(unchanged)s unchanged."
            )
            % {
                "file": file_name,
                "created": result.batch.created,
                "updated": result.batch.updated,
                "unchanged": result.batch.unchanged,
            },
        )
    return redirect("indicator_import")


@login_required
def import_template(request: HttpRequest, extension: str) -> HttpResponse:
    """A file to fill in: the columns in the chosen language and one example row."""
    active = "fr" if (get_language() or "").startswith("fr") else "en"
    language = request.GET.get("lang") or active
    if language not in HEADERS:
        raise Http404
    example = example_row(request.user, language, timezone.localdate())
    if extension == "csv":
        body, content_type = template_csv(example, language), "text/csv; charset=utf-8"
    else:
        body = template_xlsx(example, language)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = "modele-valeurs" if language == "fr" else "values-template"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


urlpatterns = [
    re_path(r"^$", import_page, name="indicator_import"),
    re_path(r"^confirm/$", import_confirm, name="indicator_import_confirm"),
    re_path(
        r"^template\.(?P<extension>csv|xlsx)$", import_template, name="indicator_import_template"
    ),
]
