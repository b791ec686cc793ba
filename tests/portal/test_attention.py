"""What a new operator must see after the national import (it names no destinations): the
overview says which municipalities have none, the list filters them, /health is degraded and
the public status page says they cannot be reached; with the demo's destinations kept."""

from __future__ import annotations

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.callrecords import dialogue, record, store
from tests.portal.conftest import Site
from veertien.directory import Directory
from veertien.routing import Settings


def _import(site: Site, national: Directory) -> int:
    site.storage.config.save_directory(national, "test", "national set")
    return len(site.context().without_destination())


def test_before_the_import_nothing_needs_attention(site: Site) -> None:
    client = site.login("ops")
    page = client.get("/overzicht").text
    assert "alle deelnemende gemeenten hebben een bestemming" in page
    assert site.client.get("/health").json()["destinations"]["missing"] == 0
    assert "Alle systemen werken normaal" in site.client.get("/status").text


def test_the_national_import_shows_who_has_no_destination_everywhere(
    site: Site, national: Directory
) -> None:
    missing = _import(site, national)
    assert missing > 300  # the national set names no destinations; the demo's 12 are kept
    client = site.login("ops")
    overview = client.get("/overzicht").text
    assert f"{missing} deelnemende gemeente(n) zonder bestemming" in overview
    assert 'href="/gemeenten?zonder=bestemming"' in overview
    listed = client.get("/gemeenten?zonder=bestemming").text
    assert listed.count('<span class="pill alarm">geen bestemming</span>') == missing
    assert "Lelystad" not in listed  # the demo's destination was kept
    health = site.client.get("/health").json()
    assert health["status"] == "degraded" and health["destinations"]["missing"] == missing
    public = site.client.get("/status").text
    assert 'id="onbereikbaar"' in public and "Alle systemen werken normaal" not in public


def test_the_municipality_list_is_searched_by_name_code_or_destination(site: Site) -> None:
    client = site.login("ops")
    found = client.get("/gemeenten?zoek=goe").text
    assert "Goes" in found and "Kapelle" not in found
    assert "Kapelle" in client.get("/gemeenten?zoek=gm0678").text
    by_line = client.get("/gemeenten?zoek=31320000001").text
    assert "Lelystad" in by_line and "Goes" not in by_line
    nothing = client.get("/gemeenten?zoek=%3Cscript%3E").text
    assert "Geen gemeenten gevonden" in nothing and "<script>" not in nothing
    assert re.search(r"1 van 12 gemeenten getoond", found)


def test_the_area_codes_say_what_happens_in_dutch(site: Site) -> None:
    page = site.login("ops").get("/netnummers").text
    assert "Keuzemenu: 5 gemeenten delen dit netnummer" in page
    assert "is shared by" not in page


def test_the_area_codes_say_which_languages_are_offered_and_why_not(site: Site) -> None:
    languages = {"offer": {"en": "9", "fy": "8"}, "areas": {"0113": {"en": "1"}}}
    settings = Settings.from_json({**site.storage.config.settings().to_json(),
                                   "languages": languages})  # fmt: skip
    site.storage.config.save_settings(settings, "test")
    page = html.unescape(site.login("ops").get("/netnummers").text)
    assert "Talen naast Nederlands" in page
    assert "Engels: toets 9" in page  # a shared area on the platform's offer
    assert "Fries: niet aangeboden, nog niet alle zinnen zijn opgenomen" in page
    assert "Engels: niet aangeboden, toets 1 kiest hier een gemeente" in page  # 0113's own


def test_the_overview_counts_todays_calls_from_the_reports(site: Site) -> None:
    now = datetime.now(ZoneInfo("Europe/Amsterdam")).isoformat(timespec="milliseconds")
    store(site.storage.engine, [
        record(started=now, municipality="GM0664", area_code="0113", dialled="140113"),
        record(started=now, municipality="GM0664", area_code="0113", dialled="140113"),
        dialogue((), started=now, municipality=None, phase="menu", outcome="cancelled"),
        record(started=now, dialled="140116", area_code=None, municipality=None, target=None,
               response=404, outcome="refused", stages=(), rule="unknown_number",
               final_rule="unknown_number"),
    ])  # fmt: skip
    page = site.login("ops").get("/overzicht").text
    assert '<td data-key="calls">4</td>' in page
    assert '<td data-key="transferred">2 (50,0 %)</td>' in page
    assert '<td data-reason="unknown_number">1</td>' in page
    assert '<td data-reason="hung_up">1</td>' in page
    own = site.login("goes").get("/overzicht").text  # an admin: their own calls
    assert '<td data-key="calls">2</td>' in own and "(GM0664)" in own


def test_statuses_are_explained(site: Site) -> None:
    page = site.login("ops").get("/gemeenten").text
    assert "technisch aangesloten: het nummer werkt" in page
