"""The README's first command, for real: `pilotage demo` serves the demo, and a person logs
in and finds their way in Debian's chromium, driven by Playwright."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from pilotage.demo.organisation import DEMO_PASSWORD, showcase_usernames

from .support import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # the embedded database
    env["PILOTAGE_DATA_DIR"] = str(tmp_path_factory.mktemp("demo"))
    log = tmp_path_factory.mktemp("demo-log") / "demo.log"
    output = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "pilotage.cli", "demo", "--port", str(port)],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(url + "health/", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output.close()
            pytest.fail("the demo did not start:\n" + log.read_text())
        time.sleep(0.5)
    yield url
    os.killpg(process.pid, 15)
    process.wait(timeout=30)
    output.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_log_in_to_the_demo_and_navigate_it(demo_server, browser, tmp_path):
    screenshots = tmp_path
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="fr-CA")
    page.goto(demo_server)
    assert "/login/" in page.url
    # Keyboard first: the skip link is the first thing Tab reaches.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    page.get_by_label("Nom d’utilisateur").fill(showcase_usernames()["director"])
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(demo_server)
    assert page.get_by_role("heading", name="Mes unités et rôles").is_visible()

    page.get_by_role("navigation", name="Mes unités").get_by_role(
        "link", name="Direction de la protection de la jeunesse"
    ).click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Direction de la protection de la jeunesse"
    )
    page.get_by_role("link", name="Évaluation-orientation").click()
    assert page.get_by_role("heading", name="Personnes et rôles").is_visible()
    assert (
        page.get_by_role("cell", name="Cheffe de service").count()
        + page.get_by_role("cell", name="Chef de service").count()
        == 1
    )

    # Switch to English: the same page, in English, and the choice is kept.
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    assert page.get_by_role("heading", name="People and roles").is_visible()
    page.get_by_role("link", name="My page").click()
    assert page.get_by_role("heading", name="My units and roles").is_visible()

    # On a tablet held upright, nothing overflows sideways.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(demo_server + "units/eo/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screenshots / "unit-tablet.png"), full_page=True)


def test_the_outsider_cannot_open_another_units_page(demo_server, browser):
    page = browser.new_page(locale="fr-CA")
    page.goto(demo_server + "login/")
    page.get_by_label("Nom d’utilisateur").fill(showcase_usernames()["staff"])
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(demo_server)
    response = page.goto(demo_server + "units/rts/")
    assert response is not None and response.status == 404
