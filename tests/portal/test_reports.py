"""The report pages: every role, every format, scoping to a municipality, bad requests, and
/metrics."""

from __future__ import annotations

import csv
import io

import pytest
from starlette.testclient import TestClient

from tests.callrecords import dialogue, record, store
from tests.portal.conftest import Site
from veertien.portal.app import create_app
from veertien.reports import REPORTS

TUE = "2026-11-24T10:15:00.000+01:00"
PERIOD = "van=2026-11-01&tot=2026-11-30"


@pytest.fixture
def with_calls(site: Site) -> Site:
    store(site.storage.engine, [
        record(started=TUE),
        record(started=TUE, municipality="GM0678", area_code="0113", dialled="140113"),
        dialogue(("understood", "transferred"), started=TUE),
        dialogue((), started=TUE, municipality=None, phase="menu", outcome="cancelled"),
    ])  # fmt: skip
    return site


def test_the_index_lists_every_report(with_calls: Site) -> None:
    page = with_calls.login("ops").get("/rapporten")
    assert page.status_code == 200
    for report in REPORTS.values():
        assert report.title in page.text and f"/rapporten/{report.name}?" in page.text


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_html_csv_and_json_show_the_same_figures(with_calls: Site, name: str) -> None:
    client = with_calls.login("ops")
    page = client.get(f"/rapporten/{name}?{PERIOD}")
    data = client.get(f"/rapporten/{name}?{PERIOD}&formaat=json").json()
    sheet = client.get(f"/rapporten/{name}?{PERIOD}&formaat=csv")
    assert page.status_code == 200
    assert ("<svg" in page.text) == bool(data["rows"])  # a chart when there is something to draw
    if not data["rows"]:
        assert "Geen gesprekken in deze periode." in page.text
    assert sheet.headers["content-type"].startswith("text/csv")
    assert "attachment" in sheet.headers["content-disposition"]
    assert sheet.text.startswith("\ufeff")  # UTF-8 with a BOM, as Excel wants it
    parsed = list(csv.reader(io.StringIO(sheet.text.removeprefix("\ufeff")), delimiter=";"))
    keys = [c["key"] for c in data["columns"]]
    people = [c for c in data["columns"] if c["kind"] != "code"]  # codes are for programs
    assert parsed[0] == [c["label"] for c in people]  # Dutch headers
    for row, line in zip(data["rows"], parsed[1:], strict=True):
        values = ["" if row[c["key"]] is None else str(row[c["key"]]) for c in people]
        assert line == [v.replace(".", ",") for v in values]  # the decimal comma
        every = ["" if row[k] is None else str(row[k]) for k in keys]
        for key, value in zip(keys, every, strict=True):
            assert f'data-key="{key}" data-value="{value}"' in page.text


def test_an_admin_sees_only_their_municipality(with_calls: Site) -> None:
    client = with_calls.login("goes")
    data = client.get(f"/rapporten/gemeenten?{PERIOD}&formaat=json").json()
    assert data["params"]["municipality"] == "GM0664"
    assert [(r["municipality"], r["calls"]) for r in data["rows"]] == [("GM0664", 1)]
    assert client.get(f"/rapporten/gemeenten?{PERIOD}&gemeente=GM0678").status_code == 403
    page = client.get(f"/rapporten/volume-per-dag?{PERIOD}")
    assert 'data-value="1"' in page.text and "Kapelle" not in page.text


def test_operators_and_viewers_see_all_and_may_filter(with_calls: Site) -> None:
    client = with_calls.login("lezer")
    data = client.get(f"/rapporten/volume-per-dag?{PERIOD}&formaat=json").json()
    assert data["totals"] == {"calls": 4}
    kapelle = client.get(f"/rapporten/volume-per-dag?{PERIOD}&gemeente=GM0678&formaat=json")
    assert kapelle.json()["totals"] == {"calls": 1}
    area = client.get(f"/rapporten/volume-per-dag?{PERIOD}&netnummer=0320&formaat=json")
    assert area.json()["totals"] == {"calls": 1}


def test_api_tokens_work_for_reports(with_calls: Site) -> None:
    user = with_calls.storage.users.verify("goes", "een lang wachtwoord")
    assert user is not None
    token = with_calls.storage.users.new_token(user, "reports", "test")
    answer = with_calls.client.get(
        f"/rapporten/trechter?{PERIOD}&formaat=json", headers={"authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200 and answer.json()["params"]["municipality"] == "GM0664"


@pytest.mark.parametrize(
    ("query", "status", "text"),
    [
        ("/rapporten/nope", 404, "bestaat niet"),
        ("/rapporten/trechter?van=gisteren", 400, "JJJJ-MM-DD"),
        ("/rapporten/trechter?formaat=pdf", 400, "html, csv of json"),
        ("/rapporten/trechter?netnummer=abc", 400, "netnummer"),
    ],
)
def test_bad_requests_say_why(with_calls: Site, query: str, status: int, text: str) -> None:
    answer = with_calls.login("ops").get(query)
    assert answer.status_code == status and text in answer.text


def test_reports_need_a_sign_in(site: Site) -> None:
    answer = site.client.get("/rapporten/trechter", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/inloggen")


def test_metrics_are_served_when_the_service_gives_them(site: Site) -> None:
    assert site.client.get("/metrics").status_code == 404
    app = create_app(site.storage, site.storage.routing_context, secret="t",
                     metrics=lambda: b"veertien_calls_total 3.0\n")  # fmt: skip
    with TestClient(app) as client:
        answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.text == "veertien_calls_total 3.0\n"
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")


def test_the_api_gives_reports_as_json_with_errors_as_json(with_calls: Site) -> None:
    user = with_calls.storage.users.verify("ops", "een lang wachtwoord")
    assert user is not None
    auth = {"authorization": f"Bearer {with_calls.storage.users.new_token(user, 'r', 'test')}"}
    client = with_calls.client
    answer = client.get(f"/api/reports/routes?{PERIOD}", headers=auth)
    assert answer.status_code == 200 and answer.json()["totals"] == {"calls": 4}
    same = client.get(f"/rapporten/routes?{PERIOD}&formaat=json", headers=auth).json()
    assert answer.json() == same
    assert client.get("/api/reports/nope", headers=auth).json() == {
        "error": "Dit rapport bestaat niet."
    }
    assert client.get("/api/reports/routes").status_code == 401
    misspelt = client.get("/api/reports/routes?gmeente=GM0664", headers=auth)
    assert misspelt.status_code == 400 and "gmeente" in misspelt.json()["error"]
    described = client.get("/api/openapi.json").json()["paths"]["/api/reports/{name}"]
    assert set(described["get"]["parameters"][0]["schema"]["enum"]) == set(REPORTS)
