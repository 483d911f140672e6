"""Build proms_hip_knee_provider_outliers_2016_2019.csv from NHS Digital's PROMs files.

Usage: python data/make_proms_hip_knee_provider_outliers.py SOURCE_FOLDER

SOURCE_FOLDER holds the two stacked NHS Digital PROMs CSV files described in
data/README.md: the annual "ProvComm" data packs 2016-17 to 2018-19 and the 2018-19
"Time Series" file. One output row per provider, year, procedure and measure that NHS
Digital placed on a funnel plot (its outlier verdict is not "Insufficient records" or
"No procedures"), with the national figures the funnel is drawn around.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

YEARS = {"2016-17": 2016, "2017-18": 2017, "2018-19": 2018}
VERDICTS = {
    "Not an outlier",
    "Positive outlier (95%)",
    "Negative outlier (95%)",
    "Positive outlier (99.8%)",
    "Negative outlier (99.8%)",
}


def build(source: Path) -> pd.DataFrame:
    packs = pd.read_csv(source / "proms_hip_knee_provider_ccg_2016_2019.csv", dtype=str)
    series = pd.read_csv(
        source / "proms_hip_knee_provider_timeseries_2011_2019.csv", dtype=str
    )
    key = ["Year", "Procedure", "Measure"]
    england = packs[packs["Organisation Type"] == "England"][
        [*key, "Adjusted Average Health Gain", "Standard Deviation"]
    ].rename(
        columns={
            "Adjusted Average Health Gain": "england_adjusted_health_gain",
            "Standard Deviation": "england_sd",
        }
    )
    providers = packs[packs["Organisation Type"] == "Provider"][
        [*key, "Organisation Code", "Modelled Records", "Adjusted Average Health Gain"]
    ].rename(
        columns={
            "Organisation Code": "OrgCode",
            "Modelled Records": "modelled_records_data_pack",
            "Adjusted Average Health Gain": "adjusted_health_gain",
        }
    )
    parts = []
    for year, y in YEARS.items():
        part = series[
            [
                "OrgCode",
                "OrgName",
                "Procedure",
                "Measure",
                f"Modelled_Records_{y}",
                f"Adjusted_Health_Gain_{y}",
                f"Outlier_{y}",
            ]
        ].rename(
            columns={
                f"Modelled_Records_{y}": "modelled_records",
                f"Adjusted_Health_Gain_{y}": "adjusted_health_gain_3dp",
                f"Outlier_{y}": "published_outlier",
            }
        )
        part.insert(0, "Year", year)
        parts.append(part)
    flags = pd.concat(parts, ignore_index=True)
    flags = flags[
        flags["published_outlier"].isin(VERDICTS) & (flags["OrgCode"] != "England")
    ]
    out = flags.merge(
        providers,
        on=["Year", "OrgCode", "Procedure", "Measure"],
        how="left",
        validate="1:1",
    )
    out = out.merge(england, on=key, how="left", validate="m:1")
    missing = out["adjusted_health_gain"].isna() | out["england_sd"].isna()
    if missing.any():
        raise SystemExit(f"{int(missing.sum())} rows have no data-pack figures")
    # The data pack gives the health gain to 6 significant figures, the time series
    # to 3 decimals: check they are the same figure before using the precise one.
    same = np.isclose(
        pd.to_numeric(out["adjusted_health_gain"]).round(3),
        pd.to_numeric(out["adjusted_health_gain_3dp"]),
        atol=1.5e-3,
    )
    if not same.all():
        raise SystemExit(
            f"{int((~same).sum())} health gains differ between the two files"
        )
    out = out.rename(
        columns={
            "Year": "year",
            "OrgCode": "org_code",
            "OrgName": "org_name",
            "Procedure": "procedure",
            "Measure": "measure",
        }
    )
    columns = [
        "year",
        "procedure",
        "measure",
        "org_code",
        "org_name",
        "modelled_records",
        "modelled_records_data_pack",
        "adjusted_health_gain",
        "england_adjusted_health_gain",
        "england_sd",
        "published_outlier",
    ]
    return (
        out[columns]
        .sort_values(["year", "procedure", "measure", "org_code"])
        .reset_index(drop=True)
    )


if __name__ == "__main__":
    target = Path(__file__).with_name("proms_hip_knee_provider_outliers_2016_2019.csv")
    build(Path(sys.argv[1])).to_csv(target, index=False)
    print(f"wrote {target}")
