"""The reports: named, parameterised queries over `call_records`.

Each is one or two grouped scans over the columns that records.columns fills when a record
is written, filtered by day (and municipality or area code), answered from the covering index
`ix_calls_report` (a municipality's from its own index). They read the same on SQLite and
PostgreSQL. A report function returns its columns, rows and totals; the
runner (`run_report`) adds the time limit, the title and the chart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from veertien.records.columns import bucket_value_us
from veertien.reports.model import (
    TIME_LIMIT_S,
    Chart,
    Column,
    ColumnKind,
    ReportError,
    ReportParams,
    ReportResult,
    limited,
)
from veertien.storage.schema import call_records as c

Rows = list[tuple[Any, ...]]
Names = Mapping[str, str]  # municipality code -> name
Made = tuple[tuple[Column, ...], Rows, dict[str, Any]]

CALLS = Column("calls", "Gesprekken")
SHARE = Column("share", "Aandeel", ColumnKind.SHARE)
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
PHASES = {
    "greeting": "tijdens de begroeting",
    "menu": "in het keuzemenu",
    "after_name": "na het noemen van de naam",
    "announcement": "tijdens een mededeling",
    "transfer": "tijdens het doorverbinden",
}
ROUTES = {"direct": "direct", "keys": "toetsen", "speech": "spraak", "national": "landelijk nummer"}


def where(params: ReportParams) -> ColumnElement[bool]:
    conditions = [c.c.day >= params.first.isoformat(), c.c.day <= params.last.isoformat()]
    if params.municipality is not None:
        conditions.append(c.c.municipality == params.municipality)
    if params.area_code is not None:
        conditions.append(c.c.area_code == params.area_code)
    return and_(*conditions)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _all(conn: Connection, query: Select[Any]) -> Rows:
    return [tuple(r) for r in conn.execute(query)]


def volume_by_day(conn: Connection, params: ReportParams, names: Names) -> Made:
    query = select(c.c.day, func.count()).where(where(params)).group_by(c.c.day).order_by(c.c.day)
    rows = _all(conn, query)
    return (Column("day", "Dag", ColumnKind.TEXT), CALLS), rows, {"calls": sum(r[1] for r in rows)}


def volume_by_hour(conn: Connection, params: ReportParams, names: Names) -> Made:
    query = (
        select(c.c.hour_of_week, func.count())
        .where(where(params))
        .group_by(c.c.hour_of_week)
        .order_by(c.c.hour_of_week)
    )
    rows = [(WEEKDAYS[h // 24], h % 24, n) for h, n in _all(conn, query)]
    columns = (Column("weekday", "Dag", ColumnKind.TEXT), Column("hour", "Uur"), CALLS)
    return columns, rows, {"calls": sum(r[2] for r in rows)}


def _grouped(
    conn: Connection, params: ReportParams, key: ColumnElement[Any]
) -> list[tuple[Any, int, int]]:
    query = (
        select(key, func.count(), count_if(c.c.transferred))
        .where(where(params))
        .group_by(key)
        .order_by(func.count().desc(), key.is_(None), key)  # "none" last on every database
    )
    return [(k, int(n), int(t)) for k, n, t in conn.execute(query)]


TRANSFERRED = Column("transferred", "Doorverbonden")


def by_area_code(conn: Connection, params: ReportParams, names: Names) -> Made:
    rows: Rows = [(a or "—", n, t) for a, n, t in _grouped(conn, params, c.c.area_code)]
    columns = (Column("area_code", "Netnummer", ColumnKind.TEXT), CALLS, TRANSFERRED)
    return columns, rows, _sums(rows, 1, 2)


def by_municipality(conn: Connection, params: ReportParams, names: Names) -> Made:
    rows: Rows = [
        (code or "—", names.get(code or "", "geen gemeente gekozen"), n, t)
        for code, n, t in _grouped(conn, params, c.c.municipality)
    ]
    columns = (
        Column("municipality", "Code", ColumnKind.TEXT),
        Column("name", "Gemeente", ColumnKind.TEXT),
        CALLS,
        TRANSFERRED,
    )
    return columns, rows, _sums(rows, 2, 3)


LANGUAGES = {"nl": "Nederlands", "en": "Engels", "fy": "Fries"}


def by_language(conn: Connection, params: ReportParams, names: Names) -> Made:
    """Per language the caller chose: calls, dialogues, transferred and hung up."""
    query = (
        select(c.c.language, func.count(), count_if(c.c.prompted), count_if(c.c.transferred),
               count_if(c.c.phase.is_not(None)))
        .where(where(params))
        .group_by(c.c.language)
        .order_by(func.count().desc(), c.c.language)
    )  # fmt: skip
    rows: Rows = [
        (code, LANGUAGES.get(code, code), int(n), int(d), int(t), int(h))
        for code, n, d, t, h in conn.execute(query)
    ]
    columns = (
        Column("language", "Taal", ColumnKind.CODE), Column("label", "Omschrijving",
        ColumnKind.TEXT), CALLS, Column("dialogues", "Dialogen"), TRANSFERRED,
        Column("hangups", "Opgehangen"),
    )  # fmt: skip
    return columns, rows, _sums(rows, 2, 4)


def _sums(rows: Rows, calls: int, transferred: int) -> dict[str, Any]:
    return {"calls": sum(r[calls] for r in rows), "transferred": sum(r[transferred] for r in rows)}


def routes(conn: Connection, params: ReportParams, names: Names) -> Made:
    route = case((c.c.rule == "national", "national"), else_=c.c.route)
    query = select(route, func.count()).where(where(params)).group_by(route)
    found: dict[str, int] = {str(k): int(n) for k, n in conn.execute(query)}
    total = sum(found.values())
    rows: Rows = [(key, label, found.get(key, 0), _share(found.get(key, 0), total))
                  for key, label in ROUTES.items()]  # fmt: skip
    rows += [(k, k, n, _share(n, total)) for k, n in found.items() if k not in ROUTES]
    columns = (Column("route", "Route", ColumnKind.CODE), Column("label", "Omschrijving",
               ColumnKind.TEXT), CALLS, SHARE)  # fmt: skip
    return columns, rows, {"calls": total}


FUNNEL = (
    ("prompted", "keuzemenu bereikt"),
    ("understood", "eerste antwoord begrepen"),
    ("confirm_asked", "om bevestiging gevraagd"),
    ("choice_asked", "gevraagd welke van twee namen"),
    ("province_asked", "gevraagd in welke provincie (landelijk nummer)"),
    ("postcode_asked", "om de postcode gevraagd (landelijk nummer)"),
    ("confirmed", "bevestigd"),
    ("repeated", "opnieuw gevraagd"),
    ("keypad", "terugval op toetsen"),
    ("transferred", "doorverbonden"),
    ("answered", "opgenomen door de gemeente (waar bekend)"),
)


def funnel(conn: Connection, params: ReportParams, names: Names) -> Made:
    """Dialogue calls (those that heard a prompt), stage by stage; `answered` is counted among
    the calls whose answer the platform could know (REFER, bridge)."""
    base = and_(where(params), c.c.prompted)
    sums = [count_if(getattr(c.c, key)) for key, _ in FUNNEL]
    query = select(*sums, count_if(c.c.answer_known)).where(base)
    *counts, known = (int(v) for v in conn.execute(query).one())
    prompted = counts[0]
    rows: Rows = []
    for (key, label), n in zip(FUNNEL, counts, strict=True):
        whole = known if key == "answered" else prompted
        rows.append((key, label, n, _share(n, whole)))
    columns = (Column("stage", "Stap", ColumnKind.CODE), Column("label", "Omschrijving",
               ColumnKind.TEXT), CALLS, SHARE)  # fmt: skip
    return columns, rows, {"dialogues": prompted, "answer_known": known}


def hangups(conn: Connection, params: ReportParams, names: Names) -> Made:
    query = (
        select(c.c.phase, func.count())
        .where(where(params), c.c.phase.is_not(None))
        .group_by(c.c.phase)
    )
    found: dict[str, int] = {str(k): int(n) for k, n in conn.execute(query)}
    dialogues = conn.execute(select(func.count()).where(where(params), c.c.prompted)).scalar_one()
    rows: Rows = [(k, label, found.get(k, 0), _share(found.get(k, 0), dialogues))
                  for k, label in PHASES.items()]  # fmt: skip
    rows += [(k, k, n, _share(n, dialogues)) for k, n in found.items() if k not in PHASES]
    columns = (Column("phase", "Fase", ColumnKind.CODE), Column("label", "Omschrijving",
               ColumnKind.TEXT), CALLS, Column("share", "Aandeel van de dialogen",
               ColumnKind.SHARE))  # fmt: skip
    return columns, rows, {"hangups": sum(found.values()), "dialogues": int(dialogues)}


def _per_municipality(
    conn: Connection, params: ReportParams, names: Names, sums: Sequence[ColumnElement[Any]],
    condition: ColumnElement[bool],
) -> Rows:  # fmt: skip
    query = (
        select(c.c.municipality, func.count(), *sums)
        .where(where(params), condition)
        .group_by(c.c.municipality)
        .order_by(func.count().desc(), c.c.municipality.is_(None), c.c.municipality)
    )
    return [(code or "—", names.get(code or "", "geen gemeente gekozen"), *map(int, rest))
            for code, *rest in conn.execute(query)]  # fmt: skip


MUNI = (
    Column("municipality", "Code", ColumnKind.TEXT),
    Column("name", "Gemeente", ColumnKind.TEXT),
)


def misroutes(conn: Connection, params: ReportParams, names: Names) -> Made:
    """Calls where the caller said "nee" to "Bedoelt u ...?": a misroute the dialogue caught
    (the municipality is where the call went in the end)."""
    rows = _per_municipality(conn, params, names, [count_if(c.c.corrected)], c.c.confirm_asked)
    rows = [(*r, _share(r[3], r[2])) for r in rows]
    columns = (*MUNI, Column("asked", "Om bevestiging gevraagd"),
               Column("corrected", "Gecorrigeerd (nee)"), Column("share", "Aandeel",
               ColumnKind.SHARE))  # fmt: skip
    return columns, rows, {"asked": sum(r[2] for r in rows), "corrected": sum(r[3] for r in rows)}


def recognition(conn: Connection, params: ReportParams, names: Names) -> Made:
    """Per municipality the caller meant (where the call ended): spoken first answers, how many
    were understood first time, and how many needed a correction."""
    sums = [count_if(c.c.understood), count_if(c.c.corrected)]
    rows = _per_municipality(conn, params, names, sums, c.c.spoke)
    rows = [(*r, _share(r[3], r[2])) for r in rows]
    columns = (
        *MUNI,
        Column("spoke", "Gesproken"),
        Column("understood", "Eerste keer begrepen"),
        Column("corrected", "Gecorrigeerd"),
        Column("rate", "Herkenning", ColumnKind.SHARE),
    )
    return columns, rows, {"spoke": sum(r[2] for r in rows), "understood": sum(r[3] for r in rows)}


PERCENTILES = (0.5, 0.9, 0.95, 0.99)


def post_dial_delay(conn: Connection, params: ReportParams, names: Names) -> Made:
    """Post-dial delay percentiles (INVITE in → first answer out), exact to 1 %: direct
    routes (302 at once) and dialogues (183 with the menu) apart."""
    kind = case((c.c.prompted, "dialogue"), else_="direct")
    query = (
        select(kind, c.c.pdd_bucket, func.count())
        .where(where(params), c.c.pdd_bucket.is_not(None))
        .group_by(kind, c.c.pdd_bucket)
    )
    histograms: dict[str, dict[int, int]] = {}
    for k, bucket, n in conn.execute(query):
        histograms.setdefault(k, {})[int(bucket)] = int(n)
    rows: Rows = []
    for k, label in (("direct", "direct (302)"), ("dialogue", "dialoog (183)")):
        hist = histograms.get(k, {})
        values = [round(v / 1000, 3) for v in _percentiles(hist)]
        rows.append((k, label, sum(hist.values()), *values))
    columns = (Column("kind", "Soort", ColumnKind.CODE), Column("label", "Omschrijving",
               ColumnKind.TEXT), CALLS, *(Column(f"p{round(p * 100)}", f"p{round(p * 100)} (ms)",
               ColumnKind.MS) for p in PERCENTILES))  # fmt: skip
    return columns, rows, {"calls": sum(r[2] for r in rows)}


def _percentiles(hist: Mapping[int, int]) -> list[float]:
    total = sum(hist.values())
    if not total:
        return [0.0 for _ in PERCENTILES]
    out: list[float] = []
    seen = 0
    wanted = iter(PERCENTILES)
    target: float | None = next(wanted)
    for bucket, n in sorted(hist.items()):
        seen += n
        while target is not None and seen >= target * total:
            out.append(bucket_value_us(bucket))
            target = next(wanted, None)
    return out


def calamity_closed(conn: Connection, params: ReportParams, names: Names) -> Made:
    sums = [count_if(c.c.final_rule == "calamity"), count_if(c.c.final_rule == "closed")]
    rows = _per_municipality(conn, params, names, sums, c.c.final_rule.in_(("calamity", "closed")))
    columns = (*MUNI, CALLS, Column("calamity", "Calamiteit"), Column("closed", "Gesloten"))
    return columns, rows, {"calamity": sum(r[3] for r in rows), "closed": sum(r[4] for r in rows)}


FAILED: tuple[tuple[str, str, ColumnElement[bool]], ...] = (
    ("unknown_number", "onbekend nummer (404)", c.c.rule == "unknown_number"),
    ("no_municipality", "netnummer zonder gemeente (404)", c.c.rule == "no_municipality"),
    ("no_destination", "gemeente zonder bestemming (480)", c.c.final_rule == "no_destination"),
    ("not_connected", "gemeente niet aangesloten (melding)", c.c.final_rule == "not_connected"),
    ("hung_up", "opgehangen voor het doorverbinden (487)", c.c.phase.is_not(None)),
    ("default_desk", "naar de standaardbestemming: niets gekozen", c.c.default_desk),
    ("refused", "suggestie geweigerd: nee op Bedoelt u …?", c.c.corrected),
)


def failed(conn: Connection, params: ReportParams, names: Names) -> Made:
    """Calls that did not reach the municipality they were for, by reason (a call can have two:
    a refused suggestion, then the default desk), as shares of all calls."""
    sums = [count_if(condition) for _, _, condition in FAILED]
    total, *counts = (int(v) for v in conn.execute(
        select(func.count(), *sums).where(where(params))
    ).one())  # fmt: skip
    rows: Rows = [(key, label, n, _share(n, total))
                  for (key, label, _), n in zip(FAILED, counts, strict=True)]  # fmt: skip
    columns = (Column("reason", "Reden", ColumnKind.CODE), Column("label", "Omschrijving",
               ColumnKind.TEXT), CALLS, Column("share", "Aandeel van alle gesprekken",
               ColumnKind.SHARE))  # fmt: skip
    return columns, rows, {"calls": total}


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    make: Callable[[Connection, ReportParams, Names], Made]
    chart: Chart | None = None
    time_limit_s: float = TIME_LIMIT_S  # past this the report stops with ReportTimeout


REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report("volume-per-dag", "Gesprekken per dag", "Alle gesprekken, per dag.",
               volume_by_day, Chart("line", "day", "calls")),
        Report("volume-per-uur", "Gesprekken per uur van de week",
               "Wanneer er gebeld wordt: dag van de week tegen uur.", volume_by_hour,
               Chart("heatmap", "hour", "weekday", "calls")),
        Report("netnummers", "Per netnummer", "Gesprekken en doorverbindingen per netnummer.",
               by_area_code, Chart("bar", "area_code", "calls")),
        Report("gemeenten", "Per gemeente", "Gesprekken per gemeente waar ze eindigden.",
               by_municipality, Chart("bar", "name", "calls")),
        Report("routes", "Gekozen route", "Direct, met toetsen, met spraak of via het landelijk "
               "nummer.", routes, Chart("bar", "label", "calls")),
        Report("trechter", "Dialoogtrechter", "Van keuzemenu tot opgenomen, met aandelen.",
               funnel, Chart("bar", "label", "calls")),
        Report("ophangen", "Opgehangen per fase", "Bellers die ophingen, naar de fase waarin.",
               hangups, Chart("bar", "label", "calls")),
        Report("misroutes", "Voorkomen misroutes", "Bellers die 'nee' zeiden op 'Bedoelt u …?'.",
               misroutes, Chart("bar", "name", "corrected")),
        Report("herkenning", "Spraakherkenning per gemeente", "Welke namen de eerste keer "
               "begrepen worden, en welke niet.", recognition, Chart("bar", "name", "rate")),
        Report("kiesvertraging", "Kiesvertraging", "Tijd van INVITE tot het eerste antwoord.",
               post_dial_delay, Chart("bar", "label", "p99")),
        Report("mislukt", "Mislukte gesprekken", "Gesprekken die niet bij de bedoelde gemeente "
               "kwamen, naar reden.", failed, Chart("bar", "label", "calls")),
        Report("talen", "Per taal", "Gesprekken, dialogen, doorverbindingen en ophangers per "
               "taal die de beller koos.", by_language, Chart("bar", "label", "calls")),
        Report("calamiteit-gesloten", "Calamiteiten en buiten openingstijd", "Gesprekken tijdens "
               "een calamiteit of buiten de openingstijden.", calamity_closed,
               Chart("bar", "name", "calls")),
    )
}  # fmt: skip


def run_report(
    engine: Engine,
    name: str,
    params: ReportParams,
    names: Names,
    time_limit_s: float | None = None,
) -> ReportResult:
    """Run one report within its time limit (its own unless `time_limit_s` is given; past it,
    ReportTimeout), or raise ReportError for a name that is no report."""
    report = REPORTS.get(name)
    if report is None:
        raise ReportError(f"Onbekend rapport: {name}")
    started = time.perf_counter()
    with limited(engine, time_limit_s or report.time_limit_s) as conn:
        columns, rows, totals = report.make(conn, params, names)
    elapsed = (time.perf_counter() - started) * 1000
    return ReportResult(
        report.name, report.title, params, columns, tuple(rows), report.chart, totals,
        round(elapsed, 1),
    )  # fmt: skip
