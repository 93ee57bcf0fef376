"""What the browser tests share: Debian's chromium as Playwright launches it here, and the
zones of a standard room.

Playwright never downloads a browser in this project: it drives /usr/bin/chromium (installed by
`make test`). The flags keep chromium from reaching for Google's services, which this machine's
closed network refuses many times a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: The zones of a standard room, in the order of the template.
ZONES = [
    {"zone": "priorities", "limit": 5},
    {"zone": "indicators", "limit": 8},
    {"zone": "problems", "limit": 0},
    {"zone": "actions", "limit": 0},
    {"zone": "escalations", "limit": 0},
    {"zone": "recognition", "limit": 0},
]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, closed on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
