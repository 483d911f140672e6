"""Funnel plots: compare many units (trusts, practices, surgeons) on one measure.

Exactly the method of FunnelPlotR 0.6.0 (docs/methods/funnel.md): indirectly
standardised ratios (SR, with the SHMI or CQC way of estimating overdispersion),
proportions (PR) and ratios of counts (RC); z-scores on a variance-stabilising scale;
trimmed estimates of the dispersion ratio phi and the between-unit variance tau squared;
95% and 99.8% control limits with and without the overdispersion adjustment, on a grid
of denominators; and outliers. Added: Spiegelhalter's multiplicative overdispersion
model, and mean outcomes (MEAN, e.g. PROMs health gain) with a known standard deviation.

Every unit is computed in one pass of array operations; there is no loop over units.

>>> import pandas as pd
>>> data = pd.DataFrame({
...     "trust": [f"T{i:02d}" for i in range(12)],
...     "deaths": [30, 45, 28, 52, 41, 39, 61, 25, 47, 33, 90, 36],
...     "expected": [32.1, 44.8, 30.5, 49.9, 40.2, 41.7, 58.3, 27.4, 45.0, 35.6, 50.2, 37.1],
... })
>>> result = funnel(data, numerator="deaths", denominator="expected", group="trust")
>>> result.units.loc[result.units["outlier"], "trust"].tolist()
['T10']
>>> result.summary.adjusted
False
>>> result.summary.reason.split(":")[0]
'Not adjusted for overdispersion'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from qualitas.errors import QualitasError, describe_rows
from qualitas.spc import funnel_stats as st
from qualitas.spc.funnel_data import Units, collect, round_like_r
from qualitas.spc.options import (
    COLUMNS,
    FLAG,
    INTERNAL,
    NUMBER,
    WHOLE,
    check_names,
    declared,
    option,
    signature,
)
from qualitas.spc.table import as_pandas, keys_at, normalise_by

DATA_TYPES = (st.SR, st.PR, st.RC, st.MEAN)
METHODS = (st.SHMI, st.CQC)
ADJUST = ("auto", "always", "never")
OVERDISPERSION = ("additive", "multiplicative")
LIMIT_NAMES = {95: "95", 99: "998"}
LIMIT_COLUMNS = ("lower_95", "upper_95", "lower_998", "upper_998")
# The columns of ``FunnelResult.units`` after the group column, in order; the true or
# false ones are ``UNIT_FLAGS``, the rest are numbers.
UNIT_COLUMNS = (
    *("numerator", "denominator", "ratio", "target", "transformed"),
    *("target_transformed", "se", "z", "z_trimmed", "trimmed", "rank", "slice"),
    *("z_adjusted", "limit_se"),
    *LIMIT_COLUMNS,
    *(f"od_{c}" for c in LIMIT_COLUMNS),
    *("lower", "upper", "outlier_95", "outlier_998", "outlier"),
    *("outlier_high", "outlier_low"),
)
UNIT_FLAGS = frozenset(
    ("trimmed", "outlier_95", "outlier_998", "outlier", "outlier_high", "outlier_low")
)
RESULT_COLUMNS = frozenset(UNIT_COLUMNS)


@dataclass(frozen=True)
class FunnelRequest:
    """Everything that defines a funnel plot, apart from the data.

    Each field is an option, declared once with its help text; :func:`funnel`, the
    command line (`qualitas funnel`, `qualitas batch --chart funnel`) and the web read
    this declaration (docs/architecture.md shows how to add one).
    """

    numerator: str = option(
        "column of the numerator (observed events, or the total outcome for MEAN)"
    )
    denominator: str = option(
        "column of the denominator (expected events for SR, cases for PR...)"
    )
    group: str = option(
        "column naming the unit (trust, practice...); rows are added up by unit"
    )
    by: tuple[str, ...] = option(
        "columns naming separate funnels (e.g. indicator, month): one funnel per "
        "value, each comparing its own units",
        default=(),
        kind=COLUMNS,
    )
    data_type: str = option(
        "SR (standardised ratio), PR (proportion), RC (ratio of counts) or MEAN",
        default=st.SR,
        choices=DATA_TYPES,
    )
    method: str = option("for SR: SHMI or CQC", default=st.SHMI, choices=METHODS)
    trim: float = option(
        "fraction trimmed at each end before estimating overdispersion",
        default=0.1,
        kind=NUMBER,
    )
    limit: int = option(
        "limits that define outliers: 95 or 99 (99.8%)", default=99, kind=WHOLE
    )
    adjust: str = option(
        "allow for overdispersion: auto (when there is any), always or never",
        default="auto",
        choices=ADJUST,
    )
    overdispersion: str = option(
        "additive (random effects) or multiplicative (Spiegelhalter)",
        default="additive",
        choices=OVERDISPERSION,
    )
    multiplier: float = option(
        "scale ratios and limits, e.g. 100 for per cent", default=1.0, kind=NUMBER
    )
    shmi_rounding: bool = option(
        "for SR with SHMI: round expected counts to 2 decimal places, as NHS Digital "
        "does",
        default=True,
        kind=FLAG,
    )
    target: float | None = option(
        "compare with this value (PR, RC, MEAN) instead of the average of all units",
        default=None,
        kind=NUMBER,
    )
    sd: float | None = option(
        "for MEAN: the standard deviation of one record's outcome",
        default=None,
        kind=NUMBER,
    )
    aggregate: bool = option(
        "add up the rows of each unit (off: one row per unit is required)",
        default=True,
        kind=INTERNAL,
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "by", tuple(normalise_by(self.by)))
        _one_of("data_type", self.data_type, DATA_TYPES)
        _one_of("method", self.method, METHODS)
        _one_of("adjust", self.adjust, ADJUST)
        _one_of("overdispersion", self.overdispersion, OVERDISPERSION)
        if self.limit not in LIMIT_NAMES:
            raise QualitasError(
                f"limit must be 95 (95% limits) or 99 (99.8% limits), not {self.limit!r}"
            )
        if not _finite(self.trim) or not 0 <= self.trim < 0.5:
            raise QualitasError(
                f"trim must be a fraction from 0 up to (not including) 0.5, not {self.trim!r}"
            )
        if self.shmi and self.trim == 0:
            raise QualitasError(
                "the SHMI method needs trim above 0 (it drops the top and bottom slices "
                "of 1/trim); use method='CQC' to estimate overdispersion without trimming"
            )
        if not _finite(self.multiplier) or self.multiplier <= 0:
            raise QualitasError(
                f"multiplier must be a positive number, not {self.multiplier!r}"
            )
        self._check_target()
        if self.group in RESULT_COLUMNS:
            raise QualitasError(
                f"the unit column may not be called {self.group!r}, a name the results use "
                "for another column; rename it"
            )
        taken = [b for b in self.by if b in RESULT_COLUMNS or b in SUMMARY_COLUMNS]
        if taken:
            raise QualitasError(
                f"a column naming funnels (by) may not be called {taken[0]!r}, a name "
                "the results use for another column; rename it"
            )
        if len(set(self.by)) < len(self.by):
            raise QualitasError(f"by names a column twice: {self.by!r}")
        if self.data_type == st.MEAN:
            if self.sd is None or not _finite(self.sd) or self.sd <= 0:
                raise QualitasError(
                    "a funnel of mean outcomes needs sd: the standard deviation of one "
                    f"record's outcome (e.g. the national standard deviation), not {self.sd!r}"
                )
        elif self.sd is not None:
            raise QualitasError("sd applies only to mean outcomes (data_type='MEAN')")

    @property
    def shmi(self) -> bool:
        return self.data_type == st.SR and self.method == st.SHMI

    def _check_target(self) -> None:
        t = self.target
        if t is None:
            return
        if self.data_type == st.SR:
            raise QualitasError(
                "a standardised ratio (observed / expected) has a target of 1 by "
                "definition; leave target unset"
            )
        if not _finite(t):
            raise QualitasError(f"target must be a number, not {t!r}")
        if self.data_type == st.PR and not 0 < t < 1:
            raise QualitasError(
                f"a target proportion must lie between 0 and 1, not {t!r}"
            )
        if self.data_type == st.RC and t <= 0:
            raise QualitasError(f"a target ratio must be above 0, not {t!r}")


@dataclass(frozen=True)
class FunnelSummary:
    """One funnel's overall figures and the decision about overdispersion.

    ``phi`` is the dispersion ratio (1 = units vary as chance alone would make them);
    ``tau2`` the between-unit variance on the transformed scale; ``adjusted`` whether
    the limits in force allow for overdispersion, and ``reason`` says why in plain
    English. ``n_used`` counts the units left after trimming that estimate phi.
    """

    data_type: str
    method: str
    overdispersion: str
    adjust: str
    limit: int
    multiplier: float
    target: float
    n_units: int
    n_used: int
    phi: float
    tau2: float
    adjusted: bool
    reason: str
    n_outliers: int
    n_high: int
    n_low: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


# The columns of a summary table, after the funnel's ``by`` columns, and their types.
SUMMARY_COLUMNS: dict[str, str] = {f.name: str(f.type) for f in fields(FunnelSummary)}


@dataclass(frozen=True)
class FunnelResult:
    """``units``: one row per unit; ``limits``: the limits on a grid of denominators
    for drawing; ``summaries``: one row per funnel with phi, tau2 and the adjustment;
    ``summary``: the same for a result of one funnel, as a :class:`FunnelSummary`.

    With ``by`` columns (many funnels at once) each table starts with the ``by``
    columns and its rows are sorted by funnel; ``summary`` is then refused, because
    there is more than one: read ``summaries``. Without ``by``, ``summaries`` has the
    one row of ``summary.to_frame()``.

    Columns of ``units``, after any ``by`` columns (rows sorted by unit name within a
    funnel): the group column; ``numerator``, ``denominator`` (as used:
    for SR with SHMI rounding the expected count rounded to 2 dp); ``ratio`` (numerator
    / unrounded denominator, times the multiplier: the plotted value); ``target``;
    ``transformed`` and ``target_transformed`` (the variance-stabilised scale), ``se``
    (its standard error under chance), ``z``, ``z_trimmed`` (NaN where truncated),
    ``trimmed``, ``rank`` and ``slice`` (SHMI truncation only), ``z_adjusted`` (z against
    the variance in force), ``limit_se``; limits ``lower_95``, ``upper_95``,
    ``lower_998``, ``upper_998`` (chance alone: exact Poisson for SR) and
    ``od_lower_95`` ... ``od_upper_998`` (allowing for overdispersion); ``lower`` and
    ``upper`` (the limits in force at the chosen level); ``outlier_95`` and
    ``outlier_998`` (outside the limits in force at each level), ``outlier`` (at the
    chosen level), ``outlier_high`` and ``outlier_low``.

    ``limits`` has ``denominator``, ``limit_se`` and the same eight limit columns.
    ``summaries`` has the fields of :class:`FunnelSummary` as columns; ``funnels``
    holds the same summaries as :class:`FunnelSummary` objects, in the same order.
    """

    units: pd.DataFrame
    limits: pd.DataFrame
    summaries: pd.DataFrame
    request: FunnelRequest
    funnels: tuple[FunnelSummary, ...]  # one per row of summaries

    @property
    def summary(self) -> FunnelSummary:
        """The summary of a result of one funnel (no ``by`` columns)."""
        if self.request.by:
            raise QualitasError(
                f"this result holds {len(self.funnels):,} funnels (one for each "
                f"{', '.join(self.request.by)}); their summaries are the table "
                "`summaries`, one row per funnel"
            )
        return self.funnels[0]

    def limits_in_force(self) -> pd.DataFrame:
        """The limit lines to draw: the grid with the four limits in force (adjusted
        for overdispersion or not, as each funnel's summary says)."""
        by = list(self.request.by)
        sizes = (
            self.limits.groupby(by, sort=False, observed=True).size() if by else None
        )
        adjusted = np.array([f.adjusted for f in self.funnels])
        if sizes is None:
            adjusted = np.repeat(adjusted, len(self.limits))
        else:
            adjusted = np.repeat(adjusted, sizes.to_numpy())
        return pd.DataFrame(
            {
                **{k: self.limits[k] for k in by},
                "denominator": self.limits["denominator"],
                **{
                    c: np.where(adjusted, self.limits["od_" + c], self.limits[c])
                    for c in LIMIT_COLUMNS
                },
            }
        )


@declared(FunnelRequest)
def funnel(data: Any, **options: Any) -> FunnelResult:
    """A funnel plot of ``numerator`` / ``denominator`` for each unit named in ``group``.

    ``data`` may have one row per unit or many (e.g. one per patient): rows are added
    up by unit. ``by`` (a column or columns) draws a separate funnel for each of its
    values, e.g. every indicator and month at once: each funnel compares the units
    with its own ``by`` values, exactly as a call on those rows alone would.
    ``data_type``: ``"SR"`` standardised ratio (observed / expected),
    ``"PR"`` proportion, ``"RC"`` ratio of counts, ``"MEAN"`` mean outcome (numerator =
    total of the outcome, denominator = number of records; needs ``sd``). ``method``
    (SR only): ``"SHMI"`` (log scale, 10% truncation, expected rounded to 2 dp unless
    ``shmi_rounding=False``) or ``"CQC"`` (square-root scale, winsorisation). ``trim``:
    the fraction trimmed at each end before estimating overdispersion. ``limit``: 95 or
    99 (99.8%) limits define outliers. ``adjust``: ``"auto"`` widens the limits for
    overdispersion only when phi > 1 (FunnelPlotR's default), ``"always"`` or
    ``"never"``. ``overdispersion``: ``"additive"`` (random effects, tau squared: the
    package's method) or ``"multiplicative"`` (Spiegelhalter's phi). ``multiplier``
    scales ratios and limits (e.g. 100 for per cent). ``target`` (PR, RC, MEAN)
    replaces the pooled average, e.g. a national standard.

    >>> import pandas as pd
    >>> months = pd.DataFrame({
    ...     "month": ["2024-04"] * 4 + ["2024-05"] * 4,
    ...     "trust": ["A", "B", "C", "D"] * 2,
    ...     "deaths": [30, 45, 28, 85, 33, 41, 30, 52],
    ...     "expected": [32.1, 44.8, 30.5, 49.9, 31.0, 43.2, 29.4, 50.3],
    ... })
    >>> both = funnel(months, numerator="deaths", denominator="expected",
    ...               group="trust", by="month", method="CQC")
    >>> both.summaries[["month", "n_units", "n_outliers"]].values.tolist()
    [['2024-04', 4, 1], ['2024-05', 4, 0]]
    >>> both.units.columns[:3].tolist()
    ['month', 'trust', 'numerator']
    """
    return run(as_pandas(data), build(caller="funnel", **options))


def funnel_request(**options: Any) -> FunnelRequest:
    """The :class:`FunnelRequest` for :func:`funnel`'s options, which it also
    accepts in the forms people write them (``limit=99.8``, ``adjust=True``,
    lower-case ``data_type``): what engines and the command line run."""
    return build(caller="funnel_request", **options)


funnel_request.__signature__ = signature(  # type: ignore[attr-defined]
    FunnelRequest, leading=()
)

# How each option may be written, turned into the request's form (the rest are taken
# as given and checked by the request).
_WRITTEN: dict[str, Any] = {
    "by": lambda v: tuple(normalise_by(v)),
    "data_type": lambda v: str(v).upper(),
    "method": lambda v: str(v).upper(),
    "limit": lambda v: _limit(v),
    "adjust": lambda v: _adjust(v),
    "overdispersion": lambda v: str(v).lower(),
    "shmi_rounding": bool,
    "aggregate": bool,
    "target": lambda v: None if v is None else _float(v, "target"),
    "sd": lambda v: None if v is None else _float(v, "sd"),
}


def build(*, caller: str = "funnel", **options: Any) -> FunnelRequest:
    """A :class:`FunnelRequest` from keyword options; unknown or missing options
    are a TypeError naming them."""
    check_names(FunnelRequest, options, caller=caller)
    return FunnelRequest(
        **{k: _WRITTEN[k](v) if k in _WRITTEN else v for k, v in options.items()}
    )


def run(
    frame: pd.DataFrame, request: FunnelRequest, *, grid: bool = True
) -> FunnelResult:
    """Compute a :class:`FunnelRequest` on a pandas DataFrame.

    ``grid=False`` leaves out the limits on a grid of denominators, which only
    drawing needs: ``limits`` then holds the limits at the units' own denominators,
    and the units' figures are the same to the last bit, because these limits are
    worked out point by point. For SR funnels that is most of the work. Funnels of
    proportions keep the grid: their limits are tidied along it.
    """
    units = collect(
        frame,
        numerator=request.numerator,
        denominator=request.denominator,
        group=request.group,
        by=request.by,
        proportion=request.data_type == st.PR,
        counts=request.data_type != st.MEAN,
        aggregate=request.aggregate,
    )
    # One funnel at a time. Unlike SPC series (millions of short series, where a
    # Python loop would cost more than the arithmetic), funnels are few (thousands)
    # and each has hundreds of units and a grid of 1,000+ denominators, so each pass
    # of this loop is mostly array arithmetic: about 2 ms for 150 units, most of it
    # the exact Poisson limits (docs/methods/funnel.md, "Speed"). Checking the
    # rows and summing them by unit happened above, once for all funnels.
    columns: list[dict[str, np.ndarray]] = []
    grids: list[dict[str, np.ndarray]] = []
    summaries: list[FunnelSummary] = []
    for f in range(units.n_funnels):
        try:
            # Ordinary data never overflow or divide by zero here; numbers extreme
            # enough to (a denominator of 1e-300) are refused rather than carried
            # on as infinities into limits and z-scores.
            with np.errstate(over="raise", divide="raise"):
                unit_columns, lines, summary = _one_funnel(
                    units,
                    int(units.funnel_start[f]),
                    int(units.funnel_start[f + 1]),
                    request,
                    grid=grid,
                )
        except QualitasError as error:
            raise QualitasError(units.in_funnel(f, str(error))) from None
        except (FloatingPointError, ZeroDivisionError, OverflowError):
            raise QualitasError(
                units.in_funnel(
                    f,
                    f"the numbers in {request.numerator!r} and "
                    f"{request.denominator!r} are too extreme to compute a funnel "
                    "(a denominator almost zero, or counts beyond any real one?)",
                )
            ) from None
        columns.append(unit_columns)
        grids.append(lines)
        summaries.append(summary)

    grid_funnel = np.repeat(
        np.arange(units.n_funnels), [len(g["denominator"]) for g in grids]
    )
    table = pd.DataFrame(
        {
            **keys_at(units.keys, units.funnel_code),
            request.group: units.group.to_numpy(),
            **_stack(columns),
        }
    )
    limits = pd.DataFrame({**keys_at(units.keys, grid_funnel), **_stack(grids)})
    summary_table = pd.DataFrame(
        {
            **{k: units.keys[k].reset_index(drop=True) for k in units.keys.columns},
            **{name: [getattr(s, name) for s in summaries] for name in SUMMARY_COLUMNS},
        }
    )
    return FunnelResult(
        units=table,
        limits=limits,
        summaries=summary_table,
        request=request,
        funnels=tuple(summaries),
    )


def _stack(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Columns of several funnels, one after another."""
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _one_funnel(
    units: Units, lo: int, hi: int, request: FunnelRequest, *, grid: bool
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], FunnelSummary]:
    """Units ``lo`` to ``hi`` (one funnel): their columns, the limits on the grid
    (or, without ``grid``, at the units' denominators only), and the summary."""
    num = units.numerator[lo:hi]
    ratio = num / units.denominator[lo:hi]  # before rounding, as FunnelPlotR plots it
    den = units.denominator[lo:hi]
    if request.shmi and request.shmi_rounding:
        den = round_like_r(den, 2)
        _check_rounded(units, lo, den, request)

    target = _target(request, num, den)
    sd = float(request.sd) if request.sd is not None else 1.0
    tr = st.transform(request.data_type, request.method, num, den, target, sd)
    z = tr.z
    trimmed = (
        st.truncate(z, request.trim) if request.shmi else st.winsorise(z, request.trim)
    )
    disp = st.dispersion(trimmed.z, tr.s)
    _check_dispersion(disp, units, lo, z, request)

    adjusted, reason = _decide(request, disp)
    switched_off = request.adjust == "never"
    # Spiegelhalter (2005): phi at most 1 means no overdispersion, so the
    # multiplicative limits fall back to chance (phi = 1), never narrower, whichever
    # limits are drawn or in force.
    phi_used = 1.0 if switched_off else max(disp.phi, 1.0)
    tau2_used = 0.0 if switched_off else disp.tau2

    # Limits on the grid; each unit's limits are the grid rows at its denominator.
    start = 1.1 if request.data_type == st.SR else 3.0
    # Proportions need the grid whatever is asked: their limits are tidied by
    # comparing each grid point with the next (funnel_stats._tidy_proportions).
    whole_grid = grid or request.data_type == st.PR
    x = st.grid(den, start) if whole_grid else np.unique(den)
    s_grid = st.limit_se(request.data_type, request.method, x, sd)
    m = float(request.multiplier)
    if request.data_type == st.SR:
        chance = st.poisson_limits(x, target, m)
    else:
        chance = st.additive_limits(
            request.data_type, request.method, s_grid, target, 0.0, m
        )
    if request.overdispersion == "additive":
        od = st.additive_limits(
            request.data_type, request.method, s_grid, target, tau2_used, m
        )
        inflate = np.sqrt(tr.s**2 + tau2_used) / tr.s
    else:
        od = st.multiplicative_limits(
            request.data_type, request.method, s_grid, target, phi_used, m
        )
        inflate = np.full(len(num), np.sqrt(phi_used))
    limits = {
        "denominator": x,
        "limit_se": s_grid,
        **chance,
        **{f"od_{k}": v for k, v in od.items()},
    }

    at = np.searchsorted(x, den)
    in_force = od if adjusted else chance
    value = ratio * m
    out95 = (value < in_force["lower_95"][at]) | (value > in_force["upper_95"][at])
    out998 = (value < in_force["lower_998"][at]) | (value > in_force["upper_998"][at])
    level = LIMIT_NAMES[request.limit]
    lower = in_force[f"lower_{level}"][at]
    upper = in_force[f"upper_{level}"][at]
    outlier = out95 if request.limit == 95 else out998
    z_adjusted = z / inflate if adjusted else z

    columns = {
        "numerator": num,
        "denominator": den,
        "ratio": value,
        "target": np.full(len(num), target * m),
        "transformed": tr.y,
        "target_transformed": np.full(len(num), tr.target),
        "se": tr.s,
        "z": z,
        "z_trimmed": trimmed.z,
        "trimmed": trimmed.trimmed,
        "rank": trimmed.rank,
        "slice": trimmed.slice,
        "z_adjusted": z_adjusted,
        "limit_se": s_grid[at],
        **{k: v[at] for k, v in chance.items()},
        **{f"od_{k}": v[at] for k, v in od.items()},
        "lower": lower,
        "upper": upper,
        "outlier_95": out95,
        "outlier_998": out998,
        "outlier": outlier,
        "outlier_high": value > upper,
        "outlier_low": value < lower,
    }
    summary = FunnelSummary(
        data_type=request.data_type,
        method=request.method if request.data_type == st.SR else "",
        overdispersion=request.overdispersion,
        adjust=request.adjust,
        limit=request.limit,
        multiplier=m,
        target=target * m,
        n_units=hi - lo,
        n_used=disp.n_used,
        phi=disp.phi,
        tau2=disp.tau2,
        adjusted=adjusted,
        reason=reason,
        n_outliers=int(outlier.sum()),
        n_high=int((value > upper).sum()),
        n_low=int((value < lower).sum()),
    )
    return columns, limits, summary


def _target(request: FunnelRequest, num: np.ndarray, den: np.ndarray) -> float:
    """SR: 1. Otherwise the pooled ratio over all units, unless a target is given."""
    if request.data_type == st.SR:
        return 1.0
    if request.target is not None:
        return float(request.target)
    pooled = float(np.sum(num) / np.sum(den))
    if request.data_type == st.PR and not 0 < pooled < 1:
        raise QualitasError(
            f"the overall proportion is {pooled:g}: with no events (or only events) "
            "in every unit there is nothing to compare"
        )
    if request.data_type == st.RC and pooled == 0:
        raise QualitasError(
            "the numerator is zero in every unit: there is nothing to compare"
        )
    return pooled


def _decide(request: FunnelRequest, disp: st.Dispersion) -> tuple[bool, str]:
    """Whether the limits in force allow for overdispersion, and why, in plain English."""
    model = (
        f"the between-unit variance (tau squared = {disp.tau2:.4g}) is added to each unit's variance"
        if request.overdispersion == "additive"
        else (
            f"each unit's standard error is multiplied by the square root of phi ({np.sqrt(disp.phi):.3f})"
            if disp.phi > 1
            else "each unit's standard error is left as chance alone would make it, since "
            "phi is at most 1 and never narrows the limits"
        )
    )
    spread = f"the units vary {disp.phi:.2f} times as much as chance alone would make them (phi)"
    if request.adjust == "never":
        return False, (
            f"Not adjusted for overdispersion: the adjustment was switched off. For information, {spread}."
        )
    if request.adjust == "always":
        return (
            True,
            f"Adjusted for overdispersion because the adjustment was requested: {spread}, so {model}.",
        )
    if disp.phi > 1:
        return (
            True,
            f"Adjusted for overdispersion: {spread}, more than chance, so {model}.",
        )
    return False, (
        f"Not adjusted for overdispersion: {spread}, no more than chance (phi at most 1), "
        "so the limits show chance variation alone."
    )


def _check_rounded(
    units: Units, lo: int, den: np.ndarray, request: FunnelRequest
) -> None:
    zero = lo + np.flatnonzero(den == 0)
    if len(zero):
        name = units.group.iloc[int(zero[0])]
        raise QualitasError(
            f"unit {name!r} has an expected count below 0.005 in column "
            f"{request.denominator!r} ({describe_rows(list(units.rows_of(zero)))}), which "
            "the SHMI method rounds to 0; use shmi_rounding=False or leave the unit out"
        )


def _check_dispersion(
    disp: st.Dispersion, units: Units, lo: int, z: np.ndarray, request: FunnelRequest
) -> None:
    if disp.n_used < 2:
        raise QualitasError(
            f"only {disp.n_used} unit{'s' if disp.n_used != 1 else ''} remain after trimming "
            f"{request.trim:g} at each end, too few to estimate overdispersion; use more units "
            "or a smaller trim"
        )
    if not np.isfinite(disp.phi):
        bad = lo + np.flatnonzero(~np.isfinite(z))
        names = ", ".join(repr(v) for v in units.group.iloc[bad[:3]].tolist())
        raise QualitasError(
            f"{len(bad)} unit{'s have' if len(bad) > 1 else ' has'} no events ({names}): on "
            "the SHMI log scale their z-scores are infinite and too many to be trimmed "
            "away; use method='CQC', which handles zero counts"
        )


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise QualitasError(
            f"{name} must be one of {', '.join(map(repr, allowed))}, not {value!r}"
        )


def _finite(v: Any) -> bool:
    return (
        isinstance(v, int | float | np.integer | np.floating)
        and not isinstance(v, bool)
        and bool(np.isfinite(v))
    )


def _float(v: Any, name: str) -> float:
    if not _finite(v):
        raise QualitasError(f"{name} must be a number, not {v!r}")
    return float(v)


def _limit(v: Any) -> int:
    """95, 99 or 99.8 (FunnelPlotR calls the 99.8% limits '99')."""
    try:
        number = float(v)
    except (TypeError, ValueError):
        number = np.nan
    if number in (99.0, 99.8):
        return 99
    if number == 95.0:
        return 95
    raise QualitasError(
        f"limit must be 95 (95% limits) or 99 (99.8% limits), not {v!r}"
    )


def _adjust(v: Any) -> str:
    """Accept True/False as well as the three words."""
    if v is True:
        return "always"
    if v is False:
        return "never"
    return str(v).lower()
