"""Reports reconcile exactly with the calls made.

A real `veertien serve` (speech on, early media) takes a known mix of real SIP calls from the
built-in traffic generator (`veertien traffic`): direct and refused calls, keys, a wrong key,
no key at all, and callers who hang up in the greeting, at the menu and while their spoken name
is being recognised. A second server (hand-over by REFER) takes SIPp callers: one follows the
REFER and reports the municipality answered, one hangs up during the transfer. Every report's
figures, fetched from the portal as HTML, CSV and JSON, must be exactly what those calls imply;
a municipality administrator sees only their own municipality's calls. The browser takes the
report pages' screenshots (docs/screenshots/ when VEERTIEN_SCREENSHOTS names it).
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.peers import (
    Server,
    need,
    scenario,
    signed_in,
    sipp,
    sipp_errors,
    veertien_server,
    xml_attr,
)
from tests.e2e.test_portal import browser_page
from tests.media.pcap import sipp_pcap
from veertien.reports import REPORTS
from veertien.storage import DataDir
from veertien.storage.store import Storage
from veertien.storage.users import Role

pytestmark = pytest.mark.e2e
GOES, LELYSTAD = "GM0664", "GM0995"
MIX = {
    "direct": 3, "refused": 2, "keys": 3, "invalid": 2, "timeout": 1,
    "hangup-greeting": 2, "hangup-menu": 2, "hangup-name": 2,
}  # fmt: skip
CALLS = sum(MIX.values())
DIALOGUES = CALLS - MIX["direct"] - MIX["refused"]
CALAMITY = "sip:crisis@lelystad.example"


@pytest.fixture(scope="module")
def early(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("early")
    settings = {
        "speech": True,
        "speech_workers": 1,
        "key_timeout_s": 1,
        "municipalities": {LELYSTAD: {"calamity": True, "calamity_destination": CALAMITY}},
    }
    (data / "settings.json").write_text(json.dumps(settings))
    with veertien_server(data) as running:
        yield running


@pytest.fixture(scope="module")
def traffic(early: Server) -> dict[str, Any]:
    """The traffic generator's mix, run once for the module; its summary."""
    mix = ",".join(f"{k}={n}" for k, n in MIX.items())
    exe = Path(sys.executable).with_name("veertien")
    done = subprocess.run(
        [str(exe), "--data", str(early.data / "caller"), "traffic", "--server",
         f"127.0.0.1:{early.port}", "--mix", mix, "--concurrency", "6"],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    assert summary["made"] == dict(sorted(MIX.items()))
    assert summary["unexpected"] == []
    assert len(early.records(lambda r: True, CALLS)) == CALLS
    return summary


class _Table(HTMLParser):
    """The figures of a report page: data-value of every cell, and the totals."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.totals: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag == "td" and "data-value" in found:
            self.rows[-1].append(found["data-value"] or "")
        elif tag == "span" and "data-total" in found:
            self.totals[found["data-total"] or ""] = found.get("data-value") or ""


def _report(client: httpx.Client, name: str, query: str = "") -> dict[str, Any]:
    """A report as JSON, after checking that its HTML page and its CSV show the same."""
    page = client.get(f"/rapporten/{name}?{query}")
    assert page.status_code == 200, page.text
    as_json = client.get(f"/rapporten/{name}?{query}&formaat=json").json()
    as_csv = client.get(f"/rapporten/{name}?{query}&formaat=csv").text
    table = _Table()
    table.feed(page.text)
    shown = [r for r in table.rows if r]
    keys = [c["key"] for c in as_json["columns"]]
    wanted = [["" if r[k] is None else str(r[k]) for k in keys] for r in as_json["rows"]]
    assert shown == wanted, f"{name}: the HTML table differs from the JSON"
    parsed = list(csv.reader(io.StringIO(as_csv.removeprefix("\ufeff")), delimiter=";"))
    people = [n for n, c in enumerate(as_json["columns"]) if c["kind"] != "code"]
    labels = [as_json["columns"][n]["label"] for n in people]
    in_csv = [[row[n].replace(".", ",") for n in people] for row in wanted]  # decimal comma
    assert parsed[0] == labels and parsed[1:] == in_csv, f"{name}: the CSV differs from the JSON"
    assert table.totals == {k: str(v) for k, v in as_json["totals"].items()}
    assert isinstance(as_json, dict)
    return as_json


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(r[key]): r for r in rows}


def test_every_report_reconciles_with_the_calls_made(
    early: Server, traffic: dict[str, Any]
) -> None:
    client = signed_in(early)
    days = _report(client, "volume-per-dag")
    assert days["totals"] == {"calls": CALLS}
    assert _report(client, "volume-per-uur")["totals"] == {"calls": CALLS}

    areas = _by(_report(client, "netnummers")["rows"], "area_code")
    assert (areas["0320"]["calls"], areas["0320"]["transferred"]) == (MIX["direct"],) * 2
    assert (areas["0113"]["calls"], areas["0113"]["transferred"]) == (DIALOGUES, 6)
    assert areas["—"]["calls"] == MIX["refused"] and len(areas) == 3

    munis = _by(_report(client, "gemeenten")["rows"], "municipality")
    assert munis[GOES]["calls"] == MIX["keys"] + MIX["invalid"] and munis[GOES]["name"] == "Goes"
    assert munis[LELYSTAD]["calls"] == MIX["direct"]

    routes = _by(_report(client, "routes")["rows"], "route")
    counts = {k: r["calls"] for k, r in routes.items()}
    assert counts == {"direct": 5, "keys": 10, "speech": 2, "national": 0}

    funnel = _report(client, "trechter")
    stages = {r["stage"]: r["calls"] for r in funnel["rows"]}
    assert stages == {
        "prompted": DIALOGUES, "understood": MIX["keys"], "confirm_asked": 0, "choice_asked": 0,
        "province_asked": 0, "postcode_asked": 0, "confirmed": 0,
        "repeated": MIX["invalid"] + MIX["timeout"], "keypad": MIX["timeout"],
        "transferred": MIX["keys"] + MIX["invalid"] + MIX["timeout"], "answered": 0,
    }  # fmt: skip
    assert funnel["totals"] == {"dialogues": DIALOGUES, "answer_known": 0}

    hangups = _report(client, "ophangen")
    phases = {r["phase"]: r["calls"] for r in hangups["rows"]}
    assert phases == {"greeting": 2, "menu": 2, "after_name": 2, "announcement": 0, "transfer": 0}
    assert _by(hangups["rows"], "phase")["greeting"]["share"] == round(2 / DIALOGUES, 4)

    recognition = _report(client, "herkenning")
    assert recognition["totals"] == {"spoke": MIX["hangup-name"], "understood": 0}
    assert _report(client, "misroutes")["totals"] == {"asked": 0, "corrected": 0}

    delay = _by(_report(client, "kiesvertraging")["rows"], "kind")
    assert (delay["direct"]["calls"], delay["dialogue"]["calls"]) == (5, DIALOGUES)
    assert 0 < delay["direct"]["p50"] <= delay["direct"]["p99"] < 1000

    closed = _report(client, "calamiteit-gesloten")
    assert closed["totals"] == {"calamity": MIX["direct"], "closed": 0}


def test_a_municipality_admin_sees_only_its_own_calls(
    early: Server, traffic: dict[str, Any]
) -> None:
    storage = Storage.open(DataDir(early.data))
    try:
        storage.users.create("beheer-goes", "een lang wachtwoord", Role.ADMIN, GOES, "test")
    finally:
        storage.close()
    client = signed_in(early, "beheer-goes", "een lang wachtwoord")
    for name in REPORTS:
        report = _report(client, name)
        assert report["params"]["municipality"] == GOES
        codes = {r["municipality"] for r in report["rows"] if "municipality" in r}
        assert codes <= {GOES}, f"{name} shows {codes}"
    munis = _report(client, "gemeenten")["rows"]
    assert [(r["municipality"], r["calls"]) for r in munis] == [(GOES, 5)]
    assert _report(client, "volume-per-dag")["totals"] == {"calls": 5}
    assert client.get(f"/rapporten/gemeenten?gemeente={LELYSTAD}").status_code == 403


def test_metrics_and_records_keep_no_number(early: Server, traffic: dict[str, Any]) -> None:
    lines = (early.data / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    callers = [json.loads(line)["caller"] for line in lines]
    assert all(re.fullmatch(r"h:[0-9a-f]{16}", c) for c in callers), callers
    text = httpx.get(f"http://127.0.0.1:{early.http_port}/metrics").text
    assert 'veertien_hangups_total{phase="after_name"} 2.0' in text
    assert 'veertien_calls_total{outcome="cancelled",route="keys"} 4.0' in text
    assert "veertien_dialogues_active 0.0" in text
    lateness = re.search(r"^veertien_rtp_lateness_p99_seconds ([0-9.e-]+)$", text, re.MULTILINE)
    assert lateness and 0 <= float(lateness.group(1)) < 1  # seconds: the pacing is measured
    assert re.search(r'veertien_node_info\{node="[^"]+",role="all"\} 1.0', text)
    assert re.search(r'veertien_dialogue_phase_seconds_count\{phase="greeting"\} [1-9]', text)
    # a number of its own, not the digits inside a measured value such as 0.0606099999
    assert not re.search(r"(?<![\d.])06\d{8}(?![\d.])", text), "no caller's number in metrics"


def test_the_report_pages_in_a_browser(
    early: Server, traffic: dict[str, Any], tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{early.http_port}"
    signed_in(early).close()  # the one-time password changed (the portal test walks that)
    with browser_page(tmp_path) as (_, page, shots):
        page.goto(f"{base}/rapporten")
        page.fill("#username", "operator")
        page.fill("#password", early.password)
        page.click("button[type=submit] >> text=Inloggen")
        page.wait_for_url(f"{base}/rapporten")
        page.screenshot(path=str(shots / "rapporten.png"), full_page=True)
        for name in ("trechter", "ophangen", "volume-per-uur", "gemeenten"):
            page.goto(f"{base}/rapporten/{name}")
            assert page.is_visible(".chart svg"), name
            page.screenshot(path=str(shots / f"rapport-{name}.png"), full_page=True)
    assert (shots / "rapport-trechter.png").stat().st_size > 10_000


@pytest.fixture(scope="module")
def referring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("refer")
    (data / "settings.json").write_text(json.dumps({"handover": "refer", "key_timeout_s": 1}))
    with veertien_server(data) as running:
        yield running


def test_refer_calls_report_answers_and_hangups_during_the_transfer(
    referring: Server, tmp_path: Path
) -> None:
    need("sipp")
    sipp_pcap("dtmf_2833_2.pcap")
    refer_to = xml_attr(f"^ *{re.escape('<sip:+31113000001@127.0.0.1:5080>')}$")
    for name in ("uac_refer.xml", "uac_refer_hangup.xml"):
        path = scenario(name, tmp_path, KEY="2", REFER_TO_REGEXP=refer_to)
        result = sipp(path, "-s", "140113", f"127.0.0.1:{referring.port}", "-m", "1", "-mp",
                      "0", timeout=40)  # fmt: skip
        assert result.returncode == 0, sipp_errors(tmp_path)
    assert len(referring.records(lambda r: True, 2)) == 2
    client = signed_in(referring)
    funnel = {r["stage"]: r["calls"] for r in _report(client, "trechter")["rows"]}
    assert (funnel["prompted"], funnel["understood"], funnel["transferred"]) == (2, 2, 2)
    assert funnel["answered"] == 1
    answered = _by(_report(client, "trechter")["rows"], "stage")["answered"]
    assert answered["share"] == 1.0  # of the one call whose answer the platform learnt
    phases = {r["phase"]: r["calls"] for r in _report(client, "ophangen")["rows"]}
    assert phases["transfer"] == 1 and sum(phases.values()) == 1
