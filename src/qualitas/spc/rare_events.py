"""Charts for rare events: G (cases between events) and T (time between events).

qicharts2 0.8.1 formulas (docs/methods/qicharts.md). Counting what happens between
events turns a rare event, whose monthly count is mostly zero, into a measure that
moves every time an event occurs: a rise means events have become rarer.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qualitas.spc.individuals import i_chart
from qualitas.spc.lines import KernelInput, Lines
from qualitas.spc.reductions import segment_mean, segment_median

T_POWER = 3.6  # y ** (1 / 3.6) makes exponential waiting times nearly normal
GEOMETRIC_MEDIAN = (
    0.693  # median of a geometric distribution relative to its mean (ln 2)
)


def g_chart(inp: KernelInput) -> Lines:
    """Limits from the geometric distribution with the baseline mean; the centre
    line drawn (and used by the run rules) is the baseline median, or 0.693 times a
    centre line the user fixed."""
    y = inp.value
    seg = inp.seg
    m = inp.centre(segment_mean(y, inp.base, seg))
    with np.errstate(invalid="ignore"):
        s = np.sqrt(m * (m + 1))
    median = segment_median(y, inp.base, seg)[seg.id]
    cl = np.where(np.isnan(inp.cl), median, GEOMETRIC_MEDIAN * inp.cl)
    return Lines(
        value=y,
        cl=cl,
        lcl=np.maximum(m - 3 * s, 0.0),
        ucl=m + 3 * s,
        lcl_95=np.maximum(m - 2 * s, 0.0),
        ucl_95=m + 2 * s,
    )


def t_chart(inp: KernelInput) -> Lines:
    """An I chart of y ** (1/3.6), with everything raised back to the power 3.6.

    A lower limit below zero on the transformed scale becomes 0; the lower
    two-sigma line becomes missing, as in qicharts2. A centre line fixed by the
    user is taken on the transformed scale, as qicharts2 takes it: a centre of d
    days is given as d ** (1/3.6).
    """
    transformed = replace(inp, sub=replace(inp.sub, value=inp.value ** (1 / T_POWER)))
    lines = i_chart(transformed)
    with np.errstate(invalid="ignore"):
        lcl = lines.lcl**T_POWER
        return Lines(
            value=lines.value**T_POWER,
            cl=lines.cl**T_POWER,
            lcl=np.where(np.isnan(lcl) | (lcl < 0), 0.0, lcl),
            ucl=lines.ucl**T_POWER,
            lcl_95=lines.lcl_95**T_POWER,
            ucl_95=lines.ucl_95**T_POWER,
        )
