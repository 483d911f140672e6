from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualitas.cli.main import app


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


@pytest.fixture
def wards():
    """Two wards, 20 months each; ward B has a clear fall in its last months."""
    months = pd.date_range("2023-01-01", periods=20, freq="MS")
    a = [5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 7, 6, 5, 6, 7, 6, 5, 6, 7]
    b = [9, 10, 9, 11, 10, 9, 10, 11, 10, 9, 10, 11, 10, 9, 4, 3, 4, 3, 4, 3]
    return pd.DataFrame(
        {
            "month": list(months) * 2,
            "ward": ["A"] * 20 + ["B"] * 20,
            "falls": a + b,
            "goal": [8.0] * 40,
        }
    )


@pytest.fixture
def wards_csv(tmp_path, wards):
    path = tmp_path / "wards.csv"
    wards.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path
