"""A self-contained HTML dashboard of many series: the board's icon summary table.

One row per series (latest period and value, target, mean, process limits, variation
and assurance icons), the series that need attention first, and each row opening its
XmR chart in place. Everything the page needs, the chart library included, is inside
the file, so it can be emailed, put on a shared drive or opened on a trust network that
blocks CDNs. Every piece of user text is escaped.

>>> import pandas as pd
>>> from qualitas.spc import xmr
>>> data = pd.DataFrame({"ward": ["A"] * 15 + ["B"] * 15,
...                      "month": list(pd.date_range("2024-01-01", periods=15, freq="MS")) * 2,
...                      "falls": [3, 4, 3, 5, 4, 3, 4, 5, 4, 3, 4, 5, 4, 3, 4] * 2})
>>> html = dashboard_html(xmr(data, value="falls", period="month", by="ward"), title="Falls")
>>> html.count('<tr class="series-row')
2
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qualitas.charts import icons as icon_svg
from qualitas.charts import words
from qualitas.charts.common import default_format, series_label
from qualitas.charts.render import EMBED_SCRIPT, javascript_bundle, json_for_script
from qualitas.charts.xmr import series_keys, series_starts, xmr_charts
from qualitas.spc import ChartResult

# Board order: what needs attention first. A series showing special cause concern that
# will also consistently miss its target comes first, then other concerns, then series
# that will consistently fail their target, then those that hit and miss it, then the
# rest (common cause, neutral or improving and not failing). Ties keep the series order.
PRIORITY = {
    "concern_fail": 0,
    "concern": 1,
    "fail": 2,
    "hit_and_miss": 3,
    "other": 4,
}
PRIORITY_TEXT = {
    0: "Special cause concern and consistently missing the target",
    1: "Special cause concern",
    2: "Consistently missing the target",
    3: "Hit and miss against the target",
    4: "No concern",
}


def board_order(icons: pd.DataFrame) -> pd.DataFrame:
    """``icons`` (one row per series, as the engine returns it) sorted for a board:
    concerns and failing targets first, with a ``priority`` column (0 = most urgent).

    >>> icons = pd.DataFrame({"ward": ["A", "B", "C"],
    ...     "variation": ["common_cause", "concern_low", "common_cause"],
    ...     "assurance": ["pass", "hit_and_miss", "fail"]})
    >>> board_order(icons)["ward"].tolist()
    ['B', 'C', 'A']
    """
    variation = icons["variation"].astype(str).to_numpy()
    assurance = (
        icons["assurance"]
        .astype(object)
        .where(icons["assurance"].notna(), "")
        .astype(str)
        .to_numpy()
    )
    concern = np.char.startswith(variation.astype(str), "concern")
    fail = assurance == "fail"
    priority = np.select(
        [concern & fail, concern, fail, assurance == "hit_and_miss"],
        [
            PRIORITY["concern_fail"],
            PRIORITY["concern"],
            PRIORITY["fail"],
            PRIORITY["hit_and_miss"],
        ],
        default=PRIORITY["other"],
    )
    out = icons.assign(priority=priority, _position=np.arange(len(icons)))
    out = out.sort_values(["priority", "_position"], kind="stable").drop(
        columns="_position"
    )
    return out


def dashboard_html(
    result: ChartResult,
    *,
    title: str,
    names: Mapping[Hashable, str] | None = None,
    value_format: str | None = None,
    y_title: str = "Value",
    description: str | None = None,
    max_charts: int | None = 2000,
    generated: dt.datetime | None = None,
    chart_options: Mapping[str, Any] | None = None,
) -> str:
    """The dashboard page for every series of ``result``, as one HTML document.

    ``names`` maps series keys to the names readers know (default: the keys).
    ``value_format`` formats values in the table and charts (e.g. ``".1%"``; default
    chosen per series). Only the first ``max_charts`` rows in board order carry a chart,
    which keeps pages for thousands of series to a sensible size; the table lists all.
    """
    names = dict(names or {})
    keys = series_keys(result)
    ordered = board_order(result.icon_table.reset_index(drop=True))
    positions = ordered.index.to_numpy()
    limit = len(positions) if max_charts is None else min(max_charts, len(positions))
    charted = [keys[i] for i in positions[:limit]]
    starts = series_starts(result)
    formats = _formats(result, starts, value_format)
    options: dict[str, Any] = {"y_title": y_title, **(chart_options or {})}
    if value_format:
        options["value_format"] = value_format
    specs = xmr_charts(
        result, charted, titles={k: _name(k, names) for k in charted}, **options
    )

    rows_html = []
    scripts = []
    for rank, position in enumerate(positions):
        key = keys[position]
        row = ordered.loc[position]
        spec_id = f"spec-{rank}" if key in specs else None
        if spec_id:
            scripts.append(
                f'<script type="application/json" id="{spec_id}">{json_for_script(specs[key])}</script>'
            )
        rows_html.append(_row(rank, _name(key, names), row, formats[position], spec_id))

    counts = ordered["priority"].value_counts().to_dict()
    n_concern = int(counts.get(0, 0) + counts.get(1, 0))
    n_fail = int((ordered["assurance"].astype(object) == "fail").sum())
    when = (generated or dt.datetime.now()).strftime("%d %B %Y, %H:%M")
    lead = (
        f"{len(ordered)} series. {n_concern} show special cause concern; "
        f"{n_fail} will consistently miss their target unless something changes."
    )
    note = ""
    if limit < len(positions):
        note = f'<p class="note">Charts are included for the first {limit} of {len(positions)} series in this order.</p>'
    return _PAGE.format(
        title=escape(title),
        description=f"<p>{escape(description)}</p>" if description else "",
        lead=escape(lead),
        generated=escape(when),
        note=note,
        key=_icon_key(),
        rows="\n".join(rows_html),
        specs="\n".join(scripts),
        bundle=javascript_bundle(),
        embed=EMBED_SCRIPT,
        css=_CSS,
        script=_SCRIPT,
    )


def write_dashboard(
    result: ChartResult, out_dir: str | Path, *, title: str, **options: Any
) -> Path:
    """Write the dashboard to ``out_dir/index.html`` (creating the folder) and return
    the file's path. Options are those of :func:`dashboard_html`."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    path.write_text(dashboard_html(result, title=title, **options), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------


def _name(key: Hashable, names: Mapping[Hashable, str]) -> str:
    return str(names.get(key, series_label(key)))


def _formats(
    result: ChartResult, starts: np.ndarray, value_format: str | None
) -> list[str]:
    if value_format:
        return [value_format] * len(result.icon_table)
    values = result.points["value"].to_numpy(dtype=np.float64)
    out = []
    for i in range(len(starts) - 1):
        out.append(default_format(values[starts[i] : starts[i + 1]]))
    return out


def _period_text(period: Any) -> str:
    if isinstance(period, pd.Timestamp | dt.datetime | np.datetime64):
        stamp = pd.Timestamp(period)
        return stamp.strftime("%b %Y") if stamp.day == 1 else stamp.strftime("%d %b %Y")
    return str(period)


def _row(
    rank: int, name: str, row: pd.Series, value_format: str, spec_id: str | None
) -> str:
    fmt: Callable[[Any], str] = lambda v: escape(words.format_value(v, value_format))  # noqa: E731
    variation = str(row["variation"])
    assurance = None if pd.isna(row["assurance"]) else str(row["assurance"])
    direction = str(row["direction"])
    variation_cell = (
        icon_svg.variation_icon(variation, 36)
        + f'<span class="visually-hidden">{escape(words.variation_text(variation))}</span>'
    )
    if assurance is None:
        assurance_cell = f'<span class="none" title="{escape(words.assurance_text(None, direction))}">–</span>'
    else:
        assurance_cell = (
            icon_svg.assurance_icon(assurance, 36)
            + f'<span class="visually-hidden">{escape(words.assurance_text(assurance, direction))}</span>'
        )
    if spec_id:
        label = (
            f'<button type="button" class="open" aria-expanded="false" aria-controls="chart-{rank}" '
            f'data-target="chart-{rank}">{escape(name)}</button>'
        )
    else:
        label = escape(name)
    cells = [
        f'<th scope="row"><a class="anchor" href="#s{rank}" aria-label="Link to this row">#</a>{label}</th>',
        f"<td>{escape(_period_text(row['period']))}</td>",
        f'<td class="num">{fmt(row["value"])}</td>',
        f'<td class="num">{fmt(row["target"])}</td>',
        f'<td class="num">{fmt(row["cl"])}</td>',
        f'<td class="num">{fmt(row["lcl"])}</td>',
        f'<td class="num">{fmt(row["ucl"])}</td>',
        f'<td class="icon">{variation_cell}</td>',
        f'<td class="icon">{assurance_cell}</td>',
    ]
    html = f'<tr class="series-row priority-{int(row["priority"])}" id="s{rank}">{"".join(cells)}</tr>'
    if spec_id:
        html += (
            f'\n<tr class="chart-row" id="chart-{rank}" hidden><td colspan="9">'
            f'<div class="chart" data-spec="{spec_id}"></div></td></tr>'
        )
    return html


def _icon_key() -> str:
    items = []
    for name in words.VARIATION_TEXT:
        items.append(
            f"<li>{icon_svg.variation_icon(name, 32)}<span>{escape(words.VARIATION_TEXT[name])}</span></li>"
        )
    for name in words.ASSURANCE_TEXT:
        items.append(
            f"<li>{icon_svg.assurance_icon(name, 32)}<span>{escape(words.ASSURANCE_TEXT[name])}</span></li>"
        )
    return '<ul class="key">' + "".join(items) + "</ul>"


_CSS = """
:root { --text: #212b32; --secondary: #4c6272; --border: #d8dde0; --blue: #005eb8; --grey-bg: #f0f4f5; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; color: var(--text); margin: 0; background: #ffffff; }
header { background: var(--blue); color: #ffffff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 28px; }
header p { margin: 4px 0; }
main { padding: 16px 32px 48px; }
.lead { font-size: 19px; margin: 16px 0 8px; }
.generated, .note { color: var(--secondary); font-size: 14px; }
details.icon-key { margin: 12px 0 20px; }
details.icon-key summary { cursor: pointer; color: var(--blue); font-weight: bold; }
.key { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 8px 24px; }
.key li { display: flex; gap: 10px; align-items: center; font-size: 14px; }
.key svg { flex: none; }
table { border-collapse: collapse; width: 100%; font-size: 15px; }
thead th { text-align: left; border-bottom: 2px solid var(--text); padding: 8px; position: sticky; top: 0; background: #ffffff; }
tbody th, tbody td { border-bottom: 1px solid var(--border); padding: 6px 8px; vertical-align: middle; }
tbody th { text-align: left; font-weight: normal; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.icon { text-align: center; width: 56px; }
td.icon svg { display: block; margin: auto; }
.none { color: var(--secondary); }
.priority-0 th, .priority-1 th { border-left: 5px solid #e46c0a; }
.priority-2 th { border-left: 5px solid #f0a868; }
button.open { background: none; border: 0; padding: 0; color: var(--blue); text-decoration: underline; font: inherit; cursor: pointer; text-align: left; }
button.open[aria-expanded="true"] { font-weight: bold; }
button.open:focus, a.anchor:focus { outline: 3px solid #ffeb3b; box-shadow: 0 4px 0 #212b32; }
a.anchor { color: var(--border); text-decoration: none; margin-right: 6px; font-size: 12px; }
tr.chart-row td { background: var(--grey-bg); padding: 16px; }
tr.series-row { scroll-margin-top: 64px; }
.chart { background: #ffffff; padding: 12px; display: inline-block; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
"""

_SCRIPT = """
function qualitasToggle(button, open) {
  var row = document.getElementById(button.dataset.target);
  var show = open === undefined ? row.hidden : open;
  row.hidden = !show;
  button.setAttribute("aria-expanded", show ? "true" : "false");
  if (show) qualitasDraw(row.querySelector(".chart"));
}
document.querySelectorAll("button.open").forEach(function (button) {
  button.addEventListener("click", function () { qualitasToggle(button); });
});
function qualitasFromHash() {
  var row = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  var button = row ? row.querySelector("button.open") : null;
  if (button) { qualitasToggle(button, true); row.scrollIntoView(); }
}
window.addEventListener("hashchange", qualitasFromHash);
qualitasFromHash();
"""

_PAGE = """<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
<script>{bundle}</script>
<script>{embed}</script>
</head>
<body>
<header>
<h1>{title}</h1>
{description}
</header>
<main>
<p class="lead">{lead}</p>
<p class="generated">Made by qualitas on {generated}. Select a series to see its chart. Series needing attention come first.</p>
{note}
<details class="icon-key"><summary>What the icons mean</summary>{key}</details>
<noscript><p>The charts need JavaScript; the table works without it.</p></noscript>
<table>
<thead><tr><th scope="col">Series</th><th scope="col">Latest period</th><th scope="col" class="num">Latest value</th><th scope="col" class="num">Target</th><th scope="col" class="num">Mean</th><th scope="col" class="num">Lower limit</th><th scope="col" class="num">Upper limit</th><th scope="col">Variation</th><th scope="col">Assurance</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
{specs}
</main>
<script>{script}</script>
</body>
</html>
"""
