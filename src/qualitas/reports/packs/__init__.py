"""Board packs: a meeting's integrated quality report as PDF and PowerPoint.

A :class:`Pack` holds everything a pack shows (plain data, no database); the charts
are Vega-Lite specs drawn as PNG by vl-convert. Draw them once with
:func:`render_charts` and pass them to both :func:`pack_pdf` and :func:`pack_pptx`.

>>> import datetime as dt
>>> pack = Pack(title="Quality Committee", organisation="Example Trust",
...             meeting_date=dt.date(2025, 5, 8), data_cut="March 2025", measures=())
>>> pack_pdf(pack)[:5]
b'%PDF-'
"""

from qualitas.reports.packs.images import print_spec, render_charts
from qualitas.reports.packs.model import (
    Pack,
    PackAction,
    PackDecision,
    PackGridCell,
    PackGridRow,
    PackMeasure,
    PackProject,
    PackSystemGrid,
)
from qualitas.reports.packs.pdf import pack_pdf
from qualitas.reports.packs.slides import pack_pptx

__all__ = [
    "Pack",
    "PackAction",
    "PackDecision",
    "PackGridCell",
    "PackGridRow",
    "PackMeasure",
    "PackProject",
    "PackSystemGrid",
    "pack_pdf",
    "pack_pptx",
    "print_spec",
    "render_charts",
]
