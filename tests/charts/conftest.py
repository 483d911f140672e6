from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qualitas.spc import xmr


def monthly(values, start="2022-01-01"):
    return pd.DataFrame(
        {"month": pd.date_range(start, periods=len(values), freq="MS"), "value": values}
    )


@pytest.fixture
def mixed_result():
    """One series with improvement (above the upper limit) and concern (a shift below
    the mean) points, a rebase and a target."""
    first = (
        [49.0, 51.0] * 6 + [60.0] + [49.5] * 8
    )  # above the upper limit, then a shift below the mean
    second = [40.0, 41.0] * 8
    data = monthly(np.r_[first, second])
    return xmr(data, value="value", period="month", target=45, part=["2023-10-01"])
