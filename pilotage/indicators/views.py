"""The indicator pages of a unit: the list, one indicator with its SPC chart, table, rebases,
hand entry and history, the chart as SVG, and the series exported as CSV or Excel.

Permissions: a unit outside the user's scope, or an indicator that does not apply to the
unit (owned neither by it nor by a unit above it), is a 404, so nothing of another unit is
revealed. Inside the scope, a user without the right role gets a 403 on the form they may
not send: members of the unit (all roles but researcher) and its leaders enter values, except
the values Pilotage computes; only those who lead the unit or a unit above it (`can_lead`)
rebase.

Small counts of the indicators that hide them (`disclosure.py`) are hidden in every page,
chart and export here: they all read through `series.read()`, which hides them.
"""

import csv
import datetime
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook

from pilotage.indicators import charts
from pilotage.indicators.actions import InvalidValue, Measurement, Outcome, do_set_value
from pilotage.indicators.forms import RebaseForm, ValueForm
from pilotage.indicators.models import Indicator, Rebase, Source, ValueChange
from pilotage.indicators.series import (
    Reading,
    Row,
    hidden_mark,
    indicators_for,
    read,
    read_many,
)
from pilotage.organisation.models import Unit
from pilotage.organisation.scope import can_enter_values, can_lead, get_unit_for_user


def _get_indicator_for_user(user: object, code: str, unit_code: str) -> tuple[Indicator, Unit]:
    """The indicator as measured for the unit, or 404 (outside the scope, or not the unit's)."""
    unit = get_unit_for_user(user, unit_code)
    indicator = (
        Indicator.objects.filter(code=code, owner_unit_id__in=[*unit.ancestor_ids(), unit.pk])
        .select_related("owner_unit", "priority")
        .first()
    )
    if indicator is None:
        raise Http404
    return indicator, unit


@login_required
@require_GET
def unit_indicators(request: HttpRequest, unit_code: str) -> HttpResponse:
    """A unit's indicators with their last value, target, SPC icons and priority."""
    unit = get_unit_for_user(request.user, unit_code)
    readings = read_many(indicators_for(unit), unit)
    return render(request, "indicators/unit_indicators.html", {"unit": unit, "readings": readings})


def _may_enter(user: object, indicator: Indicator, unit: Unit) -> bool:
    """Members enter values, except those computed by Pilotage: a recomputation would
    overwrite them, and "unchanged" after typing a guess would tell a hidden small count."""
    return indicator.source != Source.COMPUTED and can_enter_values(user, unit)


def _back_to_page(indicator: Indicator, unit: Unit) -> HttpResponse:
    """After a form: the page again, scrolled to the top of the content where the message is
    (an explicit fragment, or the browser would keep the form's one across the redirect)."""
    url = reverse("indicator_detail", kwargs={"code": indicator.code, "unit_code": unit.code})
    return HttpResponseRedirect(f"{url}#main")


def _render_detail(
    request: HttpRequest,
    reading: Reading,
    value_form: ValueForm | None = None,
    rebase_form: RebaseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    indicator, unit = reading.indicator, reading.unit
    changes = ValueChange.objects.filter(
        value__indicator=indicator, value__unit=unit
    ).select_related("changed_by__person", "value")[:50]
    context = {
        "indicator": indicator,
        "unit": unit,
        "reading": reading,
        "table": reading.table(),
        "chart_key": charts.spec_key(charts.chart_spec(reading)) if reading.result else None,
        "chart_alt": charts.summary(reading),
        "changes": changes,
        "can_enter": _may_enter(request.user, indicator, unit),
        "can_rebase": can_lead(request.user, unit),
        "value_form": value_form or ValueForm(indicator=indicator),
        "rebase_form": rebase_form or RebaseForm(indicator=indicator, unit=unit),
    }
    return render(request, "indicators/indicator_detail.html", context, status=status)


@login_required
@require_GET
def indicator_detail(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    """One indicator for one unit: definition, targets, chart and table, rebases, history."""
    indicator, unit = _get_indicator_for_user(request.user, code, unit_code)
    return _render_detail(request, read(indicator, unit))


@login_required
@require_POST
def enter_value(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    """Store a value typed by hand; the page comes back with the error on the field at fault."""
    indicator, unit = _get_indicator_for_user(request.user, code, unit_code)
    if not _may_enter(request.user, indicator, unit):
        raise PermissionDenied
    form = ValueForm(request.POST, indicator=indicator)
    if form.is_valid():
        data = form.cleaned_data
        measurement = Measurement(data["value"], data["numerator"], data["denominator"])
        try:
            outcome = do_set_value(indicator, unit, data["period"], measurement, user=request.user)
        except InvalidValue as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            period = date_format(data["period"], "SHORT_DATE_FORMAT")
            if outcome == Outcome.UNCHANGED:
                messages.info(
                    request, _("The value of %(period)s is unchanged.") % {"period": period}
                )
            else:
                messages.success(request, _("Value of %(period)s saved.") % {"period": period})
            return _back_to_page(indicator, unit)
    return _render_detail(request, read(indicator, unit), value_form=form, status=400)


@login_required
@require_POST
def rebase(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    """Record a leader's decision to recalculate the limits from a period, with the reason."""
    indicator, unit = _get_indicator_for_user(request.user, code, unit_code)
    if not can_lead(request.user, unit):
        raise PermissionDenied
    form = RebaseForm(request.POST, indicator=indicator, unit=unit)
    if form.is_valid():
        try:
            with transaction.atomic():
                Rebase.objects.create(
                    indicator=indicator, unit=unit, decided_by=request.user, **form.cleaned_data
                )
        except IntegrityError:  # the same rebase recorded a moment ago by someone else
            form.add_error("from_period", _("There is already a rebase from this period."))
    if not form.is_valid():
        return _render_detail(request, read(indicator, unit), rebase_form=form, status=400)
    period = date_format(form.cleaned_data["from_period"], "SHORT_DATE_FORMAT")
    messages.success(request, _("New limits from %(period)s recorded.") % {"period": period})
    return _back_to_page(indicator, unit)


@login_required
@require_GET
def chart_svg(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    """The SPC chart as SVG. Asked with its key (`?v=`), it never changes: cached for a year."""
    indicator, unit = _get_indicator_for_user(request.user, code, unit_code)
    reading = read(indicator, unit)
    if reading.result is None:
        raise Http404
    spec = charts.chart_spec(reading)
    key = charts.spec_key(spec)
    if request.headers.get("If-None-Match") == f'"{key}"':
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(charts.render_svg(spec)[1], content_type="image/svg+xml")
    response["ETag"] = f'"{key}"'
    immutable = request.GET.get("v") == key
    response["Cache-Control"] = (
        "private, max-age=31536000, immutable" if immutable else "private, no-cache"
    )
    return response


# --- Exports --------------------------------------------------------------------------------


def _headers() -> list[str]:
    return [
        _("Period"),
        _("Value"),
        _("Numerator"),
        _("Denominator"),
        _("Mean"),
        _("Lower process limit"),
        _("Upper process limit"),
        _("Point type"),
        _("Special-cause rule"),
        _("Limits group"),
        _("Trial limits"),
        _("Target"),
    ]


def _cells(row: Row, indicator: Indicator) -> list[object]:
    """A row of the export. A hidden period writes its mark ("< 5", "x") where the value
    goes, as the page shows it, and nothing else but its period and target."""
    if row.hidden:
        return [row.period, hidden_mark(indicator, row.hidden).text, *[None] * 9, row.target]
    return [
        row.period,
        row.value,
        row.numerator,
        row.denominator,
        row.mean,
        row.lpl,
        row.upl,
        str(row.point_type.label),
        str(row.rule),
        row.group,
        _("yes") if row.trial else _("no"),
        row.target,
    ]


def _csv_text(value: object, decimal_comma: bool) -> str:
    """A cell as CSV text: ISO dates, numbers to 6 decimals at most, and text that a
    spreadsheet could take for a formula made inert."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float):
        text = f"{value:.6f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
        return text.replace(".", ",") if decimal_comma else text
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _filename(reading: Reading, extension: str) -> str:
    return f"{reading.indicator.code}-{reading.unit.code}.{extension}"


@login_required
@require_GET
def export_csv(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    """The series and its SPC columns as CSV: UTF-8 with a byte-order mark (so Excel reads
    the accents); in French, `;` between fields and a decimal comma, as French Excel expects."""
    indicator, unit = _get_indicator_for_user(request.user, code, unit_code)
    reading = read(indicator, unit)
    french = (get_language() or "").startswith("fr")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if french else ",", lineterminator="\r\n")
    writer.writerow(_headers())
    for row in reading.table():
        writer.writerow([_csv_text(cell, french) for cell in _cells(row, indicator)])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(reading, "csv")}"'
    return response


@login_required
@require_GET
def export_xlsx(request: HttpRequest, code: str, unit_code: str) -> HttpResponse:
    """The series and its SPC columns as an Excel workbook: values only, never a formula."""
    indicator, unit = _get_indicator_for_user(request.user, code, unit_code)
    reading = read(indicator, unit)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = indicator.code[:31]
    sheet.append(_headers())
    for row in reading.table():
        sheet.append(_cells(row, indicator))
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even if it starts with "="
            elif isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(reading, "xlsx")}"'
    return response
