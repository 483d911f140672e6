"""Run charts, Shewhart charts and rare-event charts for every series at once.

The twelve chart types of qicharts2 0.8.1 (docs/methods/qicharts.md): ``run``, ``i``,
``mr``, ``xbar``, ``s``, ``p``, ``pp`` (Laney P′), ``u``, ``up`` (Laney U′), ``c``,
``g`` and ``t``, with subgroups, phases, a frozen baseline, excluded points and
Anhøj's run rules. Every series is computed in one pass of array operations.

By default points are judged as qicharts2 judges them: a point beyond the
three-sigma limits is a sigma signal, and each phase gets Anhøj's runs analysis.
``rules="mdc"`` (or a :class:`~qualitas.spc.rules.Rules`) adds the Making Data Count
special-cause rules, point types and icons, as the NHS SPC Power BI visual offers
for every chart type.

>>> import pandas as pd
>>> data = pd.DataFrame({
...     "month": pd.date_range("2024-01-01", periods=12, freq="MS"),
...     "harms": [3, 5, 2, 4, 6, 3, 4, 5, 3, 4, 2, 16],
... })
>>> result = chart(data, chart="c", value="harms", period="month")
>>> round(float(result.points["cl"].iloc[0]), 3), bool(result.points["sigma_signal"].iloc[-1])
(4.75, True)
>>> phase = result.summary.iloc[0]
>>> int(phase["n_useful"]), int(phase["longest_run"]), bool(phase["runs_signal"])
(12, 3, False)
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qualitas.errors import QualitasError, QualitasWarning
from qualitas.spc import anhoej, checks, phases, segments
from qualitas.spc import rules as mdc
from qualitas.spc.attribute import c_chart, p_chart, pp_chart, u_chart, up_chart
from qualitas.spc.individuals import i_chart, mr_chart, run_chart
from qualitas.spc.lines import KernelInput, Lines
from qualitas.spc.rare_events import g_chart, t_chart
from qualitas.spc.reductions import segment_mean
from qualitas.spc.rules import Rules
from qualitas.spc.subgroup_charts import s_chart, xbar_chart
from qualitas.spc.subgroups import Subgroups, aggregate, check_aggregate
from qualitas.spc.table import (
    LARGEST,
    SeriesTable,
    as_pandas,
    check_infinite,
    normalise_by,
    per_series,
    prepare,
    warn_gaps,
)

KERNELS: dict[str, Callable[[KernelInput], Lines]] = {
    "run": run_chart,
    "i": i_chart,
    "mr": mr_chart,
    "xbar": xbar_chart,
    "s": s_chart,
    "p": p_chart,
    "pp": pp_chart,
    "u": u_chart,
    "up": up_chart,
    "c": c_chart,
    "g": g_chart,
    "t": t_chart,
}
CHART_TYPES = checks.CHART_TYPES


@dataclass(frozen=True)
class ChartRequest:
    """Everything that defines a chart calculation, apart from the data."""

    chart: str
    value: str
    period: str
    denominator: str | None = None
    by: tuple[str, ...] = ()
    part: Any = None
    freeze: Any = None
    exclude: Any = None
    multiply: float = 1.0
    # A number, per series a mapping, or the name of a column (qicharts2's cl vector)
    cl: float | str | Mapping[Any, float] | None = None
    target: float | Mapping[Any, float] | None = None
    rules: Rules | None = None  # None: qicharts2's sigma and Anhøj signals only
    direction: str | Mapping[Any, str] = "increase"
    screen_outliers: bool = True  # qicharts2's option qic.screenedmr
    aggregate: str = "mean"  # qicharts2's agg.fun
    skip_short: bool = False  # leave out series too short for limits, with a warning
    infinite: str = "error"  # or "missing": infinite values count as missing
    # False: lower limits below zero become zero when no value is (qicharts2's y.neg)
    negative_limits: bool = True
    # The period column names units, not times (qicharts2's categorical x)
    categorical: bool = False

    def __post_init__(self) -> None:
        checks.check_chart(self.chart, self.denominator)
        check_infinite(self.infinite)
        check_aggregate(self.aggregate)
        for name in ("screen_outliers", "skip_short", "negative_limits", "categorical"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise QualitasError(
                    f"{name} must be True or False, not {getattr(self, name)!r}"
                )
        if isinstance(self.cl, str) and self.cl in (self.value, self.period):
            raise QualitasError(
                f"cl names the column {self.cl!r}, which holds the "
                f"{'values' if self.cl == self.value else 'periods'}; give a column of "
                "centre lines, a number, or a mapping from series to number"
            )
        if self.categorical and self.rules is not None:
            raise QualitasError(
                "Making Data Count rules look for shifts and trends over time, which "
                "units in name order do not have: use rules='anhoej' with categorical "
                "periods (or a funnel plot to compare units)"
            )
        if self.part is not None and self.freeze is not None:
            # qicharts2 silently ignores freeze when there are parts (its issue
            # #20); saying so is kinder than drawing limits the user did not ask for.
            raise QualitasError(
                "give either part or freeze, not both: each phase already has its own "
                "baseline (use exclude to leave points of a phase out of its limits)"
            )
        if (
            isinstance(self.multiply, bool)
            or not isinstance(self.multiply, int | float | np.integer | np.floating)
            or not 0 < self.multiply <= LARGEST
        ):
            raise QualitasError(
                f"multiply must be a number greater than zero (at most 1e100), not "
                f"{self.multiply!r}"
            )
        if isinstance(self.direction, Mapping):
            for d in self.direction.values():
                mdc.check_direction(d)
        else:
            mdc.check_direction(self.direction)


@dataclass(frozen=True)
class ChartResult:
    """``points``: one row per series and period (subgroup); ``summary``: one row per
    series and phase; ``icons``: one row per series when Making Data Count rules
    were chosen, otherwise None. Column names are documented in
    docs/methods/qicharts.md."""

    chart: str
    points: pd.DataFrame
    summary: pd.DataFrame
    icons: pd.DataFrame | None
    warnings: tuple[str, ...] = ()


def chart(
    data: Any,
    *,
    chart: str,
    value: str,
    period: str,
    denominator: str | None = None,
    by: str | Sequence[str] | None = None,
    part: Any = None,
    freeze: Any = None,
    exclude: Any = None,
    multiply: float = 1,
    cl: float | Mapping[Any, float] | None = None,
    target: float | Mapping[Any, float] | None = None,
    rules: str | Rules | dict[str, Any] | None = "anhoej",
    direction: str | Mapping[Any, str] = "increase",
    screen_outliers: bool = True,
    aggregate: str = "mean",
    skip_short: bool = False,
    infinite: str = "error",
    negative_limits: bool = True,
    categorical: bool = False,
) -> ChartResult:
    """SPC charts of type ``chart`` for every series in ``data``.

    ``data`` is long: one row per series and period, or several rows per period
    (subgroups: their values are summed, or averaged for charts without a
    denominator; ``aggregate`` may choose median, sum or sd instead). ``value`` is
    the measure, or the numerator when ``denominator`` is given (required for p,
    pp, u and up; optional for run, i and mr, which then chart the ratio). ``by``
    names the columns that identify a series.

    ``part`` starts new phases: a list of periods, or the name of a column of phase
    labels. ``freeze`` is the last period of the baseline; ``exclude`` lists periods
    left out of the calculations. Each may be given per series as a mapping from
    series key to setting, as may ``cl`` (a fixed centre line, on the scale of the
    data), ``target`` (drawn only; on the displayed scale) and ``direction``.
    ``cl`` may also name a column: a centre line per period, as qicharts2's ``cl``
    vector (a phase with any period lacking one has its centre computed).
    ``multiply`` scales what is displayed (100 for percentages).
    ``negative_limits=False`` keeps lower limits at zero when no value of a series
    is negative (qicharts2's ``y.neg = FALSE``; it matters for I and Xbar charts, as
    the other charts' lower limits never go below zero).

    ``categorical=True``: the period column names units (trusts, wards) rather than
    times, as qicharts2's categorical x: one point per unit in name order, no runs
    signal, and on P′ and U′ charts Laney's sigma_z is the standard deviation of the
    standardised values rather than their moving ranges (see docs/methods/qicharts.md).

    ``rules``: ``"anhoej"`` (qicharts2's sigma signals and Anhøj runs analysis) or
    ``"mdc"`` for Making Data Count rules and icons as well (a :class:`Rules` or a
    dict of its settings chooses their lengths). ``screen_outliers`` drops large
    moving ranges before the I, T, P′ and U′ limits are estimated (qicharts2's
    default).

    A series with a phase too short to estimate limits (say, a P′ chart's phase with
    a single month) stops the calculation with an error naming it. On national data,
    where a few such series are expected, ``skip_short=True`` leaves them out of the
    results and says which in a warning.

    An infinite value (pandas gives one for a division by zero) is an error naming
    the column and rows; ``infinite="missing"`` treats such values as missing, with a
    warning.
    """
    request = ChartRequest(
        chart=chart,
        value=value,
        period=period,
        denominator=denominator,
        by=tuple(normalise_by(by)),
        part=part,
        freeze=freeze,
        exclude=exclude,
        multiply=multiply,
        cl=cl,
        target=target,
        rules=_coerce_rules(rules),
        direction=direction,
        screen_outliers=bool(screen_outliers),
        aggregate=aggregate,
        skip_short=bool(skip_short),
        infinite=infinite,
        negative_limits=negative_limits,
        categorical=categorical,
    )
    return run(as_pandas(data), request)


def _coerce_rules(rules: str | Rules | dict[str, Any] | None) -> Rules | None:
    if rules is None or (isinstance(rules, str) and rules == "anhoej"):
        return None
    if isinstance(rules, str):
        if rules == "mdc":
            return Rules()
        raise QualitasError(
            f"rules must be 'anhoej' or 'mdc' (or a Rules), not {rules!r}"
        )
    return Rules.coerce(rules)


def run(frame: pd.DataFrame, request: ChartRequest) -> ChartResult:
    """Compute a :class:`ChartRequest` on a pandas DataFrame."""
    if len(frame) == 0:
        raise QualitasError("the data has no rows")
    table = _prepare(frame, request)
    try:
        return _run(frame, request, table)
    except checks.NotEnoughData as short:
        if not request.skip_short or short.every:
            raise
        left_out = short.series
    # Compute again without the short series: this path is taken only when some
    # series are too short, and keeps the kernels free of series that cannot be used.
    keys = table.keys.iloc[left_out]
    shown = ", ".join(
        " ".join(f"{k}={row[k]}" for k in table.by)
        for _, row in keys.head(5).iterrows()
    )
    message = (
        f"{len(left_out)} of {table.n_series} series left out: each has a phase too "
        f"short for the limits of {checks.NAMES[request.chart]} ({shown}"
        f"{' ...' if len(left_out) > 5 else ''})"
    )
    warnings.warn(message, QualitasWarning, stacklevel=2)
    keep = np.ones(len(frame), dtype=bool)
    keep[table.order[np.isin(table.series_code, left_out)]] = False
    rest = frame[keep]
    without = _without_series(request, table, left_out)
    result = _run(rest, without, _prepare(rest, without))
    return dataclasses.replace(result, warnings=(message, *result.warnings))


def _prepare(frame: pd.DataFrame, request: ChartRequest) -> SeriesTable:
    columns = [request.value] + ([request.denominator] if request.denominator else [])
    if isinstance(request.cl, str):
        columns.append(request.cl)
    return prepare(
        frame,
        period=request.period,
        values=columns,
        by=list(request.by),
        repeats=True,
        infinite=request.infinite,
        categorical=request.categorical,
    )


def _without_series(
    request: ChartRequest, table: SeriesTable, codes: np.ndarray
) -> ChartRequest:
    """The request with per-series settings for the series ``codes`` removed."""
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(request):
        setting = getattr(request, field.name)
        if isinstance(setting, Mapping):  # a setting given per series
            keys = list(setting)
            gone = np.isin(table.codes_of(keys), codes)
            changes[field.name] = {
                k: setting[k] for k, out in zip(keys, gone, strict=True) if not out
            }
    return dataclasses.replace(request, **changes)


def _run(frame: pd.DataFrame, request: ChartRequest, table: SeriesTable) -> ChartResult:
    """The charts of ``frame``, already prepared as ``table``."""
    checks.check_values(request.chart, table, request.value, request.denominator)
    labels = (
        phases.labels_of(frame, request.part, table)
        if isinstance(request.part, str)
        else None
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", QualitasWarning)
        for note in table.notes:
            warnings.warn(note, QualitasWarning, stacklevel=2)
        sub = aggregate(
            table,
            value=request.value,
            denominator=request.denominator,
            aggregate=request.aggregate,
        )
        checks.check_subgroups(request.chart, sub)
        checks.check_plotted(sub, table, request.value, request.denominator)
        rows = sub.table
        if not request.categorical:  # units in name order have no gaps
            warn_gaps(rows, request.period)
        arrays = compute(
            sub,
            request,
            None if labels is None else labels[sub.first_row],
            table.values[request.cl][sub.first_row]
            if isinstance(request.cl, str)
            else None,
        )
    messages = tuple(str(w.message) for w in caught)
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=3)
    return _assemble(rows, sub, arrays, request, messages)


def compute(
    sub: Subgroups,
    request: ChartRequest,
    labels: np.ndarray | None,
    cl_column: np.ndarray | None = None,
) -> dict[str, Any]:
    """The whole calculation on subgroups: phases, limits, signals. ``cl_column``:
    the centre line of each subgroup when ``request.cl`` names a column (each
    subgroup takes its first row's)."""
    rows = sub.table
    seg = segments.build(
        rows.series_start, phases.phase_starts(request.part, rows, labels)
    )
    first_segment = seg.id[rows.series_start[:-1]]
    phase = seg.id - first_segment[rows.series_code] + 1
    baseline = phases.baseline(request.freeze, rows)
    include = phases.included(request.exclude, rows)
    base = baseline & include
    checks.check_enough(request.chart, sub, seg, base, phase)

    if request.categorical and request.chart in {"pp", "up"}:
        checks.check_units_present(request.chart, sub, base, request.value)
    lines = KERNELS[request.chart](
        KernelInput(
            sub=sub,
            seg=seg,
            base=base,
            cl=_given_centre(request, rows, seg, cl_column),
            screen=request.screen_outliers,
            categorical=request.categorical,
        )
    )
    # Runs analysis on the chart's own scale, before any multiplying (as qicharts2).
    runs = anhoej.analyse(lines.value, lines.cl, include, seg)
    # Moving ranges are not independent, and units in name order are not a sequence:
    # neither has a runs signal (qicharts2 still reports the runs statistics).
    signal = runs.signal & (request.chart != "mr") & (not request.categorical)

    k = float(request.multiply)
    y = lines.value * k
    out = {
        name: _finite(getattr(lines, name) * k)
        for name in ("lcl", "ucl", "lcl_95", "ucl_95")
    }
    cl = lines.cl * k
    if not request.negative_limits:
        _keep_at_zero(y, out, rows)
    with np.errstate(invalid="ignore"):
        sigma_signal = (y > out["ucl"]) | (y < out["lcl"])

    arrays: dict[str, Any] = {
        "seg": seg,
        "phase": phase,
        "baseline": baseline,
        "include": include,
        "value": y,
        "cl": cl,
        **out,
        "sigma_signal": sigma_signal,
        "runs": runs,
        "runs_signal": signal,
    }
    if request.rules is not None:
        direction = np.asarray(
            per_series(
                request.direction,
                rows,
                name="direction",
                convert=mdc.DIRECTIONS.index,
                fill=0,
            ),
            dtype=np.int8,
        )
        code = mdc.special_causes(
            y,
            cl,
            out["lcl"],
            out["ucl"],
            out["lcl_95"],
            out["ucl_95"],
            seg,
            request.rules,
        )
        arrays["special_cause"] = code
        arrays["point_type"] = mdc.point_types(code, direction[rows.series_code])
        arrays["direction"] = direction
    return arrays


def _given_centre(
    request: ChartRequest,
    rows: SeriesTable,
    seg: segments.Segments,
    cl_column: np.ndarray | None,
) -> np.ndarray:
    """The user's centre line per row; NaN on every row of a phase where any row
    lacks one, since qicharts2 then computes the phase's centre from its data."""
    if cl_column is not None:
        given = cl_column
    elif request.cl is None:
        return np.full(rows.n_rows, np.nan)
    else:
        per = per_series(
            request.cl, rows, name="cl", convert=_number("cl"), fill=np.nan
        )
        given = np.asarray(per, dtype=np.float64)[rows.series_code]
    lacking = np.bincount(seg.id, weights=np.isnan(given), minlength=seg.count) > 0
    return np.where(lacking[seg.id], np.nan, given)


def _keep_at_zero(y: np.ndarray, out: dict[str, np.ndarray], rows: SeriesTable) -> None:
    """qicharts2's ``y.neg = FALSE``: where no plotted value of a series is negative
    (missing values aside), lower limits below zero become zero. qicharts2 decides
    over the whole plot; here each series is its own chart, so each decides alone."""
    starts = rows.series_start[:-1]
    if not len(starts):
        return
    lowest = np.fmin.reduceat(y, starts)
    # A series with no value at all counts as non-negative (R: min() of nothing is Inf).
    keep = ~(lowest < 0)
    row_keep = keep[rows.series_code]
    for name in ("lcl", "lcl_95"):
        with np.errstate(invalid="ignore"):
            out[name] = np.where(row_keep & (out[name] < 0), 0.0, out[name])


def _finite(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def _number(what: str) -> Callable[[Any], float]:
    def convert(v: Any) -> float:
        if v is None:
            return np.nan
        if isinstance(v, bool):
            raise QualitasError(f"{what} must be a number, not {v!r}")
        try:
            number = float(v)
        except (TypeError, ValueError, OverflowError):
            raise QualitasError(f"{what} must be a number, not {v!r}") from None
        if abs(number) > LARGEST:
            raise QualitasError(
                f"{what} must be a number between -1e100 and 1e100, not {v!r}"
            )
        return number

    return convert


def _nullable(
    values: np.ndarray, missing: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    return pd.arrays.IntegerArray(values.astype(np.int64), missing)


def _assemble(
    rows: SeriesTable,
    sub: Subgroups,
    arrays: dict[str, Any],
    request: ChartRequest,
    messages: tuple[str, ...],
) -> ChartResult:
    seg: segments.Segments = arrays["seg"]
    runs: anhoej.Runs = arrays["runs"]
    sid = seg.id
    keys = rows.key_columns()
    target = np.asarray(
        per_series(
            request.target, rows, name="target", convert=_number("target"), fill=np.nan
        ),
        dtype=np.float64,
    )
    periods = rows.period.to_numpy()
    points: dict[str, Any] = {
        **keys,
        "period": periods,
        "value": arrays["value"],
        "cl": arrays["cl"],
        "lcl": arrays["lcl"],
        "ucl": arrays["ucl"],
        "lcl_95": arrays["lcl_95"],
        "ucl_95": arrays["ucl_95"],
        "target": target[rows.series_code],
        "phase": arrays["phase"],
        "baseline": arrays["baseline"],
        "include": arrays["include"],
        "sigma_signal": arrays["sigma_signal"],
        "runs_signal": arrays["runs_signal"][sid],
        "observations": sub.observations,
        "total": sub.total,
        "subgroup_mean": sub.mean,
        "subgroup_sd": sub.sd,
        "denominator": sub.denominator,
    }
    mdc_rules = request.rules is not None
    if mdc_rules:
        points["special_cause"] = mdc.categorical(
            arrays["special_cause"], mdc.SPECIAL_CAUSE_DTYPE
        )
        points["point_type"] = mdc.categorical(
            arrays["point_type"], mdc.POINT_TYPE_DTYPE
        )

    first = seg.start[:-1]
    last = seg.last
    none = ~runs.has_useful
    count = seg.count
    summary: dict[str, Any] = {
        **{k: _take(v, first) for k, v in keys.items()},
        "phase": arrays["phase"][first],
        "start": periods[first],
        "end": periods[last],
        "n_obs": runs.n_obs,
        "n_useful": runs.n_useful,
        "longest_run": _nullable(runs.longest_run, none),
        "longest_run_max": _nullable(runs.longest_run_max, none),
        "n_crossings": _nullable(runs.n_crossings, none),
        "n_crossings_min": _nullable(runs.n_crossings_min, none),
        "runs_signal": arrays["runs_signal"],
        "cl": _phase_mean(arrays["cl"], seg),
        "lcl": _phase_mean(arrays["lcl"], seg),
        "ucl": _phase_mean(arrays["ucl"], seg),
        "lcl_95": _phase_mean(arrays["lcl_95"], seg),
        "ucl_95": _phase_mean(arrays["ucl_95"], seg),
        "sigma_signals": np.bincount(
            sid, weights=arrays["sigma_signal"], minlength=count
        ).astype(np.int64),
    }
    icons = None
    if mdc_rules:
        ptype = arrays["point_type"]
        summary["improvement"] = np.bincount(
            sid, weights=ptype == 1, minlength=count
        ).astype(np.int64)
        summary["concern"] = np.bincount(
            sid, weights=ptype == 2, minlength=count
        ).astype(np.int64)
        icons = _icons(rows, arrays, target, keys)
    return ChartResult(
        chart=request.chart,
        # copy=False: the arrays are ours, and copying them into one 2-D block
        # would take longer than the whole calculation on large inputs.
        points=pd.DataFrame(points, copy=False),
        summary=pd.DataFrame(summary, copy=False),
        icons=icons,
        warnings=messages,
    )


def _icons(
    rows: SeriesTable, arrays: dict[str, Any], target: np.ndarray, keys: dict[str, Any]
) -> pd.DataFrame:
    """Variation and assurance icons from each series' latest point.

    Assurance compares the target with the latest point's limits (which vary with
    the denominator on P and U charts).
    """
    latest = rows.series_start[1:] - 1
    direction = arrays["direction"]
    variation = mdc.variation_icons(arrays["point_type"][latest], direction)
    assurance = mdc.assurance_icons(
        target, arrays["lcl"][latest], arrays["ucl"][latest], direction
    )
    return pd.DataFrame(
        {
            **{k: _take(v, rows.series_start[:-1]) for k, v in keys.items()},
            "period": rows.period.to_numpy()[latest],
            "value": arrays["value"][latest],
            "cl": arrays["cl"][latest],
            "lcl": arrays["lcl"][latest],
            "ucl": arrays["ucl"][latest],
            "target": target,
            "direction": pd.Categorical.from_codes(
                direction.tolist(), categories=pd.Index(mdc.DIRECTIONS)
            ),
            "variation": mdc.categorical(variation, mdc.VARIATION_DTYPE),
            "assurance": mdc.categorical(assurance, mdc.ASSURANCE_DTYPE),
        },
        copy=False,
    )


def _phase_mean(values: np.ndarray, seg: segments.Segments) -> np.ndarray:
    """Mean over a phase's points, ignoring missing values (limits may vary).

    Most lines are constant within a phase; then the mean is the first value.
    """
    first: np.ndarray = values[seg.start[:-1]]
    spread = first[seg.id]
    if ((values == spread) | (np.isnan(values) & np.isnan(spread))).all():
        return first
    return segment_mean(values, np.ones(len(values), dtype=bool), seg)


def _take(column: Any, index: np.ndarray) -> Any:
    if isinstance(column, pd.Categorical):
        return column.take(index)
    return np.asarray(column)[index]
