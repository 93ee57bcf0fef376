"""Minutes as PDF, rendered in-process by WeasyPrint with the system's fonts (DejaVu).

Nothing is fetched while rendering: the stylesheet is passed as a string, and the URL
fetcher refuses every URL but inline `data:` ones, so a link or image in typed text can
never make the server reach the network or read a local file.

WeasyPrint is imported when a PDF is made, not with the module: importing it loads Pango
and parses its default stylesheets, which every other request and command can do without.
"""

from pathlib import Path
from typing import Any

STYLESHEET = Path(__file__).with_name("minutes_pdf.css")


def local_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that allows `data:` URLs only: no network, no file system."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), allow_redirects=False, timeout=1)


def render_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML

    fetcher = local_only_fetcher()
    stylesheet = CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=fetcher)
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet])
