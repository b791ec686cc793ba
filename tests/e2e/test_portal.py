"""The portal end to end, on a real `veertien serve`: a destination changed in the portal is
live for the very next SIP call (SIPp checks the 302), and a headless Chromium (Debian's, driven
by Playwright) signs in, switches a calamity on and takes an organisation's destination away,
and finds both on the public status page. The
browser test also saves screenshots of the main pages (docs/screenshots/ when
VEERTIEN_SCREENSHOTS names that folder)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.peers import (
    Server,
    csrf_of,
    expect_302,
    signed_in,
    sipp,
    sipp_errors,
    veertien_server,
)

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with veertien_server(tmp_path / "data") as running:
        assert running.http_port and running.password
        yield running


def test_a_destination_changed_in_the_portal_is_live_for_the_next_call(
    server: Server, tmp_path: Path
) -> None:
    before = sipp(expect_302(tmp_path, "sip:+31320000001@127.0.0.1:5080"), "-s", "140320",
                  f"127.0.0.1:{server.port}", "-m", "1")  # fmt: skip
    assert before.returncode == 0, sipp_errors(tmp_path)
    client = signed_in(server)
    new = "sip:kcc@lelystad.example:5080"
    form = {"csrf": csrf_of(client.get("/gemeenten/GM0995").text), "destination": new,
            "always_open": "on"}  # fmt: skip
    saved = client.post("/gemeenten/GM0995", data=form)
    assert "Opgeslagen" in saved.text
    after = sipp(expect_302(tmp_path, new), "-s", "140320", f"127.0.0.1:{server.port}",
                 "-m", "1")  # fmt: skip
    assert after.returncode == 0, sipp_errors(tmp_path)
    records = server.records(lambda r: r["dialled"] == "140320", 2)
    assert records[-1]["target"] == new
    assert records[-1]["data_version"] != records[0]["data_version"]  # each names its data


def _browser() -> object:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing (scripts/install installs it)")
        pytest.skip("chromium is missing")
    return playwright


@contextmanager
def browser_page(folder: Path) -> Iterator[tuple[Any, Any, Path]]:
    """Headless Chromium (Debian's, driven by Playwright): the browser, a page, and the folder
    for screenshots (VEERTIEN_SCREENSHOTS, else one under `folder`)."""
    sync_api: Any = _browser()
    shots = Path(os.environ.get("VEERTIEN_SCREENSHOTS") or folder / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser, browser.new_page(viewport={"width": 1280, "height": 900}), shots
        finally:
            browser.close()


def test_a_browser_switches_a_calamity_on_and_sees_it_on_the_status_page(
    server: Server, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{server.http_port}"
    with browser_page(tmp_path) as (browser, page, shots):
        page.goto(f"{base}/gemeenten")  # redirected to the sign-in page
        page.screenshot(path=str(shots / "inloggen.png"))
        page.fill("#username", "operator")
        page.fill("#password", server.password)
        page.click("button[type=submit] >> text=Inloggen")
        page.wait_for_url(f"{base}/account")  # a one-time password: one's own first
        assert page.is_visible("#must-change")
        page.screenshot(path=str(shots / "eigen-wachtwoord.png"), full_page=True)
        page.fill("#current", server.password)
        page.fill("#new", "een eigen lang wachtwoord")
        page.fill("#repeated", "een eigen lang wachtwoord")
        page.click("button >> text=Wachtwoord wijzigen")
        page.wait_for_selector("text=Uw wachtwoord is gewijzigd")
        page.goto(f"{base}/overzicht")
        assert page.is_visible("#vandaag") and page.is_visible("#aandacht")
        page.goto(f"{base}/gemeenten?zoek=goe")
        assert page.is_visible("text=Goes") and not page.is_visible("text=Kapelle")
        page.goto(f"{base}/gemeenten")
        page.screenshot(path=str(shots / "gemeenten.png"), full_page=True)
        page.click("text=Goes")
        page.check("#calamity")
        page.fill("#calamity_message", "Door een storing is het gemeentehuis vandaag gesloten.")
        page.click("button >> text=Opslaan")
        page.wait_for_selector("text=Opgeslagen")
        page.screenshot(path=str(shots / "gemeente-instellingen.png"), full_page=True)
        page.goto(f"{base}/netnummers")
        page.screenshot(path=str(shots / "netnummers.png"), full_page=True)
        page.goto(f"{base}/audit")
        page.screenshot(path=str(shots / "logboek.png"), full_page=True)
        page.goto(f"{base}/organisaties")  # the national number's catalogue
        page.screenshot(path=str(shots / "organisaties.png"), full_page=True)
        page.fill('input[aria-label="Bestemming van DUO"]', "")
        page.click("#org-duo button >> text=Opslaan")
        page.wait_for_selector("text=Opgeslagen; geldt vanaf het volgende gesprek.")
        assert page.is_visible("#org-duo >> text=geen bestemming")
        refused: list[str] = []  # what the content security policy blocked, if anything
        page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else 0)
        page.goto(f"{base}/api/docs")
        page.wait_for_selector('.opblock-summary-path[data-path="/api/municipalities"]')
        page.screenshot(path=str(shots / "api.png"), full_page=True)
        assert not refused, refused
        public = browser.new_page(viewport={"width": 1280, "height": 900})  # not signed in
        public.goto(f"{base}/status")
        assert public.is_visible("text=Door een storing is het gemeentehuis vandaag gesloten.")
        assert public.is_visible("#calamiteit-GM0664")
        assert public.is_visible("#organisaties-onbereikbaar >> text=DUO")
        public.screenshot(path=str(shots / "status.png"), full_page=True)
    assert (shots / "status.png").stat().st_size > 10_000
