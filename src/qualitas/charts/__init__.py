"""Charts in the Making Data Count house style, as Vega-Lite specs: XmR charts
(:func:`xmr_chart`), every ``qualitas.spc.chart`` type (:func:`spc_chart`) and funnel
plots (:func:`funnel_chart`).

A spec is a plain dict: the web application embeds it with vega-embed, and
:func:`render` turns it into SVG, PNG or a self-contained HTML page.

>>> import pandas as pd
>>> from qualitas.spc import xmr
>>> data = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=15, freq="MS"),
...                      "value": [5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 7, 6, 5, 15]})
>>> spec = xmr_chart(xmr(data, value="value", period="month"), title="Falls per 1,000 bed days")
>>> render(spec, "svg").startswith("<svg")
True
"""

from qualitas.charts.common import series_label
from qualitas.charts.funnel import funnel_chart
from qualitas.charts.icons import assurance_icon, variation_icon
from qualitas.charts.render import html_page, javascript_bundle, render, save
from qualitas.charts.spc import spc_chart
from qualitas.charts.xmr import series_keys, xmr_chart, xmr_charts

__all__ = [
    "assurance_icon",
    "funnel_chart",
    "html_page",
    "javascript_bundle",
    "render",
    "save",
    "series_keys",
    "series_label",
    "spc_chart",
    "variation_icon",
    "xmr_chart",
    "xmr_charts",
]
