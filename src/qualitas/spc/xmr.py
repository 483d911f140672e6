"""The Making Data Count XmR chart: a preset of the one chart model.

XmR is the I chart with NHSRplotthedots 0.2.2's conventions (docs/methods/xmr.md):
limits at 2.66 mean moving ranges either side of the mean, moving ranges at or above
3.267 times their mean screened out in one pass, a new phase exactly at each period
named in ``part``, phases shorter than 13 points marked as trial limits, and the Making
Data Count rules and icons. It runs through :func:`qualitas.spc.chart.chart` like every
other chart type (``chart="xmr"``) and returns the same result tables; :func:`xmr` is
the preset's entry point.

>>> import pandas as pd
>>> data = pd.DataFrame({
...     "month": pd.date_range("2024-01-01", periods=12, freq="MS"),
...     "value": [5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 15],
... })
>>> result = xmr(data, value="value", period="month")
>>> result.icons.loc[0, "variation"]
'improvement_high'
>>> result.points["special_cause"].iloc[-1]
'above_upl'
>>> bool(result.points["trial_limits"].iloc[0])
True
"""

from __future__ import annotations

from typing import Any

from qualitas.spc.chart import ChartRequest, ChartResult, chart
from qualitas.spc.individuals import (
    LIMIT_FACTOR,
    NEAR_FACTOR,
    SHORT_SEGMENT,
    xmr_chart,
)
from qualitas.spc.options import declared

__all__ = ["LIMIT_FACTOR", "NEAR_FACTOR", "SHORT_SEGMENT", "xmr", "xmr_chart"]


@declared(ChartRequest, skip=("chart",))
def xmr(data: Any, **options: Any) -> ChartResult:
    """Making Data Count XmR charts for every series in ``data``: ``chart(data,
    chart="xmr", ...)``, with the same options and the same result tables as every
    chart type (see :func:`qualitas.spc.chart.chart`)."""
    if "chart" in options:
        raise TypeError("xmr() takes no chart option: it draws an XmR chart")
    return chart(data, chart="xmr", **options)
