"""Reports built from engine results: the HTML dashboard now, board packs later."""

from qualitas.reports.dashboard import board_order, dashboard_html, write_dashboard

__all__ = ["board_order", "dashboard_html", "write_dashboard"]
