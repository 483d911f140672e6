"""`qualitas dashboard` and `qualitas demo` write the dashboard and say where it is."""

from __future__ import annotations

import re


def test_dashboard_command(run, wards_csv, tmp_path):
    result = run(
        "dashboard",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--target",
        8,
        "--name-column",
        "ward",
        "--title",
        "Falls",
        "--out",
        tmp_path / "dash",
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "dash" / "index.html").read_text()
    names = re.findall(r'class="open"[^>]*>([^<]*)</button>', html)
    assert names == ["B (B)", "A (A)"]  # B shows special cause concern
    assert "Dashboard of 2 series written to" in result.output


def test_dashboard_command_reports_bad_input(run, wards_csv, tmp_path):
    result = run(
        "dashboard",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--name-column",
        "name",
        "--by",
        "ward",
        "--out",
        tmp_path,
    )
    assert result.exit_code == 1
    assert "name column 'name' not found" in result.output


def test_demo_writes_the_ae_dashboard_for_every_trust(run, tmp_path):
    result = run("demo", "--out", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    page = tmp_path / "demo" / "index.html"
    assert str(page.resolve()) in result.output.replace("\n", "")
    html = page.read_text()
    assert html.count('<tr class="series-row') == 140
    assert "Barts Health NHS Trust (R1H)" in html
    assert "95.0%" in html
