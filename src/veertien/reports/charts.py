"""Charts as SVG, drawn on the server with Matplotlib (no script in the browser, so the portal's
content security policy stays strict). One function: `svg(result)`."""

from __future__ import annotations

import io
import threading
from typing import Any

from veertien.reports.model import Chart, ReportResult

COLOUR = "#154273"
_LOCK = threading.Lock()  # Matplotlib's font cache and text layout are not thread-safe


def svg(result: ReportResult) -> str:
    """The report's chart as an inline <svg> element ("" when it has no chart or no data)."""
    chart = result.chart
    if chart is None or not result.rows:
        return ""
    from matplotlib.figure import Figure  # noqa: PLC0415 (slow import: only when drawing)

    records = result.records()
    with _LOCK:
        figure = Figure(figsize=(9, 3.6 if chart.kind != "heatmap" else 3.2), dpi=96)
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


def _series(axes: Any, records: list[dict[str, Any]], chart: Chart) -> None:
    labels = [str(r[chart.x]) for r in records]
    values = [float(r[chart.y] or 0) for r in records]
    if chart.kind == "line":
        axes.plot(labels, values, color=COLOUR, marker="o", markersize=3)
    else:
        axes.bar(labels, values, color=COLOUR)
    if len(labels) > 12:
        step = max(1, len(labels) // 12)
        axes.set_xticks(range(0, len(labels), step), labels[::step])
    axes.tick_params(axis="x", labelrotation=30 if len(labels) > 4 else 0, labelsize=8)


def _heatmap(figure: Any, axes: Any, records: list[dict[str, Any]], chart: Chart) -> None:
    from veertien.reports.queries import WEEKDAYS  # noqa: PLC0415

    grid = [[0.0] * 24 for _ in WEEKDAYS]
    for r in records:
        grid[WEEKDAYS.index(str(r[chart.y]))][int(r[chart.x])] = float(r[chart.value or "calls"])
    image = axes.imshow(grid, aspect="auto", cmap="Blues")
    axes.set_yticks(range(len(WEEKDAYS)), WEEKDAYS)
    axes.set_xticks(range(0, 24, 2))
    axes.set_xlabel("uur")
    figure.colorbar(image, ax=axes, label="gesprekken")
