"""The kernels engines can run, and the tables each one returns.

Each request type of :mod:`qualitas.spc` maps to its kernel function and a description of
its three result tables: column names and types, after the series key columns. Engines
that cannot hand pandas objects around (Spark) build their schemas from this; a test
checks it against what the kernels really return.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from qualitas.errors import QualitasError
from qualitas.spc import rules
from qualitas.spc.xmr import XmrRequest
from qualitas.spc.xmr import run as run_xmr

# Marker for a column that holds periods: it takes the type of the input's period.
PERIOD = "period"
FLOAT = "float64"
INT = "int64"
BOOL = "bool"


@dataclass(frozen=True)
class Kernel:
    """One chart type: how to run it and what it returns."""

    name: str
    run: Callable[[pd.DataFrame, Any], Any]
    values: Callable[[Any], tuple[str, ...]]  # the numeric input columns it reads
    outputs: Mapping[str, Mapping[str, Any]]  # table -> column -> dtype or PERIOD
    order: Mapping[str, tuple[str, ...]]  # row order within a series, per table

    def columns(self, request: Any) -> list[str]:
        """Every input column the request reads: keys, period, values."""
        return list(dict.fromkeys([*request.by, request.period, *self.values(request)]))


XMR = Kernel(
    name="xmr",
    run=run_xmr,
    values=lambda request: (request.value,),
    outputs={
        "points": {
            "period": PERIOD,
            "value": FLOAT,
            "segment": INT,
            "mean": FLOAT,
            "lpl": FLOAT,
            "upl": FLOAT,
            "special_cause": rules.SPECIAL_CAUSE_DTYPE,
            "point_type": rules.POINT_TYPE_DTYPE,
            "short_segment": BOOL,
            "target": FLOAT,
        },
        "summary": {
            "segment": INT,
            "start": PERIOD,
            "end": PERIOD,
            "mean": FLOAT,
            "lpl": FLOAT,
            "upl": FLOAT,
            "n": INT,
            "common_cause": INT,
            "improvement": INT,
            "concern": INT,
            "variation": rules.VARIATION_DTYPE,
            "assurance": rules.ASSURANCE_DTYPE,
            "short_segment": BOOL,
        },
        "icons": {
            "period": PERIOD,
            "value": FLOAT,
            "mean": FLOAT,
            "lpl": FLOAT,
            "upl": FLOAT,
            "target": FLOAT,
            "direction": pd.CategoricalDtype(rules.DIRECTIONS),
            "variation": rules.VARIATION_DTYPE,
            "assurance": rules.ASSURANCE_DTYPE,
        },
    },
    order={"points": ("period",), "summary": ("segment",), "icons": ()},
)

KERNELS: dict[type, Kernel] = {XmrRequest: XMR}


def kernel_for(request: Any) -> Kernel:
    """The kernel that computes ``request``."""
    try:
        return KERNELS[type(request)]
    except KeyError:
        known = ", ".join(sorted(t.__name__ for t in KERNELS))
        raise QualitasError(
            f"no engine kernel for {type(request).__name__}; known requests: {known}"
        ) from None
