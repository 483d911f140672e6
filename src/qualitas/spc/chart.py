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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qualitas.errors import QualitasError, QualitasWarning
from qualitas.spc import anhoej, checks, phases, segments
from qualitas.spc import rules as mdc
from qualitas.spc.attribute import c_chart, p_chart, pp_chart, u_chart, up_chart
from qualitas.spc.individuals import (
    SHORT_SEGMENT,
    i_chart,
    mr_chart,
    run_chart,
    xmr_chart,
)
from qualitas.spc.lines import KernelInput, Lines
from qualitas.spc.options import (
    COLUMNS,
    FLAG,
    NUMBER,
    PERIOD,
    PERIODS,
    RULES,
    WHOLE,
    WORDS,
    check_names,
    declared,
    option,
)
from qualitas.spc.rare_events import g_chart, t_chart
from qualitas.spc.reductions import segment_mean
from qualitas.spc.rules import Rules
from qualitas.spc.subgroup_charts import s_chart, xbar_chart
from qualitas.spc.subgroups import (
    AGGREGATES,
    Subgroups,
    aggregate,
    check_aggregate,
)
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
    "xmr": xmr_chart,
}
CHART_TYPES = checks.CHART_TYPES


DIRECTION_HELP = (
    "which way is better: increase, decrease or neutral (per series: a mapping "
    "from series key to direction)"
)


@dataclass(frozen=True)
class ChartRequest:
    """Everything that defines a chart calculation, apart from the data.

    Each field is an option, declared once with its help text (:func:`option`); the
    Python functions, command line, batch command and web read this declaration.
    ``ChartRequest(...)`` takes every field as given; :meth:`build` (what
    :func:`chart` and :func:`~qualitas.spc.xmr.xmr` call) also applies the chart
    type's preset, such as XmR's Making Data Count rules and trial limits.
    """

    chart: str = option(
        "the chart type: " + ", ".join(checks.CHART_TYPES) + " (xmr: Making Data "
        "Count's XmR chart, as NHSRplotthedots draws it)",
        choices=checks.CHART_TYPES,
    )
    value: str = option("column of values (the numerator when there is a denominator)")
    period: str = option("column of periods: dates, or whole numbers such as weeks")
    denominator: str | None = option(
        "column of denominators (p, p′, u and u′ charts need one; run, i, mr and xmr "
        "then chart the ratio)",
        default=None,
    )
    by: tuple[str, ...] = option(
        "columns that name a series (none: the whole table is one series)",
        default=(),
        kind=COLUMNS,
    )
    part: Any = option(
        "periods at which new phases start (each with its own centre line, limits "
        "and runs analysis), or the name of a column of phase labels",
        default=None,
        kind=PERIODS,
        per_series=True,
    )
    freeze: Any = option(
        "the last period of the baseline: later points are judged against limits "
        "from the points up to it",
        default=None,
        kind=PERIOD,
        per_series=True,
    )
    fix_after: int | None = option(
        "the limits of each phase come from its first N points only (at least 2)",
        default=None,
        kind=WHOLE,
    )
    exclude: Any = option(
        "periods left out of the calculations (still shown and judged)",
        default=None,
        kind=PERIODS,
        per_series=True,
    )
    multiply: float = option(
        "multiply what is displayed by this (100 for percentages)",
        default=1.0,
        kind=NUMBER,
    )
    # A number, per series a mapping, or the name of a column (qicharts2's cl vector)
    cl: float | str | Mapping[Any, float] | None = option(
        "a fixed centre line, on the scale of the data (or a column of centre lines "
        "per period, as qicharts2's cl vector)",
        default=None,
        kind=NUMBER,
        per_series=True,
    )
    target: float | Mapping[Any, float] | None = option(
        "a target, drawn and used for the assurance icon (on the displayed scale)",
        default=None,
        kind=NUMBER,
        per_series=True,
    )
    rules: Rules | None = option(
        "anhoej: qicharts2's sigma signals and Anhøj runs analysis; mdc: Making Data "
        "Count rules and icons as well (or a JSON object of rule lengths)",
        default=None,
        kind=RULES,
    )
    direction: str | Mapping[Any, str] = option(
        DIRECTION_HELP,
        default="increase",
        kind=WORDS,
        choices=mdc.DIRECTIONS,
        per_series=True,
    )
    screen_outliers: bool = option(  # qicharts2's option qic.screenedmr
        "leave large moving ranges out of the limits of I, XmR, T, P′ and U′ charts",
        default=True,
        kind=FLAG,
    )
    aggregate: str = option(  # qicharts2's agg.fun
        "how several rows of one period are combined when there is no denominator",
        default="mean",
        choices=AGGREGATES,
    )
    trial_below: int = option(
        "phases with fewer points than this have trial limits, to be revised as "
        "data arrive (XmR: 13; 0: never)",
        default=0,
        kind=WHOLE,
    )
    skip_short: bool = option(
        "leave out series with a phase too short for limits, with a warning, rather "
        "than stop",
        default=False,
        kind=FLAG,
    )
    infinite: str = option(
        "error: an infinite value stops the calculation; missing: it counts as "
        "missing, with a warning",
        default="error",
        choices=("error", "missing"),
    )
    negative_limits: bool = option(
        "off: lower limits below zero become zero when no value of a series is "
        "negative (qicharts2's y.neg = FALSE)",
        default=True,
        kind=FLAG,
    )
    categorical: bool = option(
        "the period column names units (trusts, wards), not times: one point per "
        "unit in name order, as qicharts2's categorical x",
        default=False,
        kind=FLAG,
    )

    def __post_init__(self) -> None:
        checks.check_chart(self.chart, self.denominator)
        check_infinite(self.infinite)
        if isinstance(self.by, str) or not isinstance(self.by, tuple):
            object.__setattr__(self, "by", tuple(normalise_by(self.by)))
        if not (self.rules is None or isinstance(self.rules, Rules)):
            object.__setattr__(self, "rules", _coerce_rules(self.rules))
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
        if self.fix_after is not None and (
            isinstance(self.fix_after, bool)
            or not isinstance(self.fix_after, int | np.integer)
            or self.fix_after < 2
        ):
            raise QualitasError(
                f"fix_after must be a whole number of at least 2 (limits need two "
                f"points), not {self.fix_after!r}"
            )
        if (
            isinstance(self.trial_below, bool)
            or not isinstance(self.trial_below, int | np.integer)
            or self.trial_below < 0
        ):
            raise QualitasError(
                f"trial_below must be a whole number of points (0: never), not "
                f"{self.trial_below!r}"
            )
        if isinstance(self.direction, Mapping):
            for d in set(self.direction.values()):
                mdc.check_direction(d)
        else:
            mdc.check_direction(self.direction)

    @classmethod
    def build(cls, *, caller: str = "chart", **options: Any) -> ChartRequest:
        """A request from keyword options, with the chart type's preset filling the
        options not given (``xmr``: Making Data Count rules, trial limits below 13
        points). Unknown or missing options are a TypeError naming them."""
        check_names(cls, options, caller=caller)
        given = dict(options)
        for name, setting in PRESETS.get(given.get("chart", ""), {}).items():
            given.setdefault(name, setting)
        if given.get("rules") == "anhoej":
            given["rules"] = None
        for name in ("screen_outliers", "skip_short"):
            if name in given:
                given[name] = bool(given[name])
        return cls(**given)


# What a chart type sets unless told otherwise: XmR is the I chart with Making Data
# Count's rules and conventions (docs/methods/xmr.md).
PRESETS: dict[str, dict[str, Any]] = {
    "xmr": {"rules": Rules(), "trial_below": SHORT_SEGMENT},
}


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

    @property
    def icon_table(self) -> pd.DataFrame:
        """The icons, for code that draws them (they need Making Data Count rules)."""
        if self.icons is None:
            raise QualitasError(
                "variation and assurance icons need Making Data Count rules "
                "(rules='mdc')"
            )
        return self.icons


@declared(ChartRequest)
def chart(data: Any, **options: Any) -> ChartResult:
    """SPC charts of type ``chart`` for every series in ``data``.

    The options are the fields of :class:`ChartRequest` (each with its help text):
    ``chart``, ``value`` and ``period`` are required.

    ``data`` is long: one row per series and period, or several rows per period
    (subgroups: their values are summed, or averaged for charts without a
    denominator; ``aggregate`` may choose median, sum or sd instead; XmR takes one
    row per period). ``value`` is the measure, or the numerator when
    ``denominator`` is given (required for p, pp, u and up; optional for run, i, mr
    and xmr, which then chart the ratio). ``by`` names the columns that identify a
    series.

    ``part`` starts new phases: a list of periods, or the name of a column of phase
    labels. ``freeze`` is the last period of the baseline; ``fix_after`` limits
    each phase's baseline to its first N points; ``exclude`` lists periods left out
    of the calculations. Each may be given per series as a mapping from
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
    dict of its settings chooses their lengths); the XmR chart has Making Data Count
    rules unless told otherwise. ``screen_outliers`` drops large moving ranges
    before the I, XmR, T, P′ and U′ limits are estimated (the references' default).
    ``trial_below`` marks phases with fewer points as trial limits (XmR: 13).

    A series with a phase too short to estimate limits (say, a P′ chart's phase with
    a single month) stops the calculation with an error naming it. On national data,
    where a few such series are expected, ``skip_short=True`` leaves them out of the
    results and says which in a warning.

    An infinite value (pandas gives one for a division by zero) is an error naming
    the column and rows; ``infinite="missing"`` treats such values as missing, with a
    warning.
    """
    return run(as_pandas(data), ChartRequest.build(**options))


def _coerce_rules(rules: Any) -> Rules | None:
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
        # XmR charts individual values: one row per period, as NHSRplotthedots.
        repeats=request.chart != "xmr",
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
    if request.chart == "xmr" and labels is None:
        # NHSRplotthedots starts a phase only at a period that is in the data.
        starts = phases.named_rows(request.part, rows, "part")
    else:
        starts = phases.phase_starts(request.part, rows, labels)
    seg = segments.build(rows.series_start, starts)
    first_segment = seg.id[rows.series_start[:-1]]
    phase = seg.id - first_segment[rows.series_code] + 1
    baseline = phases.baseline(request.freeze, rows)
    if request.fix_after is not None:
        # Missing values count among the first N points, as in NHSRplotthedots.
        baseline &= seg.pos < request.fix_after
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

    trial = seg.length < request.trial_below
    if trial.any():
        warnings.warn(
            f"{int(trial.sum())} phase{'s have' if trial.sum() > 1 else ' has'} fewer "
            f"than {request.trial_below} points: their limits are trial limits, to be "
            "revised as more data arrive.",
            QualitasWarning,
            stacklevel=2,
        )
    arrays: dict[str, Any] = {
        "seg": seg,
        "trial": trial,
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
        "phase": arrays["phase"],
        "cl": arrays["cl"],
        "lcl": arrays["lcl"],
        "ucl": arrays["ucl"],
        "lcl_95": arrays["lcl_95"],
        "ucl_95": arrays["ucl_95"],
        "target": target[rows.series_code],
        "trial_limits": arrays["trial"][sid],
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
        "trial_limits": arrays["trial"],
    }
    icons = None
    if mdc_rules:
        ptype = arrays["point_type"]
        direction = arrays["direction"]
        # Points with no special cause (a missing value counts, as in NHSRplotthedots).
        summary["common_cause"] = seg.count_true(arrays["special_cause"] == 0)
        summary["improvement"] = seg.count_true(ptype == 1)
        summary["concern"] = seg.count_true(ptype == 2)
        # Each phase's variation icon reads its last point; assurance belongs to a
        # series' latest phase only (the limits it judges the target against).
        summary["variation"] = mdc.categorical(
            mdc.variation_icons(ptype[last], direction[rows.series_code[last]]),
            mdc.VARIATION_DTYPE,
        )
        icons, assurance = _icons(rows, arrays, target, keys)
        phase_assurance = np.full(count, -1, dtype=np.int8)
        phase_assurance[sid[rows.series_start[1:] - 1]] = assurance
        summary["assurance"] = mdc.categorical(phase_assurance, mdc.ASSURANCE_DTYPE)
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
) -> tuple[pd.DataFrame, np.ndarray]:
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
    icons = pd.DataFrame(
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
    return icons, assurance


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
