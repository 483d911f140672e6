"""The kernels engines can run, and the tables each one returns.

Each request type of :mod:`qualitas.spc` maps to its kernel function and a description of
its result tables (points, summary and, where the request asks for icons, icons): column
names and types, after the series key columns. Engines that cannot hand pandas objects
around (Spark) build their schemas from this; a test checks it against what the kernels
really return.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from qualitas.engines.base import Tables
from qualitas.errors import QualitasError
from qualitas.spc import rules
from qualitas.spc.chart import ChartRequest
from qualitas.spc.chart import run as run_chart
from qualitas.spc.funnel import (
    SUMMARY_COLUMNS,
    UNIT_COLUMNS,
    UNIT_FLAGS,
    FunnelRequest,
)
from qualitas.spc.funnel import run as run_funnels

# Marker for a column that holds periods: it takes the type of the input's period.
PERIOD = "period"
FLOAT = "float64"
INT = "int64"
NULLABLE_INT = "Int64"  # whole numbers, some missing
BOOL = "bool"
TEXT = "object"  # Python strings


@dataclass(frozen=True)
class SameAs:
    """Marker for a column that takes the type of the input column ``column`` (a
    funnel's unit names keep the type of the group column)."""

    column: str


Columns = dict[str, Any]  # column -> dtype (or PERIOD, or SameAs)


@dataclass(frozen=True)
class Kernel:
    """One kind of chart: how to run it and what it returns."""

    name: str
    run: Callable[[pd.DataFrame, Any], Any]
    inputs: Callable[[Any], tuple[str, ...]]  # columns read besides keys and period
    outputs: Callable[[Any], dict[str, Columns]]  # table -> its columns
    order: Mapping[str, tuple[str, ...]]  # row order within a series, per table
    periodic: bool = True  # whether requests name a period column (funnels do not)

    def period(self, request: Any) -> str | None:
        """The request's period column, or None for a kernel without periods."""
        return str(request.period) if self.periodic else None

    def columns(self, request: Any) -> list[str]:
        """Every input column the request reads: keys, period, values."""
        period = self.period(request)
        return list(
            dict.fromkeys(
                [*request.by, *([period] if period else []), *self.inputs(request)]
            )
        )


def chart_outputs(request: ChartRequest) -> dict[str, Columns]:
    """The chart tables of every chart type; Making Data Count rules add labels,
    counts and icons."""
    lines = dict.fromkeys(("cl", "lcl", "ucl", "lcl_95", "ucl_95"), FLOAT)
    points: Columns = {
        "period": PERIOD,
        "value": FLOAT,
        "phase": INT,
        **lines,
        "target": FLOAT,
        "trial_limits": BOOL,
        "baseline": BOOL,
        "include": BOOL,
        "sigma_signal": BOOL,
        "runs_signal": BOOL,
        "observations": INT,
        "total": FLOAT,
        "subgroup_mean": FLOAT,
        "subgroup_sd": FLOAT,
        "denominator": FLOAT,
    }
    runs = ("longest_run", "longest_run_max", "n_crossings", "n_crossings_min")
    summary: Columns = {
        "phase": INT,
        "start": PERIOD,
        "end": PERIOD,
        "n_obs": INT,
        "n_useful": INT,
        **dict.fromkeys(runs, NULLABLE_INT),
        "runs_signal": BOOL,
        **lines,
        "sigma_signals": INT,
        "trial_limits": BOOL,
    }
    if request.rules is None:
        return {"points": points, "summary": summary}
    points |= {
        "special_cause": rules.SPECIAL_CAUSE_DTYPE,
        "point_type": rules.POINT_TYPE_DTYPE,
    }
    summary |= {
        "common_cause": INT,
        "improvement": INT,
        "concern": INT,
        "variation": rules.VARIATION_DTYPE,
        "assurance": rules.ASSURANCE_DTYPE,
    }
    icons: Columns = {
        "period": PERIOD,
        "value": FLOAT,
        "cl": FLOAT,
        "lcl": FLOAT,
        "ucl": FLOAT,
        "target": FLOAT,
        "direction": pd.CategoricalDtype(list(rules.DIRECTIONS)),
        "variation": rules.VARIATION_DTYPE,
        "assurance": rules.ASSURANCE_DTYPE,
    }
    return {"points": points, "summary": summary, "icons": icons}


def _chart_inputs(request: ChartRequest) -> tuple[str, ...]:
    # `part` may name a column of phase labels, `cl` a column of centre lines.
    part = (request.part,) if isinstance(request.part, str) else ()
    cl = (request.cl,) if isinstance(request.cl, str) else ()
    return (
        request.value,
        *((request.denominator,) if request.denominator else ()),
        *part,
        *cl,
    )


CHART = Kernel(
    name="chart",
    run=run_chart,
    inputs=_chart_inputs,
    outputs=chart_outputs,
    order={"points": ("period",), "summary": ("phase",), "icons": ()},
)

FUNNEL_UNIT_COLUMNS: Columns = {
    name: BOOL if name in UNIT_FLAGS else FLOAT for name in UNIT_COLUMNS
}
_SUMMARY_TYPES = {"str": TEXT, "int": INT, "float": FLOAT, "bool": BOOL}


def funnel_outputs(request: FunnelRequest) -> dict[str, Columns]:
    """Funnel tables: "points" has one row per unit (``FunnelResult.units``),
    "summary" one per funnel (``FunnelResult.summaries``); no icons."""
    return {
        "points": {request.group: SameAs(request.group), **FUNNEL_UNIT_COLUMNS},
        "summary": {name: _SUMMARY_TYPES[t] for name, t in SUMMARY_COLUMNS.items()},
    }


def run_funnel(frame: pd.DataFrame, request: FunnelRequest) -> Tables[pd.DataFrame]:
    """The funnels' units and summaries as an engine's tables. The limits on a grid,
    for drawing one funnel, are not computed: for SR funnels they are most of the
    work, and the units' own limits come out the same without them."""
    result = run_funnels(frame, request, grid=False)
    return Tables(points=result.units, summary=result.summaries, icons=None)


FUNNEL = Kernel(
    name="funnel",
    run=run_funnel,
    inputs=lambda request: (request.numerator, request.denominator, request.group),
    outputs=funnel_outputs,
    # Within a funnel, units stay in the order the kernel gives them (by name); the
    # group column's name varies by request, so it is not listed here.
    order={"points": (), "summary": ()},
    periodic=False,
)

KERNELS: dict[type, Kernel] = {
    ChartRequest: CHART,
    FunnelRequest: FUNNEL,
}


def kernel_for(request: Any) -> Kernel:
    """The kernel that computes ``request``."""
    try:
        return KERNELS[type(request)]
    except KeyError:
        known = ", ".join(sorted(t.__name__ for t in KERNELS))
        raise QualitasError(
            f"no engine runs {type(request).__name__} yet; engines run {known}"
        ) from None
