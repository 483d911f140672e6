"""The qualitas statistics engine: pure, vectorised SPC across many series at once.

Nothing here imports Django, Spark or does I/O; requests are frozen dataclasses and
results are pandas DataFrames with documented columns (docs/methods/). Every chart
type, Making Data Count's XmR among them, is one request type (:class:`ChartRequest`)
and one result schema (:class:`ChartResult`).
"""

from qualitas.spc.chart import ChartRequest, ChartResult, chart
from qualitas.spc.funnel import FunnelResult, funnel
from qualitas.spc.opportunity import opportunity
from qualitas.spc.rules import Rules
from qualitas.spc.xmr import xmr

__all__ = [
    "ChartRequest",
    "ChartResult",
    "FunnelResult",
    "Rules",
    "chart",
    "funnel",
    "opportunity",
    "xmr",
]
