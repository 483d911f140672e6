"""The qualitas statistics engine: pure, vectorised SPC across many series at once.

Nothing here imports Django, Spark or does I/O; requests are frozen dataclasses and
results are pandas DataFrames with documented columns (docs/methods/).
"""

from qualitas.spc.chart import chart as chart
from qualitas.spc.rules import Rules
from qualitas.spc.xmr import XmrRequest, XmrResult, xmr

__all__ = ["Rules", "XmrRequest", "XmrResult", "xmr"]
