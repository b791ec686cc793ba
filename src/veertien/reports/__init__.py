"""Reports over call records: named queries (queries.py), their parameters and results
(model.py), charts (charts.py) and CSV/JSON (export.py). The portal shows them."""

from veertien.reports.model import ReportError, ReportParams, ReportResult, ReportTimeout
from veertien.reports.queries import REPORTS, run_report

__all__ = ["REPORTS", "ReportError", "ReportParams", "ReportResult", "ReportTimeout", "run_report"]
