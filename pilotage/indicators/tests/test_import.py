"""Importing values from CSV and Excel files: the plan (dry run), the commit and the pages.

Files are built in each test. Rows are numbered as a spreadsheet shows them: the header is
row 1, the first value row 2.
"""

import csv
import datetime
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from pilotage.indicators import import_views, imports
from pilotage.indicators.actions import Measurement, do_set_value
from pilotage.indicators.imports import do_import_values, plan_import
from pilotage.indicators.models import ImportBatch, Value, ValueChange

MONDAY = datetime.date(2024, 1, 1)
HEADER = ["indicator", "unit", "period", "value", "numerator", "denominator"]
FRENCH_HEADER = ["Indicateur", "Unité", "Période", "Valeur", "Numérateur", "Dénominateur"]


def csv_file(*rows, header=HEADER, delimiter=",", encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in [header, *rows]:
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def xlsx_file(*rows, header=HEADER):
    workbook = openpyxl.Workbook()
    for row in [header, *rows]:
        workbook.active.append(row)  # a text starting with "=" becomes a formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def stored():
    return sorted(
        Value.objects.values_list("indicator__code", "unit__code", "period", "value", "source")
    )


def errors_of(plan):
    return [(e.file_name, e.row, e.column, e.message) for e in plan.errors]


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def indicators(delay, served_rate, waiting):
    return {"delay": delay, "rate": served_rate, "waiting": waiting}


@pytest.fixture
def before(indicators, org, alice):
    """A value stored before any import (the week before), and the counts to compare with."""
    do_set_value(
        indicators["delay"],
        org["screening"],
        MONDAY - datetime.timedelta(days=7),
        Measurement(10),
        user=alice,
    )
    return stored(), ValueChange.objects.count()


@pytest.fixture
def french(monkeypatch):
    """Give these tests' messages a French translation until the catalogue has them: the tests
    check that the person's language is used (the catalogue is checked by test_translations)."""

    def add(entries):
        catalogue = trans_real.translation("fr")._catalog._catalogs[0]
        for msgid, msgstr in entries.items():
            monkeypatch.setitem(catalogue, msgid, msgstr)

    return add


GOOD_ROWS = [
    ["eval-delay", "screening", "2024-01-01", "12.5", "", ""],
    ["waiting", "screening", "2024-01-08", "7", "", ""],
    ["served-12", "screening", "2024-01-01", "", "8", "10"],
]


# --- Reading files ------------------------------------------------------------------------


def test_a_good_comma_separated_file_is_imported_with_its_batch(indicators, alice):
    result = do_import_values(csv_file(*GOOD_ROWS), "values.csv", alice)
    assert result.plan.errors == []
    batch = result.batch
    assert (batch.file_name, batch.rows, batch.created, batch.updated, batch.unchanged) == (
        "values.csv",
        3,
        3,
        0,
        0,
    )
    assert batch.imported_by == alice and len(batch.sha256) == 64
    assert stored() == [
        ("eval-delay", "screening", MONDAY, 12.5, "imported"),
        ("served-12", "screening", MONDAY, pytest.approx(80), "imported"),
        ("waiting", "screening", datetime.date(2024, 1, 8), 7, "imported"),
    ]
    assert set(Value.objects.values_list("batch", flat=True)) == {batch.pk}
    assert set(ValueChange.objects.values_list("batch", flat=True)) == {batch.pk}


def test_semicolons_decimal_commas_french_headers_and_day_first_dates(indicators, alice):
    data = csv_file(
        ["eval-delay", "screening", "01/01/2024", "12,5", "", ""],
        ["served-12", "screening", "08/01/2024", "", "8", "10"],
        header=FRENCH_HEADER,
        delimiter=";",
    )
    result = do_import_values(data, "valeurs.csv", alice)
    assert result.plan.errors == []
    assert ("eval-delay", "screening", MONDAY, 12.5, "imported") in stored()
    assert Value.objects.get(indicator__code="served-12").period == datetime.date(2024, 1, 8)


def test_tabs_and_header_spellings_are_accepted(indicators, alice):
    header = [" INDICATOR code", "unit_code", "Période", "VALEUR", "numerateur", "Dénominateur"]
    data = csv_file(
        ["eval-delay", "screening", "2024-01-01", "3,5", "", ""], header=header, delimiter="\t"
    )
    assert do_import_values(data, "values.tsv", alice).batch.created == 1


def test_a_byte_order_mark_is_ignored(indicators, alice):
    data = b"\xef\xbb\xbf" + csv_file(*GOOD_ROWS)
    assert do_import_values(data, "excel.csv", alice).batch.created == 3


def test_utf16_from_excel_unicode_text_is_read(indicators, alice):
    data = csv_file(*GOOD_ROWS, header=FRENCH_HEADER, delimiter="\t", encoding="utf-16")
    assert do_import_values(data, "unicode.txt", alice).batch.created == 3


def test_windows_1252_is_read_and_reported(indicators, alice):
    data = csv_file(*GOOD_ROWS, header=FRENCH_HEADER, delimiter=";", encoding="cp1252")
    with translation.override("en"):
        result = do_import_values(data, "ancien.csv", alice)
    assert result.batch.created == 3
    assert any("Windows-1252" in notice for notice in result.plan.notices)


def test_empty_lines_are_skipped_and_rows_keep_their_spreadsheet_number(indicators, alice):
    data = b"\r\n" + csv_file(
        GOOD_ROWS[0], ["", "", "", "", "", ""], ["waiting", "screening", "2024-01-08", "x", "", ""]
    )
    plan = plan_import(data, "gaps.csv", alice)
    assert [(e.row, e.column) for e in plan.errors] == [(5, "value")]


def test_a_good_excel_file_with_date_cells_and_text_dates(indicators, alice):
    data = xlsx_file(
        ["eval-delay", "screening", datetime.date(2024, 1, 1), 12.5, None, None],
        ["waiting", "screening", "08/01/2024", 7, None, None],
        ["served-12", "screening", datetime.datetime(2024, 1, 1), None, 8, 10],
    )
    result = do_import_values(data, "values.xlsx", alice)
    assert result.plan.errors == []
    assert [row[:4] for row in stored()] == [
        ("eval-delay", "screening", MONDAY, 12.5),
        ("served-12", "screening", MONDAY, pytest.approx(80)),
        ("waiting", "screening", datetime.date(2024, 1, 8), 7),
    ]


def test_an_excel_formula_is_refused_naming_its_cell(indicators, alice, before):
    data = xlsx_file(
        ["eval-delay", "screening", datetime.date(2024, 1, 1), 12.5, None, None],
        ["waiting", "screening", datetime.date(2024, 1, 8), "=3+4", None, None],
    )
    with translation.override("en"):
        result = do_import_values(data, "values.xlsx", alice)
    assert result.batch is None
    [(file_name, row, column, message)] = errors_of(result.plan)
    assert (file_name, row, column) == ("values.xlsx", 3, "value")
    assert "D3" in message and "formula" in message
    assert (stored(), ValueChange.objects.count()) == before


# --- Row errors: named precisely, and nothing written --------------------------------------


@pytest.mark.parametrize(
    ("bad_row", "column", "words"),
    [
        (["eval-delay", "screening", "2024-13-01", "5", "", ""], "period", "is not a date"),
        (["eval-delay", "screening", "1/2/24", "5", "", ""], "period", "DD/MM/YYYY"),
        (["eval-delay", "screening", "2024-01-01", "five", "", ""], "value", "not a number"),
        (["eval-delay", "screening", "2024-01-01", "1 234.5", "", ""], "value", "thousands"),
        (["eval-delay", "screening", "2024-01-01", "12,5", "", ""], "value", "decimal point"),
        (["nope", "screening", "2024-01-01", "5", "", ""], "indicator", "not one of yours"),
        (["eval-delay", "school", "2024-01-01", "5", "", ""], "unit", "not one of yours"),
        (["eval-delay", "nowhere", "2024-01-01", "5", "", ""], "unit", "not one of yours"),
        (["eval-delay", "screening", "2024-01-03", "5", "", ""], "period", "does not start"),
        (["served-12", "screening", "2024-01-01", "80", "", ""], "numerator", "rate needs"),
        (["served-12", "screening", "2024-01-01", "", "8", ""], "denominator", "both"),
        (["served-12", "screening", "2024-01-01", "", "8", "0"], "denominator", "greater"),
        (["waiting", "screening", "2024-01-08", "-2", "", ""], "value", "negative"),
        (["eval-delay", "", "2024-01-01", "5", "", ""], "unit", "empty"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_written(
    indicators, alice, before, bad_row, column, words
):
    data = csv_file(["eval-delay", "screening", "2024-01-01", "12", "", ""], bad_row)
    with translation.override("en"):
        result = do_import_values(data, "bad.csv", alice)
    assert result.batch is None
    [(file_name, row, found_column, message)] = errors_of(result.plan)
    assert (file_name, row, found_column) == ("bad.csv", 3, column)
    assert words in message
    assert (stored(), ValueChange.objects.count(), ImportBatch.objects.count()) == (*before, 0)


def test_several_errors_of_one_row_are_all_reported(indicators, alice):
    data = csv_file(["eval-delay", "screening", "2024-01-03", "x", "", ""])
    plan = plan_import(data, "bad.csv", alice)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "period"), (2, "value")]
    data = csv_file(["served-12", "screening", "2024-01-03", "", "8", "0"])
    plan = plan_import(data, "bad.csv", alice)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "period"), (2, "denominator")]


def test_an_outsider_cannot_tell_a_hidden_indicator_from_an_unknown_one(indicators, charlie):
    data = csv_file(
        ["eval-delay", "school", "2024-01-01", "5", "", ""],
        ["no-such-thing", "school", "2024-01-01", "5", "", ""],
    )
    plan = plan_import(data, "values.csv", charlie)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "indicator"), (3, "indicator")]
    assert plan.errors[0].message == plan.errors[1].message
    data = csv_file(["eval-delay", "screening", "2024-01-01", "5", "", ""])
    assert [e.column for e in plan_import(data, "values.csv", charlie).errors] == [
        "indicator",
        "unit",
    ]


def test_a_colleague_and_a_director_import_within_their_sub_tree(indicators, bob, diana):
    data = csv_file(["eval-delay", "screening", "2024-01-01", "5", "", ""])
    assert do_import_values(data, "bob.csv", bob).batch.created == 1
    data = csv_file(["eval-delay", "evaluation", "2024-01-01", "6", "", ""])
    assert do_import_values(data, "diana.csv", diana).batch.created == 1
    assert plan_import(data, "bob.csv", bob).errors[0].column == "unit"


def test_an_indicator_is_imported_only_for_units_below_its_owner(indicators, org):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    data = csv_file(["eval-delay", "school", "2024-01-01", "5", "", ""])
    with translation.override("en"):
        [error] = plan_import(data, "values.csv", admin).errors
    assert error.column == "unit" and "not measured for the unit school" in error.message


def test_computed_indicators_are_not_imported(indicators, alice):
    indicators["waiting"].source = "computed"
    indicators["waiting"].save()
    data = csv_file(["waiting", "screening", "2024-01-08", "7", "", ""])
    [error] = plan_import(data, "values.csv", alice).errors
    assert (error.row, error.column) == (2, "indicator")


def test_a_duplicate_row_names_the_first_one(indicators, alice, before):
    data = csv_file(
        ["eval-delay", "screening", "2024-01-01", "12", "", ""],
        ["waiting", "screening", "2024-01-08", "7", "", ""],
        ["eval-delay", "screening", "01/01/2024", "13", "", ""],
    )
    with translation.override("en"):
        result = do_import_values(data, "twice.csv", alice)
    [(file_name, row, column, message)] = errors_of(result.plan)
    assert (file_name, row, column) == ("twice.csv", 4, "period")
    assert "row 2" in message
    assert (stored(), ValueChange.objects.count()) == before


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        (["indicator", "unit", "value"], ["period"]),
        (["indicator", "unit", "period"], ["value"]),
        (["indicator", "unit", "period", "value", "comment"], ["comment"]),
        (["indicator", "unit", "period", "value", "valeur"], ["valeur"]),
    ],
)
def test_missing_unknown_or_repeated_columns_are_named(indicators, alice, header, columns):
    data = csv_file(
        ["eval-delay", "screening", "2024-01-01", "12", "x"][: len(header)], header=header
    )
    with translation.override("en"):
        plan = plan_import(data, "columns.csv", alice)
    assert [(e.row, e.column) for e in plan.errors] == [(1, c) for c in columns]
    assert not plan.rows


def test_numerator_and_denominator_without_value_column_is_enough(indicators, alice):
    data = csv_file(
        ["served-12", "screening", "2024-01-01", "8", "10"],
        header=["indicator", "unit", "period", "numerator", "denominator"],
    )
    assert plan_import(data, "rate.csv", alice).errors == []


def test_a_row_longer_than_the_header_is_refused(indicators, alice):
    data = b"indicator,unit,period,value\r\neval-delay,screening,2024-01-01,12,5\r\n"
    with translation.override("en"):
        [error] = plan_import(data, "long.csv", alice).errors
    assert (error.row, error.column) == (2, "") and "decimal comma" in error.message


# --- Files refused as a whole ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\r\n \r\n", "empty"),
        (csv_file(), "header row but no values"),
        (xlsx_file(), "header row but no values"),
        (b"\x00\x01\x02\x03binary\xff\x00", "not a CSV or Excel"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a CSV or Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", ".xls"),
        (xlsx_file(*GOOD_ROWS)[:400], "damaged"),
        (b'indicator,unit,period,value\r\neval-delay,screening,"2024-01-01,5\r\n', "quotation"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_clearly(indicators, alice, before, data, words):
    with translation.override("en"):
        result = do_import_values(data, "file.csv", alice)
    [(file_name, row, column, message)] = errors_of(result.plan)
    assert (file_name, row, column) == ("file.csv", None, "")
    assert words in message
    assert (stored(), ValueChange.objects.count(), ImportBatch.objects.count()) == (*before, 0)


def test_limits_on_size_and_rows(indicators, alice, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    with translation.override("en"):
        [error] = plan_import(csv_file(*GOOD_ROWS), "big.csv", alice).errors
    assert "more than 2 rows" in error.message
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    with translation.override("en"):
        [error] = plan_import(csv_file(*GOOD_ROWS), "big.csv", alice).errors
    assert "larger than" in error.message


# --- Commit: all or nothing, and twice is once ---------------------------------------------


def test_the_dry_run_writes_nothing(indicators, alice, before):
    plan = plan_import(csv_file(*GOOD_ROWS), "values.csv", alice)
    assert plan.is_valid and plan.counts() == {"created": 3}
    assert (stored(), ValueChange.objects.count(), ImportBatch.objects.count()) == (*before, 0)


def test_importing_the_same_file_twice_changes_nothing(indicators, alice, before):
    data = csv_file(*GOOD_ROWS, ["eval-delay", "screening", "2023-12-25", "11", "", ""])
    first = do_import_values(data, "values.csv", alice)
    assert (first.batch.created, first.batch.updated) == (3, 1)
    after_first = stored(), ValueChange.objects.count(), ImportBatch.objects.count()
    second = do_import_values(data, "values.csv", alice)
    assert second.batch is None and second.plan.counts() == {"unchanged": 4}
    assert (stored(), ValueChange.objects.count(), ImportBatch.objects.count()) == after_first


def test_a_changed_value_is_updated_with_its_history_and_others_stay(indicators, alice, before):
    do_import_values(csv_file(*GOOD_ROWS), "v1.csv", alice)
    changed = csv_file(["eval-delay", "screening", "2024-01-01", "13", "", ""], *GOOD_ROWS[1:])
    plan = plan_import(changed, "v2.csv", alice)
    assert [(s.indicator.code, s.created, s.updated, s.unchanged) for s in plan.by_indicator()] == [
        ("eval-delay", 0, 1, 0),
        ("served-12", 0, 0, 1),
        ("waiting", 0, 0, 1),
    ]
    batch = do_import_values(changed, "v2.csv", alice).batch
    assert (batch.created, batch.updated, batch.unchanged) == (0, 1, 2)
    change = ValueChange.objects.filter(batch=batch).get()
    assert (change.old_value, change.new_value) == (12.5, 13)
    assert Value.objects.get(period=MONDAY - datetime.timedelta(days=7)).value == 10


def test_the_commit_is_atomic_when_a_write_fails_midway(indicators, alice, before, monkeypatch):
    # The values are written, then the history fails: nothing of the import may remain.
    calls = []

    def history_fails(*args, **kwargs):
        calls.append(args)
        assert Value.objects.count() > len(before[0])  # values were written in the transaction
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(ValueChange.objects, "bulk_create", history_fails)
    with pytest.raises(RuntimeError):
        do_import_values(csv_file(*GOOD_ROWS), "values.csv", alice)
    assert len(calls) == 1
    monkeypatch.undo()
    assert (stored(), ValueChange.objects.count(), ImportBatch.objects.count()) == (*before, 0)


# --- Language ------------------------------------------------------------------------------


def test_messages_follow_the_persons_language(client_for, indicators, alice, french):
    french({"Unknown indicator, or not one of yours.": "Indicateur inconnu, ou pas le vôtre."})
    data = csv_file(["nope", "screening", "2024-01-01", "5", ""], header=HEADER[:5])

    def errors_for(language):
        alice.language = language
        alice.save()
        upload = io.BytesIO(data)
        upload.name = "values.csv"
        return client_for(alice).post(reverse("indicator_import"), {"file": upload}).text

    text = errors_for("fr")
    assert "Indicateur inconnu, ou pas le vôtre." in text and "not one of yours" not in text
    text = errors_for("en")
    assert "Unknown indicator, or not one of yours." in text and "pas le vôtre" not in text


def test_a_missing_column_is_named_in_the_persons_language(indicators, alice):
    data = csv_file(["eval-delay", "screening", "12"], header=["indicateur", "unité", "valeur"])
    with translation.override("fr"):
        assert [e.column for e in plan_import(data, "v.csv", alice).errors] == ["période"]
    with translation.override("en"):
        assert [e.column for e in plan_import(data, "v.csv", alice).errors] == ["period"]


# --- Pages ---------------------------------------------------------------------------------


def post_file(client, data, name="values.csv"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("indicator_import"), {"file": upload})


def uploads(settings):
    return sorted(p.name for p in (settings.DATA_DIR / "uploads").rglob("*") if p.is_file())


def test_the_page_requires_login(client):
    response = client.get(reverse("indicator_import"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_page_shows_the_form_and_the_templates(client_for, alice):
    response = client_for(alice).get(reverse("indicator_import"))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.text
    for extension in ("csv", "xlsx"):
        for language in ("fr", "en"):
            url = reverse("indicator_import_template", args=[extension])
            assert f"{url}?lang={language}" in response.text


def test_someone_without_a_unit_is_told_so_and_cannot_import(client, indicators, alice):
    nobody = get_user_model().objects.create_user("nobody", "n@example.org", "pw", language="en")
    client.force_login(nobody)
    assert "not a member of any unit" in client.get(reverse("indicator_import")).text
    response = post_file(client, csv_file(*GOOD_ROWS))
    assert "not a member of any unit" in response.text and not Value.objects.exists()


def test_upload_shows_the_dry_run_then_confirm_imports(client_for, indicators, alice, settings):
    client = client_for(alice)
    response = post_file(client, csv_file(*GOOD_ROWS))
    assert response.status_code == 200
    assert not Value.objects.exists()  # the dry run writes nothing
    summary = response.context["summary"]
    assert [(s.indicator.code, s.created) for s in summary] == [
        ("eval-delay", 1),
        ("served-12", 1),
        ("waiting", 1),
    ]
    sha256 = response.context["upload"]
    assert f'value="{sha256}"' in response.text
    assert uploads(settings) == [sha256, f"{sha256}.name"]
    response = client.post(reverse("indicator_import_confirm"), {"upload": sha256})
    assert response.status_code == 302 and response["Location"] == reverse("indicator_import")
    batch = ImportBatch.objects.get()
    assert (batch.file_name, batch.created) == ("values.csv", 3)
    assert uploads(settings) == []
    # The same file again: nothing to confirm.
    response = post_file(client, csv_file(*GOOD_ROWS))
    assert response.context["upload"] == "" and response.context["unchanged"] == 3
    assert 'name="upload"' not in response.text


def test_errors_are_listed_with_file_row_and_column_and_no_confirm(
    client_for, indicators, alice, settings
):
    alice.language = "en"
    alice.save()
    data = csv_file(GOOD_ROWS[0], ["eval-delay", "screening", "2024-01-01", "x", "", ""])
    response = post_file(client_for(alice), data, "bad values.csv")
    assert "<td>bad values.csv</td><td>3</td><td>value</td>" in response.text
    assert "nothing will be imported" in response.text
    assert 'name="upload"' not in response.text and uploads(settings) == []


def test_a_formula_in_excel_is_shown_on_the_page(client_for, indicators, alice):
    alice.language = "en"
    alice.save()
    data = xlsx_file(["eval-delay", "screening", MONDAY, "=SUM(1,2)", None, None])
    response = post_file(client_for(alice), data, "values.xlsx")
    assert "D2" in response.text and "formula" in response.text


def test_the_confirmation_checks_the_file_again(client_for, indicators, alice):
    client = client_for(alice)
    sha256 = post_file(client, csv_file(*GOOD_ROWS)).context["upload"]
    indicators["waiting"].source = "computed"  # changed between the dry run and the commit
    indicators["waiting"].save()
    response = client.post(reverse("indicator_import_confirm"), {"upload": sha256})
    assert response.status_code == 200 and response.context["plan"].errors
    assert not Value.objects.exists() and not ImportBatch.objects.exists()


@pytest.mark.parametrize("upload", ["0" * 64, "../../secret_key", ""])
def test_an_unknown_upload_is_not_imported(client_for, indicators, alice, upload):
    response = client_for(alice).post(reverse("indicator_import_confirm"), {"upload": upload})
    assert response.status_code == 302 and not Value.objects.exists()


def test_someone_else_cannot_confirm_my_upload(client, indicators, alice, bob):
    client.force_login(alice)
    sha256 = post_file(client, csv_file(*GOOD_ROWS)).context["upload"]
    client.force_login(bob)
    client.post(reverse("indicator_import_confirm"), {"upload": sha256})
    assert not Value.objects.exists()


def test_the_confirmation_is_post_only(client_for, alice):
    assert client_for(alice).get(reverse("indicator_import_confirm")).status_code == 405


def test_a_file_too_large_is_refused_before_reading(client_for, indicators, alice, monkeypatch):
    monkeypatch.setattr(import_views, "MAX_BYTES", 100)
    alice.language = "en"
    alice.save()
    response = post_file(client_for(alice), csv_file(*GOOD_ROWS), "huge.csv")
    assert "“huge.csv” is larger than" in response.text and response.context["plan"] is None


# --- Templates -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_template_parses_back_through_the_importer(
    client_for, indicators, alice, language, extension
):
    url = reverse("indicator_import_template", args=[extension])
    response = client_for(alice).get(url, {"lang": language})
    assert response.status_code == 200
    assert f".{extension}" in response["Content-Disposition"]
    plan = plan_import(response.content, f"template.{extension}", alice)
    assert plan.errors == []
    [row] = plan.rows
    assert (row.indicator.code, row.unit.code, row.measurement.value) == (
        "eval-delay",
        "screening",
        12.5,
    )


def test_the_french_csv_template_uses_semicolons_and_decimal_commas(client_for, indicators, alice):
    url = reverse("indicator_import_template", args=["csv"])
    text = client_for(alice).get(url, {"lang": "fr"}).content.decode("utf-8-sig")
    header, example = text.splitlines()
    assert header == "indicateur;unité;période;valeur;numérateur;dénominateur"
    assert example.startswith("eval-delay;screening;") and example.endswith(";12,5;;")
    text = client_for(alice).get(url, {"lang": "en"}).content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(HEADER) and text.endswith(",12.5,,\r\n")


def test_the_excel_template_has_a_real_date(client_for, indicators, alice):
    url = reverse("indicator_import_template", args=["xlsx"])
    content = client_for(alice).get(url, {"lang": "en"}).content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[1]] == HEADER
    assert isinstance(sheet["C2"].value, datetime.datetime)


def test_a_template_without_indicators_has_placeholders(client_for, alice):
    url = reverse("indicator_import_template", args=["csv"])
    text = client_for(alice).get(url, {"lang": "en"}).content.decode("utf-8-sig")
    assert "indicator-code,unit-code," in text


def test_a_template_in_another_language_is_404(client_for, alice):
    url = reverse("indicator_import_template", args=["csv"])
    assert client_for(alice).get(url, {"lang": "de"}).status_code == 404
