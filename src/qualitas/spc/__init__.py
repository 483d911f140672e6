"""The qualitas statistics engine: pure, vectorised SPC across many series at once.

Nothing here imports Django, Spark or does I/O; requests are frozen dataclasses and
results are pandas DataFrames with documented columns (docs/methods/).
"""

from qualitas.spc.chart import chart
from qualitas.spc.funnel import FunnelResult, funnel
from qualitas.spc.opportunity import opportunity
from qualitas.spc.rules import Rules
from qualitas.spc.xmr import XmrRequest, XmrResult, xmr

__all__ = [
    "FunnelResult",
    "Rules",
    "XmrRequest",
    "XmrResult",
    "chart",
    "funnel",
    "opportunity",
    "xmr",
]
