"""The demonstration: four-hour A&E performance of every trust, as a board dashboard.

Real data shipped in the repository (``data/ae_attendances.csv``, NHS England's monthly
A&E statistics, April 2016 to March 2019, via the NHSRdatasets package; names of trusts in
``data/trust_names.csv``, see the ``.md`` files beside them). Performance is the share
of patients at type 1 (major) A&E departments who spent four hours or less in A&E,
``1 - breaches / attendances``, against the 95% operational standard; higher is better.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import qualitas
from qualitas.errors import QualitasError
from qualitas.reports.dashboard import write_dashboard
from qualitas.spc import ChartResult, xmr

DATA_DIR = qualitas.DATA_DIR
STANDARD = 0.95
TITLE = "A&E four-hour performance: type 1 departments"
DESCRIPTION = (
    "Share of patients who spent four hours or less in a major (type 1) emergency department, "
    "each trust each month, April 2016 to March 2019, against the 95% standard. "
    "Source: NHS England A&E Attendances and Emergency Admissions, via NHSRdatasets (Open Government Licence v3.0)."
)


def ae_performance(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """One row per trust and month: ``org_code``, ``org_name``, ``period``,
    ``attendances``, ``breaches`` and ``performance``."""
    path = data_dir / "ae_attendances.csv"
    if not path.exists():
        raise QualitasError(
            f"the demo data are missing: {path} (run from a clone of the qualitas repository)"
        )
    data = pd.read_csv(
        path, dtype={"org_code": str, "type": str}, parse_dates=["period"]
    )
    data = data[data["type"] == "1"].copy()
    data["performance"] = 1 - data["breaches"] / data["attendances"]
    names_path = data_dir / "trust_names.csv"
    if names_path.exists():
        names = pd.read_csv(names_path, dtype=str)
        data = data.merge(names, on="org_code", how="left")
    else:
        data["org_name"] = data["org_code"]
    data["org_name"] = data["org_name"].fillna(data["org_code"])
    return data[
        ["org_code", "org_name", "period", "attendances", "breaches", "performance"]
    ].reset_index(drop=True)


def ae_result(data: pd.DataFrame) -> ChartResult:
    """XmR charts of four-hour performance for every trust, against the 95% standard."""
    return xmr(
        data,
        value="performance",
        period="period",
        by="org_code",
        direction="increase",
        target=STANDARD,
    )


def write_ae_dashboard(
    out_dir: Path, data_dir: Path = DATA_DIR
) -> tuple[Path, ChartResult]:
    """Compute every trust's chart and write the dashboard to ``out_dir/index.html``."""
    data = ae_performance(data_dir)
    result = ae_result(data)
    names = dict(
        zip(
            data["org_code"],
            data["org_name"] + " (" + data["org_code"] + ")",
            strict=True,
        )
    )
    path = write_dashboard(
        result,
        out_dir,
        title=TITLE,
        description=DESCRIPTION,
        names=names,
        value_format=".1%",
        y_title="Seen within 4 hours",
    )
    return path, result
