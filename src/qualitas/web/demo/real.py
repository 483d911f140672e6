"""The real public data in the repository's data/ folder, as upload-format tables.

Each function returns rows with the columns of a qualitas upload (measure,
organisation, period, value or numerator and denominator, breakdown, stratum), so the
demonstration loads them through the same checks as any user's file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = [
    "measure",
    "organisation",
    "period",
    "value",
    "numerator",
    "denominator",
    "unit",
    "breakdown",
    "stratum",
]


def _frame(**cols) -> pd.DataFrame:
    n = max(
        len(v)
        for v in cols.values()
        if hasattr(v, "__len__") and not isinstance(v, str)
    )
    out = {c: cols.get(c, [""] * n) for c in COLUMNS}
    for c in COLUMNS:
        if isinstance(out[c], str):
            out[c] = [out[c]] * n
    return pd.DataFrame(out)


def ae(folder: Path, orgs: list[str] | None) -> pd.DataFrame:
    """(``orgs`` None: every organisation in the file.) A&E 4-hour performance, attendances and emergency admissions (type 1), monthly."""
    d = pd.read_csv(folder / "ae_attendances.csv", dtype={"type": str})
    if orgs is not None:
        d = d[d["org_code"].isin(orgs)]
    t1 = d[d["type"] == "1"]
    admissions = d.groupby(["org_code", "period"], as_index=False)["admissions"].sum()
    return pd.concat(
        [
            _frame(
                measure="ae-4-hour",
                organisation=t1["org_code"].to_numpy(),
                period=t1["period"].to_numpy(),
                numerator=(t1["attendances"] - t1["breaches"]).to_numpy(),
                denominator=t1["attendances"].to_numpy(),
            ),
            _frame(
                measure="ae-attendances",
                organisation=t1["org_code"].to_numpy(),
                period=t1["period"].to_numpy(),
                value=t1["attendances"].to_numpy(),
            ),
            _frame(
                measure="emergency-admissions",
                organisation=admissions["org_code"].to_numpy(),
                period=admissions["period"].to_numpy(),
                value=admissions["admissions"].to_numpy(),
            ),
        ],
        ignore_index=True,
    )


def cancer(folder: Path, orgs: list[str] | None) -> pd.DataFrame:
    d = pd.read_csv(folder / "cancer_62day_trust_monthly.csv")
    d = d[(orgs is None or d["org_code"].isin(orgs)) & (d["total_patients"] > 0)]
    return _frame(
        measure="cancer-62-day",
        organisation=d["org_code"].to_numpy(),
        period=d["period_date"].to_numpy(),
        numerator=d["within_62d"].to_numpy(),
        denominator=d["total_patients"].to_numpy(),
    )


def _quarter_start(label: pd.Series) -> pd.Series:
    """'2019-20 Q3' -> '2019-10-01' (financial-year quarters start in April)."""
    year = label.str.slice(0, 4).astype(int)
    q = label.str.slice(-1).astype(int)
    month = (q - 1) * 3 + 4
    year = year + (month > 12)
    month = np.where(month > 12, month - 12, month)
    return pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": 1})
    ).dt.strftime("%Y-%m-%d")


def panel(folder: Path, orgs: list[str] | None) -> pd.DataFrame:
    """Quarterly bed occupancy, 12-hour waits, criteria to reside, cancelled operations."""
    d = pd.read_csv(folder / "trust_quarterly_panel_2018_2025.csv")
    # England's own row is a total, not an organisation.
    d = d[d["org_code"].isin(orgs) if orgs is not None else d["org_code"] != "ENGLAND"]
    d = d.copy()
    d["start"] = _quarter_start(d["period"])
    parts = []

    def ratio(code: str, num: str, den: str) -> None:
        x = d[d[num].notna() & d[den].notna() & (d[den] > 0)]
        parts.append(
            _frame(
                measure=code,
                organisation=x["org_code"].to_numpy(),
                period=x["start"].to_numpy(),
                numerator=x[num].round(6).to_numpy(),
                denominator=x[den].round(6).to_numpy(),
            )
        )

    def value(code: str, col: str) -> None:
        x = d[d[col].notna()]
        parts.append(
            _frame(
                measure=code,
                organisation=x["org_code"].to_numpy(),
                period=x["start"].to_numpy(),
                value=x[col].round(6).to_numpy(),
            )
        )

    ratio("bed-occupancy", "kh03_occ_ga_avg_beds", "kh03_avail_ga_avg_beds")
    ratio("maternity-bed-occupancy", "kh03_occ_mat_avg_beds", "kh03_avail_mat_avg_beds")
    value("twelve-hour-waits", "ae_waits_12hr_decision_to_admit")
    value("not-meeting-criteria-to-reside", "uec_uec_nctr_mean")
    ratio("cancelled-ops-28-day", "canc_breaches_28d", "canc_cancelled_ops")
    return pd.concat(parts, ignore_index=True)


def proms(folder: Path, orgs: list[str] | None) -> pd.DataFrame:
    d = pd.read_csv(folder / "proms_hip_knee_provider_timeseries_2011_2019.csv")
    wanted = {
        ("Total Hip Replacement", "Oxford Hip Score"): "hip-health-gain",
        ("Total Knee Replacement", "Oxford Knee Score"): "knee-health-gain",
    }
    parts = []
    for (procedure, measure), code in wanted.items():
        x = d[
            (d["OrgCode"].isin(orgs) if orgs is not None else d["OrgCode"] != "England")
            & (d["Procedure"] == procedure)
            & (d["Measure"] == measure)
        ]
        long = x.melt(
            id_vars=["OrgCode"],
            value_vars=[c for c in x.columns if c.startswith("Adjusted_Health_Gain_")],
        )
        long["value"] = pd.to_numeric(long["value"], errors="coerce")
        long = long[long["value"].notna()]
        year = long["variable"].str.slice(-4)
        # The patients behind each mean (suppressed counts, '*', are left empty):
        # a funnel of means needs them as the denominator, with the total health
        # gain as the numerator.
        records = x.melt(
            id_vars=["OrgCode"],
            value_vars=[c for c in x.columns if c.startswith("Modelled_Records_")],
        )
        records["year"] = records["variable"].str.slice(-4)
        count = long.assign(year=year).merge(
            records[["OrgCode", "year", "value"]].rename(columns={"value": "n"}),
            on=["OrgCode", "year"],
            how="left",
        )["n"]
        n = pd.to_numeric(count, errors="coerce").to_numpy()
        known = np.isfinite(n) & (n > 0)
        parts.append(
            _frame(
                measure=code,
                organisation=long["OrgCode"].to_numpy(),
                period=(year + "-04-01").to_numpy(),
                value=long["value"].to_numpy(),
                numerator=np.where(
                    known, np.round(long["value"].to_numpy() * n, 4), np.nan
                ),
                denominator=np.where(known, n, np.nan),
            )
        )
    return pd.concat(parts, ignore_index=True)


def talking_therapies(folder: Path, orgs: list[str]) -> pd.DataFrame:
    """Recovery rate: totals for the trust and the ICB, and the ICB's breakdowns."""
    d = pd.read_csv(
        folder / "nhs_talking_therapies_west_yorkshire.csv",
        dtype=str,
        keep_default_na=False,
    )
    d = d[
        d["org_code"].isin(orgs) & d["measure_name"].isin(["recovery", "at_caseness"])
    ]
    d = d[d["value"].str.fullmatch(r"\d+")]  # suppressed counts ('*') are left out
    d = d[(d["variable_type"] == "Total") | d["variable_b"].isin(["All", "", "NULL"])]
    breakdown = d["variable_type"].map(
        {
            "Total": "",
            "Indices of Deprivation Decile": "deprivation decile",
            "Ethnic Group": "ethnicity",
        }
    )
    stratum = np.where(breakdown == "", "", d["variable_a"])
    d = d.assign(breakdown=breakdown.to_numpy(), stratum=stratum)
    d = d[~d["stratum"].str.contains("Not stated|Not known|Invalid", regex=True)]
    wide = d.pivot_table(
        index=["org_code", "start_date", "breakdown", "stratum"],
        columns="measure_name",
        values="value",
        aggfunc="first",
    ).reset_index()
    wide = wide.dropna(subset=["recovery", "at_caseness"])
    wide = wide[wide["at_caseness"].astype(int) > 0]
    return _frame(
        measure="talking-therapies-recovery",
        organisation=wide["org_code"].to_numpy(),
        period=wide["start_date"].to_numpy(),
        numerator=wide["recovery"].astype(int).to_numpy(),
        denominator=wide["at_caseness"].astype(int).to_numpy(),
        breakdown=wide["breakdown"].to_numpy(),
        stratum=wide["stratum"].to_numpy(),
    )
