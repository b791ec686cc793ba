"""Charts as SVG, drawn on the server with Matplotlib (no script in the browser, so the portal's
content security policy stays strict). One function: `svg(result)`."""

from __future__ import annotations

import io
import threading
from typing import Any

from matplotlib.ticker import MaxNLocator

from veertien.dutch import number
from veertien.reports.model import Chart, ReportResult

COLOUR = "#154273"
MIN_LINE = 3  # fewer points than this are drawn as bars: a line needs a few days
MAX_BARS = 25  # the largest rows (reports sort them first); the table has them all
_LOCK = threading.Lock()  # Matplotlib's font cache and text layout are not thread-safe


def svg(result: ReportResult) -> str:
    """The report's chart as an inline <svg> element ("" when it has no chart or no data)."""
    chart = result.chart
    if chart is None or not result.rows:
        return ""
    from matplotlib.figure import Figure  # noqa: PLC0415 (slow import: only when drawing)

    records = result.records()
    with _LOCK:
        figure = Figure(figsize=(10, _height(chart, len(records))), dpi=96)
        axes = figure.add_subplot()
        if chart.kind == "heatmap":
            _heatmap(figure, axes, records, chart)
        else:
            _series(axes, records, chart)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg") :]


def _height(chart: Chart, rows: int) -> float:
    if chart.kind == "heatmap":
        return 3.2
    return 3.6 if chart.kind == "line" else max(2.4, min(MAX_BARS, rows) * 0.32 + 0.8)


def _series(axes: Any, records: list[dict[str, Any]], chart: Chart) -> None:
    labels = [str(r[chart.x]) for r in records]
    values = [float(r[chart.y] or 0) for r in records]
    whole = all(isinstance(r[chart.y], int) for r in records)
    kind = chart.kind if len(labels) >= MIN_LINE else "bar"  # one day is a bar, not a dot
    if chart.kind == "bar" and max(len(label) for label in labels) > 8:
        # long names read best as horizontal bars, first at the top
        bars = axes.barh(labels[:MAX_BARS][::-1], values[:MAX_BARS][::-1], color=COLOUR)
        axes.bar_label(bars, labels=_values(values[:MAX_BARS][::-1], whole), fontsize=8)
        axes.tick_params(axis="y", labelsize=8)
        axes.xaxis.set_major_locator(MaxNLocator(integer=whole))
        axes.set_xlim(left=0, right=max(*values, 1) * 1.12)  # room for the labels
        return
    axes.yaxis.set_major_locator(MaxNLocator(integer=whole))
    if kind == "line":
        axes.plot(labels, values, color=COLOUR, marker="o", markersize=3)
    else:
        bars = axes.bar(labels, values, color=COLOUR, width=0.6)
        axes.bar_label(bars, labels=_values(values, whole), fontsize=8)
        if len(labels) < MIN_LINE:  # one or two bars, not wall to wall
            axes.set_xlim(-1.5, len(labels) + 0.5)
    axes.set_ylim(bottom=0, top=max(*values, 1) * 1.12)  # counts from zero, never 55-61
    if len(labels) > 12:
        step = max(1, len(labels) // 12)
        axes.set_xticks(range(0, len(labels), step), labels[::step])
    axes.tick_params(axis="x", labelrotation=30 if len(labels) > 4 else 0, labelsize=8)


def _values(values: list[float], whole: bool) -> list[str]:
    """The numbers written at the bars, the Dutch way."""
    return [number(v, 0 if whole else 2) for v in values]


def _heatmap(figure: Any, axes: Any, records: list[dict[str, Any]], chart: Chart) -> None:
    from veertien.reports.queries import WEEKDAYS  # noqa: PLC0415

    grid = [[0.0] * 24 for _ in WEEKDAYS]
    for r in records:
        grid[WEEKDAYS.index(str(r[chart.y]))][int(r[chart.x])] = float(r[chart.value or "calls"])
    # vector cells, not imshow: an SVG image would be a data: URI, which the portal's content
    # security policy (rightly) does not load
    image = axes.pcolormesh(grid, cmap="Blues", edgecolors="#ffffff", linewidth=0.5)
    axes.invert_yaxis()
    axes.set_yticks([n + 0.5 for n in range(len(WEEKDAYS))], WEEKDAYS)
    axes.set_xticks([h + 0.5 for h in range(0, 24, 2)], [str(h) for h in range(0, 24, 2)])
    axes.set_xlabel("uur")
    bar = figure.colorbar(image, ax=axes, label="gesprekken")
    bar.solids.set_rasterized(False)  # its gradient as vectors too (no data: image)
