"""The HTML dashboard: board order, one chart per row, escaped user text, no CDN."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pandas as pd
import pytest

from qualitas.reports import board_order, dashboard_html, write_dashboard
from qualitas.spc import xmr

STEADY = [10, 11, 10, 12, 11, 10, 11, 12, 11, 10, 11, 12, 11, 10, 11, 12]
FALLING = [10, 11, 10, 12, 11, 10, 11, 12, 11, 10, 11, 5, 5, 5, 5, 5]


def frame(series: dict[str, list[float]]) -> pd.DataFrame:
    months = pd.date_range("2023-01-01", periods=16, freq="MS")
    return pd.concat(
        [
            pd.DataFrame({"unit": name, "month": months, "value": values})
            for name, values in series.items()
        ],
        ignore_index=True,
    )


@pytest.fixture
def five_kinds():
    """calm: common cause, meets target; worry: concern, hit and miss; miss: common
    cause, consistently fails; both: concern and fails; chance: hit and miss."""
    data = frame(
        {
            "a calm": STEADY,
            "b worry": FALLING,
            "c miss": STEADY,
            "d both": FALLING,
            "e chance": STEADY,
        }
    )
    targets = {
        "a calm": 5.0,
        "b worry": 9.0,
        "c miss": 20.0,
        "d both": 20.0,
        "e chance": 11.0,
    }
    return xmr(data, value="value", period="month", by="unit", target=targets)


def row_names(html: str) -> list[str]:
    return re.findall(r'<button type="button" class="open"[^>]*>([^<]*)</button>', html)


def test_concerns_and_failing_targets_come_first(five_kinds):
    icons = five_kinds.icons.set_index("unit")
    assert icons.loc["b worry", "variation"] == "concern_low"
    assert icons.loc["b worry", "assurance"] == "hit_and_miss"
    assert icons.loc["d both", "assurance"] == "fail"
    assert icons.loc["a calm", "assurance"] == "pass"
    assert row_names(dashboard_html(five_kinds, title="Wards")) == [
        "d both",
        "b worry",
        "c miss",
        "e chance",
        "a calm",
    ]


def test_board_order_ranks_and_keeps_ties_in_series_order():
    icons = pd.DataFrame(
        {
            "unit": list("ABCDEF"),
            "variation": [
                "improvement_high",
                "concern_high",
                "common_cause",
                "concern_low",
                "neutral_low",
                "common_cause",
            ],
            "assurance": [None, "pass", "fail", "fail", None, "hit_and_miss"],
        }
    )
    ordered = board_order(icons)
    assert ordered["unit"].tolist() == ["D", "B", "C", "F", "A", "E"]
    assert ordered["priority"].tolist() == [0, 1, 2, 3, 4, 4]


def test_user_text_is_escaped(tmp_path):
    data = frame({"<script>alert('x')</script>": STEADY, 'Ward & Co "A"': STEADY})
    result = xmr(data, value="value", period="month", by="unit")
    html = dashboard_html(
        result, title="<b>Board</b>", description="<img src=x onerror=alert(1)>"
    )
    assert "<script>alert" not in html
    assert "<b>Board</b>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "Ward &amp; Co &quot;A&quot;" in html
    # The embedded specs still carry the real names, safely encoded for a script element.
    specs = re.findall(
        r'<script type="application/json" id="spec-\d+">(.*?)</script>', html, re.S
    )
    titles = sorted(json.loads(s)["title"]["text"] for s in specs)
    assert titles == sorted(["<script>alert('x')</script>", 'Ward & Co "A"'])


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(f"{tag} {name}={value}")


def test_every_row_opens_its_own_chart_and_nothing_is_fetched(five_kinds):
    html = dashboard_html(five_kinds, title="Wards", names={"a calm": "Calm ward"})
    rows = re.findall(
        r'<tr class="series-row[^"]*" id="s(\d+)">.*?aria-controls="chart-(\d+)"', html
    )
    assert len(rows) == 5
    assert all(a == b for a, b in rows)
    for i in range(5):
        assert f'<tr class="chart-row" id="chart-{i}" hidden>' in html
        assert f'data-spec="spec-{i}"' in html
        assert f'id="spec-{i}"' in html
    assert "Calm ward" in html
    tags = _Tags()
    tags.feed(html)
    assert tags.external == []


def test_max_charts_limits_the_charts_but_not_the_table(five_kinds):
    html = dashboard_html(five_kinds, title="Wards", max_charts=2)
    assert html.count('<tr class="series-row') == 5
    assert html.count('type="application/json"') == 2
    assert "Charts are included for the first 2 of 5 series" in html


def test_write_dashboard_creates_the_folder(five_kinds, tmp_path):
    path = write_dashboard(five_kinds, tmp_path / "new" / "folder", title="Wards")
    assert path == tmp_path / "new" / "folder" / "index.html"
    assert path.read_text().startswith("<!doctype html>")


def _chromium() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


@pytest.mark.browser
def test_a_row_opened_by_its_link_draws_its_chart_offline(five_kinds, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is needed for this test in CI (.ci/run installs it)")
        pytest.skip("Chromium is not installed")
    path = write_dashboard(five_kinds, tmp_path, title="Wards")
    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            "--virtual-time-budget=10000",
            f"{path.as_uri()}#s1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    drawn = re.findall(
        r'<div class="chart[^"]*" data-spec="(spec-\d+)" data-drawn="1">', dom
    )
    assert drawn == ["spec-1"]
    # vega-embed drew the chart as SVG, with its title and the points' colours.
    chart = dom[dom.index('data-spec="spec-1" data-drawn="1"') :]
    assert "<svg" in chart[:20000]
    assert "b worry" in chart[:20000]
