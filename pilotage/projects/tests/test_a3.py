"""A status sheet as one A3 landscape page of PDF: one page whatever the content, charts
embedded, text extractable in the reader's language."""

import io

import pytest
from pypdf import PdfReader

from pilotage.projects import a3
from pilotage.projects.models import RAG, StatusSheet
from pilotage.projects.tests.test_review import URLS

A3_LANDSCAPE = (1190.55, 841.89)  # points


def pages_of(pdf: bytes) -> list:
    return PdfReader(io.BytesIO(pdf)).pages


def assert_one_a3_landscape_page(pdf: bytes) -> str:
    pages = pages_of(pdf)
    assert len(pages) == 1
    box = pages[0].mediabox
    assert float(box.width) == pytest.approx(A3_LANDSCAPE[0], abs=0.5)
    assert float(box.height) == pytest.approx(A3_LANDSCAPE[1], abs=0.5)
    return pages[0].extract_text()


def test_the_indicator_charts_are_embedded_as_data(sheet):
    charts = a3.indicator_charts(sheet)
    assert len(charts) == 2
    assert all(c["chart"].startswith("data:image/svg+xml;base64,") for c in charts)


def test_a_sheet_in_english(sheet):
    StatusSheet.objects.filter(pk=sheet.pk).update(
        overall=RAG.RED, recovery_plan="Hire two workers.", resources=RAG.RED
    )
    sheet.refresh_from_db()
    pdf, fit = a3.render_a3(sheet, "en")
    text = assert_one_a3_landscape_page(pdf)
    assert fit == a3.FITS[0]
    for words in ("One team for the family", "Indicators", "Resources", "Off track", "Hire two"):
        assert words in text
    assert "Shared intake" in text  # an open milestone


def test_a_sheet_in_french(sheet):
    pdf, _fit = a3.render_a3(sheet, "fr")
    text = assert_one_a3_landscape_page(pdf)
    assert "One team for the family" in text
    # Headings translated in the catalogue today; the dates are French.
    assert "Indicateurs" in text and "Ressources" in text and "juin 2026" in text
    assert "Resources" not in text


def test_one_page_even_with_very_long_texts(sheet):
    long = "Un texte très long qui déborde. " * 2000
    StatusSheet.objects.filter(pk=sheet.pk).update(
        overall=RAG.RED,
        achievements=long,
        recovery_plan=long,
        help_needed=long,
        decisions_requested=long,
    )
    sheet.refresh_from_db()
    for n in range(12):
        sheet.decisions.create(text=f"Decision {n} " + "with many words " * 40)
    pdf, fit = a3.render_a3(sheet, "fr")
    text = assert_one_a3_landscape_page(pdf)
    assert fit != a3.FITS[0]
    assert "One team for the family" in text


@pytest.mark.urls(URLS)
def test_the_pdf_page(client_for, sheet, alice, charlie):
    response = client_for(alice).get(
        f"/projects/sheets/{sheet.pk}/a3.pdf", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "One team for the family" in assert_one_a3_landscape_page(response.content)
    assert client_for(charlie).get(f"/projects/sheets/{sheet.pk}/a3.pdf").status_code == 404
