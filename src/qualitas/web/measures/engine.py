"""The web's one way into the SPC engine: every measure drawn with its own chart type.

Series are grouped by chart type and each group goes to :func:`qualitas.spc.chart` in
ONE call (all XmR measures together, all p charts together, ...), so a report of 200
measures makes at most one engine call per chart type. The results come back as one
table of points and one row per series, in the engine's one schema (``cl``, ``lcl``,
``ucl``, ``phase``...), with what the web adds:

- ratio charts (p, p′, u, u′) are computed on the data's scale and multiplied per
  measure afterwards, so measures with different multipliers share a call;
- g and t charts are drawn from dated events: the value of each point is the number
  of days since the event before (same-day events give gaps of 0 on a g chart; a t
  chart, which needs times above zero, counts each day with events once), and better
  is the opposite way to the measure's (fewer events means longer gaps);
- limits are kept within what the measure can take (no negative counts, proportions
  within 0 to 100%), and a target at that natural bound which the whole process sits
  on (no events every month, against a target of none) is met, not "hit and miss";
- run charts carry no Making Data Count icons; their signal is said in words (an
  unusually long run, or too few crossings of the median).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qualitas.errors import QualitasWarning
from qualitas.io import validation
from qualitas.spc import chart
from qualitas.spc.chart import ChartResult
from qualitas.web.measures.models import Measure

RATIO_CHARTS = ("p", "pp", "u", "up")
EVENT_CHARTS = ("g", "t")
# Columns of every chart type's points, as the web reads them.
POINT_COLUMNS = [
    "period",
    "value",
    "cl",
    "lcl",
    "ucl",
    "target",
    "phase",
    "special_cause",
    "point_type",
    "trial_limits",
    # What the run, attribute and rare-event charts draw besides (qualitas.charts.spc)
    "sigma_signal",
    "include",
    "runs_signal",
    "denominator",
    "total",
]
# Defaults for a column a chart type's result does not have.
POINT_DEFAULTS: dict[str, Any] = {
    "special_cause": "none",
    # A run chart's points carry no Making Data Count colour.
    "point_type": "common_cause",
    "trial_limits": False,
    "sigma_signal": False,
    "include": True,
    "runs_signal": False,
}
ICON_COLUMNS = [
    "period",
    "value",
    "cl",
    "lcl",
    "ucl",
    "target",
    "direction",
    "variation",
    "assurance",
]
LIMIT_COLUMNS = ("cl", "lcl", "ucl", "lcl_95", "ucl_95")
OPPOSITE = {"increase": "decrease", "decrease": "increase", "neutral": "neutral"}


@dataclass
class Charts:
    """Every series' chart. ``points``: one row per series and period; ``icons``:
    one row per series (the latest point), with ``chart`` (the measure's chart type)
    and ``signal`` (a run chart's signal in words, else ""). Both are on each
    measure's displayed scale and within its bounds. :meth:`result_for` gives one
    series' engine result the same way, for drawing."""

    by: str
    points: pd.DataFrame
    icons: pd.DataFrame
    # Each chart type's engine result as the engine gave it (ratio charts on the
    # data's scale, limits unclipped): scaled and clipped one series at a time.
    results: dict[str, ChartResult] = field(default_factory=dict)
    chart_of: dict[Hashable, str] = field(default_factory=dict)
    # Keyed by series key (a measure id or a breakdown's group). Any rather than
    # Hashable: a Mapping's key type is invariant, so callers' dict[int, ...] must fit.
    measures: Mapping[Any, Measure] = field(default_factory=dict)

    def result_for(self, key: Hashable) -> ChartResult:
        """The engine result holding one series, with that series alone."""
        result = self.results[self.chart_of[key]]
        by = self.by
        pick = (result.points[by] == key).to_numpy()
        icons = result.icons
        summary = result.summary
        one = ChartResult(
            chart=result.chart,
            points=result.points[pick].reset_index(drop=True),
            summary=summary[(summary[by] == key).to_numpy()].reset_index(drop=True),
            icons=None
            if icons is None
            else icons[(icons[by] == key).to_numpy()].reset_index(drop=True),
            warnings=result.warnings,
        )
        measure = self.measures[key]
        if result.chart in RATIO_CHARTS:
            one = _scaled(one, by, {key: measure.multiplier})
        return _natural(one, by, {key: measure})


def engine_chart(chart_type: str) -> str:
    """The engine's name of a measure's chart type (they are the same)."""
    return chart_type


def bounds(measure: Measure) -> tuple[float, float]:
    """The lowest and highest values the measure can take, on its displayed scale."""
    if measure.chart_type in EVENT_CHARTS:
        return 0.0, np.inf
    kind = measure.rules.kind
    if kind == validation.PROPORTION:
        return 0.0, float(measure.multiplier)
    if kind in (validation.RATE, validation.COUNT, validation.AMOUNT):
        return 0.0, np.inf
    return -np.inf, np.inf


def run_charts(
    frame: pd.DataFrame,
    *,
    by: str,
    measures: Mapping[Any, Measure],
    target: Mapping[Any, float] | None = None,
    part: Mapping[Any, list[pd.Timestamp]] | None = None,
) -> Charts | None:
    """Every series of ``frame`` (``by``, period, value, and numerator and
    denominator for ratio measures) on its measure's chart: ``measures`` maps each
    series key to its measure (a breakdown's groups share one). ``target`` and
    ``part`` (rebases) are per series key. None when there are no values."""
    frame = frame.dropna(subset=["value"])
    if frame.empty:
        return None
    target = dict(target or {})
    part = dict(part or {})
    unique, where = np.unique(frame[by].to_numpy(), return_inverse=True)
    keys = unique.tolist()
    chart_of = {k: measures[k].chart_type for k in keys}
    kind = np.array([chart_of[k] for k in keys])[where]
    results: dict[str, ChartResult] = {}
    point_tables, icon_tables = [], []
    for chart_type in sorted(set(chart_of.values())):
        rows = frame[kind == chart_type]
        present = [k for k in keys if chart_of[k] == chart_type]
        result = _one_call(
            chart_type,
            rows,
            by=by,
            measures={k: measures[k] for k in present},
            target={k: v for k, v in target.items() if k in present},
            part={k: v for k, v in part.items() if k in present and v},
        )
        if result is None:
            continue
        results[chart_type] = result
        point_tables.append(_uniform_points(result, by, chart_type, measures))
        icon_tables.append(_uniform_icons(result, by, chart_type, measures))
    if not point_tables:
        return None
    points = pd.concat(point_tables, ignore_index=True)
    icons = pd.concat(icon_tables, ignore_index=True)
    if len(point_tables) > 1:
        points = points.sort_values([by, "period"], kind="stable", ignore_index=True)
        icons = icons.sort_values(by, kind="stable", ignore_index=True)
    return Charts(
        by=by,
        points=points,
        icons=icons,
        results=results,
        chart_of=chart_of,
        measures=measures,
    )


def _one_call(
    chart_type: str,
    rows: pd.DataFrame,
    *,
    by: str,
    measures: Mapping[Any, Measure],
    target: dict[Hashable, float],
    part: dict[Hashable, list[pd.Timestamp]],
) -> ChartResult | None:
    direction = {k: m.direction for k, m in measures.items()}
    options: dict[str, Any] = {
        "value": "value",
        "period": "period",
        "by": by,
        "rules": "mdc",
        "direction": direction,
        "target": target or None,
        "part": part or None,
        # A stored infinity (from an old overflow) is left off the chart rather
        # than stopping the page; a series too short for limits is left out.
        "infinite": "missing",
        "skip_short": True,
    }
    data = rows
    if chart_type == "run":
        options["rules"] = "anhoej"
        options.pop("direction")
        options.pop("target")
    elif chart_type in RATIO_CHARTS:
        data = rows.dropna(subset=["numerator", "denominator"])
        data = data[data["denominator"] > 0]
        options.update(value="numerator", denominator="denominator")
        # The engine judges the target against limits on the data's scale; the
        # display scale (× the measure's multiplier) is applied afterwards.
        options["target"] = {
            k: v / measures[k].multiplier for k, v in target.items()
        } or None
    elif chart_type in EVENT_CHARTS:
        data = event_gaps(rows, by=by, distinct_days=chart_type == "t")
        # Longer gaps between events are better when fewer events are.
        options["direction"] = {k: OPPOSITE[d] for k, d in direction.items()}
        # A target in events a month does not translate into days between events.
        options["target"] = None
        present = set(data[by].unique().tolist())
        options["part"] = {k: v for k, v in part.items() if k in present} or None
        options["direction"] = {
            k: d for k, d in options["direction"].items() if k in present
        }
    if data.empty:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QualitasWarning)
        result = chart(data, chart=engine_chart(chart_type), **options)
    if result.points.empty:
        return None
    return result


def event_gaps(
    rows: pd.DataFrame, *, by: str, distinct_days: bool = False
) -> pd.DataFrame:
    """Days between dated events, one row per event after each series' first: the
    value is the number of days since the event before. A day's value is its number
    of events (more than one gives gaps of 0), unless ``distinct_days``."""
    rows = rows[rows["value"] > 0].sort_values([by, "period"], kind="stable")
    counts = (
        np.ones(len(rows), dtype=np.int64)
        if distinct_days
        else rows["value"].round().to_numpy().astype(np.int64)
    )
    key = np.repeat(rows[by].to_numpy(), counts)
    period = np.repeat(rows["period"].to_numpy(dtype="datetime64[ns]"), counts)
    n = len(key)
    if n == 0:
        return pd.DataFrame({by: key, "period": period, "value": np.zeros(0)})
    first = np.r_[True, key[1:] != key[:-1]]
    day = period.astype("datetime64[D]")
    gap = np.r_[0, np.diff(day).astype(np.int64)].astype(float)
    # Same-day events share a period: the engine reads repeated periods as
    # subgroups, so each event keeps its own period (a second later).
    same = np.r_[False, ~first[1:] & (period[1:] == period[:-1])]
    position = np.arange(n)
    group_start = np.maximum.accumulate(np.where(same, 0, position))
    period = period + (position - group_start).astype("timedelta64[s]")
    keep = ~first
    return pd.DataFrame({by: key[keep], "period": period[keep], "value": gap[keep]})


def _scaled(
    result: ChartResult, by: str, multiplier: Mapping[Any, float]
) -> ChartResult:
    points = result.points.copy()
    factor = points[by].map(multiplier).to_numpy(dtype=float)
    for c in ("value", "target", *LIMIT_COLUMNS):
        if c in points:
            points[c] = points[c].to_numpy(dtype=float) * factor
    summary = result.summary.copy()
    factor_s = summary[by].map(multiplier).to_numpy(dtype=float)
    for c in LIMIT_COLUMNS:
        if c in summary:
            summary[c] = summary[c].to_numpy(dtype=float) * factor_s
    icons = result.icons
    if icons is not None:
        icons = icons.copy()
        factor_i = icons[by].map(multiplier).to_numpy(dtype=float)
        for c in ("value", "target", *LIMIT_COLUMNS):
            if c in icons:
                icons[c] = icons[c].to_numpy(dtype=float) * factor_i
    return ChartResult(result.chart, points, summary, icons, result.warnings)


def _natural(
    result: ChartResult, by: str, measures: Mapping[Any, Measure]
) -> ChartResult:
    """Limits clipped to what each measure can take, and assurance against a target
    at that bound judged as described in the module's docstring."""
    lo_of = {k: bounds(m)[0] for k, m in measures.items()}
    hi_of = {k: bounds(m)[1] for k, m in measures.items()}

    def clip(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        lo = table[by].map(lo_of).to_numpy(dtype=float)
        hi = table[by].map(hi_of).to_numpy(dtype=float)
        for c in LIMIT_COLUMNS:
            if c in table:
                table[c] = np.clip(table[c].to_numpy(dtype=float), lo, hi)
        return table

    points, summary = clip(result.points), clip(result.summary)
    icons = result.icons
    if icons is not None:
        icons = clip(icons)
        lo = icons[by].map(lo_of).to_numpy(dtype=float)
        hi = icons[by].map(hi_of).to_numpy(dtype=float)
        t = icons["target"].to_numpy(dtype=float)
        d = icons["direction"].astype(str).to_numpy()
        with np.errstate(invalid="ignore"):
            on_floor = (d == "decrease") & (t == lo) & (icons["ucl"] <= lo)
            on_ceiling = (d == "increase") & (t == hi) & (icons["lcl"] >= hi)
        met = (on_floor | on_ceiling).to_numpy()
        if met.any():
            assurance = icons["assurance"].astype(object).to_numpy()
            assurance[met] = "pass"
            icons["assurance"] = pd.Series(assurance, index=icons.index).where(
                pd.notna(assurance), np.nan
            )
    return ChartResult(result.chart, points, summary, icons, result.warnings)


def _per_row(keys: np.ndarray, of: Mapping[Any, float]) -> np.ndarray:
    """``of[key]`` for each row's key, without a Python call per row."""
    unique, where = np.unique(keys, return_inverse=True)
    return np.array([of[k] for k in unique.tolist()], dtype=float)[where]


def _scale_and_bounds(
    keys: np.ndarray, chart_type: str, measures: Mapping[Any, Measure]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's display multiplier (ratio charts) and the measure's bounds."""
    ratio = chart_type in RATIO_CHARTS
    unique, where = np.unique(keys, return_inverse=True)
    table = np.array(
        [
            (measures[k].multiplier if ratio else 1.0, *bounds(measures[k]))
            for k in unique.tolist()
        ],
        dtype=float,
    ).reshape(-1, 3)[where]
    return table[:, 0], table[:, 1], table[:, 2]


def _uniform_points(
    result: ChartResult,
    by: str,
    chart_type: str,
    measures: Mapping[Any, Measure],
) -> pd.DataFrame:
    """The points of every chart type in one set of columns, scaled and clipped."""
    p = result.points
    n = len(p)
    keys = p[by].to_numpy()
    scale, lo, hi = _scale_and_bounds(keys, chart_type, measures)
    out: dict[str, Any] = {by: keys}
    for c in POINT_COLUMNS:
        if c in p:
            out[c] = p[c].to_numpy()
        elif c == "total":
            out[c] = p["value"].to_numpy()
        elif c in POINT_DEFAULTS:
            out[c] = np.full(n, POINT_DEFAULTS[c])
        else:
            out[c] = np.full(n, np.nan)
    for c in ("value", "target", "cl", "lcl", "ucl"):
        out[c] = out[c].astype(float) * scale
    for c in ("lcl", "ucl"):
        out[c] = np.clip(out[c], lo, hi)
    for c in ("special_cause", "point_type"):
        out[c] = out[c].astype(str)
    out["chart"] = np.full(n, chart_type)
    return pd.DataFrame(out)


def _uniform_icons(
    result: ChartResult,
    by: str,
    chart_type: str,
    measures: Mapping[Any, Measure],
) -> pd.DataFrame:
    """One row per series: its latest point, icons (or a run chart's signal in
    words), on the displayed scale with limits clipped and assurance at a bound
    judged as the module's docstring says."""
    if result.icons is not None:
        icons = result.icons
        out: dict[str, Any] = {by: icons[by].to_numpy()}
        for c in ICON_COLUMNS:
            out[c] = icons[c].to_numpy()
        out["variation"] = out["variation"].astype(str)
        out["signal"] = np.full(len(icons), "")
    else:
        # A run chart: its latest point, and its runs analysis in words.
        p = result.points
        keys = p[by].to_numpy()
        last = np.r_[keys[1:] != keys[:-1], True]
        out = {by: keys[last]}
        for c in ("period", "value", "cl", "lcl", "ucl", "target"):
            out[c] = p[c].to_numpy()[last]
        out["direction"] = np.full(int(last.sum()), "")
        out["variation"] = np.full(int(last.sum()), "")
        out["assurance"] = np.full(int(last.sum()), np.nan, dtype=object)
        summary = result.summary
        latest_phase = np.r_[
            summary[by].to_numpy()[1:] != summary[by].to_numpy()[:-1], True
        ]
        phases = dict(
            zip(
                summary[by].to_numpy()[latest_phase].tolist(),
                summary[latest_phase].to_dict("records"),
                strict=True,
            )
        )
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        value = p["value"].to_numpy(dtype=float)
        cl = p["cl"].to_numpy(dtype=float)
        out["signal"] = [
            run_signal(phases[keys[a]], value[a:b], cl[a:b])
            for a, b in zip(starts, np.r_[starts[1:], len(keys)], strict=True)
        ]
    scale, lo, hi = _scale_and_bounds(out[by], chart_type, measures)
    for c in ("value", "target", "cl", "lcl", "ucl"):
        out[c] = out[c].astype(float) * scale
    for c in ("lcl", "ucl"):
        out[c] = np.clip(out[c], lo, hi)
    if result.icons is not None:
        t, d = out["target"], out["direction"].astype(str)
        with np.errstate(invalid="ignore"):
            met = ((d == "decrease") & (t == lo) & (out["ucl"] <= lo)) | (
                (d == "increase") & (t == hi) & (out["lcl"] >= hi)
            )
        if met.any():
            assurance = out["assurance"].astype(object)
            assurance[met] = "pass"
            out["assurance"] = assurance
    out["chart"] = np.full(len(out[by]), chart_type)
    return pd.DataFrame(out)


def run_signal(phase: Mapping[str, Any], value: np.ndarray, cl: np.ndarray) -> str:
    """What the runs analysis of a run chart's latest phase says, in plain words
    (``value`` and ``cl``: the series' points and median).

    >>> phase = {"longest_run": 9, "longest_run_max": 8, "n_crossings": 5,
    ...          "n_crossings_min": 6}
    >>> run_signal(phase, np.array([5.0] * 9 + [3.0]), np.full(10, 4.0))
    'A run of 9 points above the median: a signal of change. Too few crossings of the median (5; fewer than 6 happens by chance only rarely): a signal of change.'
    """
    if pd.isna(phase.get("longest_run")):
        return "Too few points yet to look for a signal of change."
    run, run_max = int(phase["longest_run"]), int(phase["longest_run_max"])
    crossings, least = int(phase["n_crossings"]), int(phase["n_crossings_min"])
    said = []
    if run > run_max:
        said.append(
            f"A run of {run} points {_side_of_longest_run(value, cl)} the median: a "
            "signal of change."
        )
    if crossings < least:
        said.append(
            f"Too few crossings of the median ({crossings}; fewer than {least} "
            "happens by chance only rarely): a signal of change."
        )
    if not said:
        return (
            "No signal of change: the points vary around the median as chance "
            f"would have them (longest run {run}, {crossings} crossings)."
        )
    return " ".join(said)


def _side_of_longest_run(value: np.ndarray, cl: np.ndarray) -> str:
    """Whether the longest run of points off the median is above or below it."""
    side = np.sign(value - cl)
    side = side[side != 0]  # points on the median neither break nor extend a run
    if not len(side):
        return "on one side of"
    starts = np.flatnonzero(np.r_[True, side[1:] != side[:-1]])
    lengths = np.diff(np.r_[starts, len(side)])
    return "above" if side[starts[np.argmax(lengths)]] > 0 else "below"
