import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pilotage.indicators.models import Value

MONDAY = datetime.date(2024, 1, 1)
ENGLISH = [
    "Period",
    "Value",
    "Numerator",
    "Denominator",
    "Mean",
    "Lower process limit",
    "Upper process limit",
    "Point type",
    "Special-cause rule",
    "Limits group",
    "Trial limits",
    "Target",
]
FRENCH = [
    "Période",
    "Valeur",
    "Numérateur",
    "Dénominateur",
    "Moyenne",
    "Limite de contrôle inférieure",
    "Limite de contrôle supérieure",
    "Type de point",
    "Règle de cause spéciale",
    "Groupe de limites",
    "Limites provisoires",
    "Cible",
]


@pytest.fixture
def rates(org, served_rate):
    for i, (numerator, denominator) in enumerate([(8, 10), (7, 10), (9, 12), (5, 8)]):
        Value.objects.create(
            indicator=served_rate,
            unit=org["screening"],
            source="entered",
            period=MONDAY + datetime.timedelta(weeks=i),
            value=numerator / denominator * 100,
            numerator=numerator,
            denominator=denominator,
        )
    return served_rate


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def download(client, indicator, extension, unit="screening"):
    name = "indicator_csv" if extension == "csv" else "indicator_xlsx"
    return client.get(reverse(name, args=[indicator.code, unit]))


def test_the_csv_in_english_has_commas_and_a_decimal_point(client_for, alice, rates):
    response = download(client_for(english(alice)), rates, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="served-12-screening.csv"'
    assert response.content.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ENGLISH
    assert rows[1][:5] == ["2024-01-01", "80", "8", "10", "71.875"]
    assert rows[1][7:11] == ["Common cause", "None", "1", "yes"]
    assert rows[3][1] == "75"
    assert len(rows) == 5


def test_the_csv_in_french_has_semicolons_and_a_decimal_comma(client_for, alice, rates):
    response = download(client_for(alice), rates, "csv")  # French by default
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows[0]) == 12 and len(rows) == 5
    assert rows[1][:5] == ["2024-01-01", "80", "8", "10", "71,875"]
    assert rows[4][1] == "62,5"


def test_the_french_headers_come_from_the_catalogue(client_for, alice, rates):
    rows = list(
        csv.reader(
            io.StringIO(download(client_for(alice), rates, "csv").content.decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert rows[0] == FRENCH


def test_the_workbook_holds_values_never_formulas(client_for, alice, rates):
    response = download(client_for(english(alice)), rates, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ENGLISH
    assert rows[1][0] == datetime.datetime(2024, 1, 1)
    assert rows[1][1:4] == (80, 8, 10)
    assert rows[1][4] == 71.875
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_text_that_looks_like_a_formula_stays_text():
    from pilotage.indicators.views import _csv_text

    assert _csv_text("=HYPERLINK(1)", False) == "'=HYPERLINK(1)"
    assert _csv_text(-1.5, True) == "-1,5"
    assert _csv_text(None, True) == ""


def test_an_empty_series_exports_its_headers_only(client_for, alice, delay):
    rows = list(
        csv.reader(
            io.StringIO(
                download(client_for(english(alice)), delay, "csv").content.decode("utf-8-sig")
            )
        )
    )
    assert rows == [ENGLISH]


def test_exports_are_scoped_like_the_page(client_for, charlie, bob, rates):
    for extension in ("csv", "xlsx"):
        assert download(client_for(charlie), rates, extension).status_code == 404
        assert download(client_for(bob), rates, extension, unit="youth").status_code == 404
        assert download(client_for(bob), rates, extension).status_code == 200
