"""Forms of the event-log import pages: the upload with its column mapping, the withdrawal."""

from pathlib import Path
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from pilotage.analytics import ColumnMapping
from pilotage.trajectories.actions import MAX_UPLOAD_BYTES, detect_format

FORMAT_CHOICES = [
    ("", _("From the file name")),
    ("csv", _("CSV")),
    ("xlsx", _("Excel (.xlsx)")),
    ("parquet", _("Parquet")),
    ("xes", _("XES (IEEE 1849)")),
    ("fhir", _("FHIR R4 bundle (JSON)")),
]

#: The mappable fields, with their label; the default column of each is shown as help.
MAPPING_FIELDS = (
    ("case", _("Case (the child or family)")),
    ("activity", _("Activity")),
    ("timestamp", _("Date and time")),
    ("lifecycle", _("Lifecycle (start or complete)")),
    ("team", _("Team")),
    ("resource", _("Worker")),
    ("episode", _("Episode")),
    ("priority", _("Priority")),
    ("start_timestamp", _("Start date and time (interval rows)")),
)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Event log"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.parquet,.pq,.xes,.gz,.json"}),
    )
    file_format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = ColumnMapping()
        for name, label in MAPPING_FIELDS:
            default = getattr(defaults, name)
            self.fields[f"column_{name}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text=_("Default: %(column)s") % {"column": default}
                if default
                else _("Not read unless you name a column."),
            )

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{name}"] for name, _label in MAPPING_FIELDS]

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.")
                % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("file")
        if upload is not None and not data.get("file_format"):
            detected = detect_format(Path(upload.name).name)
            if detected is None:
                self.add_error(
                    "file_format",
                    _(
                        "The type of “%(file)s” is not known from its name: choose its format "
                        "(.csv, .xlsx, .parquet, .xes, .xes.gz, or .json for FHIR)."
                    )
                    % {"file": Path(upload.name).name},
                )
            data["file_format"] = detected
        return data

    def mapping(self) -> dict[str, str]:
        """The columns named in the form (the others keep their default)."""
        return {
            name: value.strip()
            for name, _label in MAPPING_FIELDS
            if (value := self.cleaned_data.get(f"column_{name}") or "").strip()
        }


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this import withdrawn?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the import, for those who will read its history."),
    )
