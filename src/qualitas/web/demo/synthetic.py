"""Generated monthly series for measures with no public trust-level data.

Every series comes from a seeded NumPy generator, so the demonstration is the same on
every machine. Values are drawn as counts (Poisson) or proportions (binomial) around a
realistic level for each trust, with the signals a board would meet: a falls bundle
that shifts falls down, a C. difficile outbreak, a winter rise in sickness, a widening
and then closing gap between deprived and affluent groups. ``STORIES`` lists them, with
the notes the demonstration writes on the charts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qualitas.web.demo.catalogue import ACUTE, PRACTICES, WARDS

START, MONTHS = "2021-10-01", 48
PERIODS = pd.date_range(START, periods=MONTHS, freq="MS")
# Occupied bed days per month: how big each trust is.
BED_DAYS = {"RR8": 52000, "RAE": 21000, "RWY": 19000, "RCF": 8500, "RXF": 27000}
# Practice list sizes (people on the diabetes register).
DIABETES_REGISTER = {"Y99001": 980, "Y99002": 640, "Y99003": 720}
LD_REGISTER = {"Y99001": 95, "Y99002": 60, "Y99003": 70}

QUINTILES = ["1 (most deprived)", "2", "3", "4", "5 (least deprived)"]
ETHNIC_GROUPS = [
    "White",
    "Asian or Asian British",
    "Black or Black British",
    "Mixed",
    "Other ethnic group",
]


@dataclass(frozen=True)
class Spec:
    """How one measure's values are drawn.

    ``kind``: "rate" (numerator counted from a denominator with probability ``level``
    / multiplier), "count" (Poisson with mean ``level`` per 1,000 bed days, or per month
    when ``per_bed_day`` is false) or "mean" (normal around ``level`` with ``noise``).
    ``den``: denominator per 1,000 bed days (rates). ``spread``: how much trusts differ
    (multiplicative). ``winter``: extra fraction in December-February.
    """

    kind: str
    level: float
    multiplier: float = 100.0
    den: float = 0.0
    spread: float = 0.08
    winter: float = 0.0
    noise: float = 0.0
    per_bed_day: bool = True


SPECS: dict[str, Spec] = {
    "falls-per-1000-bed-days": Spec("rate", 6.2, 1000, den=1000),
    "falls-with-harm": Spec("rate", 0.19, 1000, den=1000),
    "pressure-ulcers": Spec("rate", 0.85, 1000, den=1000),
    "c-difficile": Spec("count", 0.16),
    "mrsa-bacteraemia": Spec("count", 0.006),
    "e-coli-bsi": Spec("count", 0.11),
    "hand-hygiene": Spec("rate", 93.5, den=9, spread=0.02),
    "vte-risk-assessment": Spec("rate", 94.6, den=220, spread=0.01),
    "sepsis-antibiotics": Spec("rate", 81.0, den=3.2, spread=0.05),
    "medication-incidents": Spec("rate", 4.6, 1000, den=1000, spread=0.2),
    "staff-sickness": Spec("rate", 5.1, den=7000, spread=0.08, winter=0.18),
    "staff-turnover": Spec("rate", 1.0, den=280, spread=0.1),
    "nursing-vacancy-rate": Spec("rate", 8.5, den=95, spread=0.15),
    "agency-spend": Spec("rate", 4.2, den=60000, spread=0.25),
    "fft-inpatient": Spec("rate", 94.2, den=55, spread=0.015),
    "fft-ae": Spec("rate", 79.5, den=40, spread=0.04),
    "fft-maternity": Spec("rate", 93.0, den=11, spread=0.02),
    "complaints": Spec("rate", 2.3, 1000, den=420, spread=0.2),
    "mixed-sex-breaches": Spec("count", 0.05, spread=0.4),
    "readmissions-30-day": Spec("rate", 13.4, den=420, spread=0.06),
    "shmi": Spec("mean", 1.0, 1, spread=0.05, noise=0.045),
    "length-of-stay": Spec("mean", 5.7, 1, spread=0.08, noise=0.22, winter=0.08),
    "theatre-utilisation": Spec("rate", 78.0, den=8000, spread=0.04),
    "outpatient-dna": Spec("rate", 7.4, den=2000, spread=0.1),
    "ambulance-handovers-60": Spec("count", 1.6, spread=0.35, winter=0.6),
    "diagnostic-6-weeks": Spec("rate", 24.0, den=600, spread=0.2),
    "rtt-18-weeks": Spec("rate", 58.0, den=2900, spread=0.06),
    "diabetes-care-processes": Spec(
        "rate", 56.0, den=1, spread=0.08, per_bed_day=False
    ),
    "diabetes-hba1c": Spec("rate", 63.0, den=1, spread=0.04, per_bed_day=False),
    "ld-health-checks": Spec("rate", 71.0, den=1, spread=0.08, per_bed_day=False),
}
WARD_MEASURES = ("falls-per-1000-bed-days", "pressure-ulcers", "hand-hygiene")
WARD_BED_DAYS = 880  # a 30-bed ward, a little under full

# Changes in the underlying level: (measure, organisation or ward, kind, first month,
# size) where size is a fraction of the level (shift: from then on; trend: reached by
# the last month; spike: that month only).
STORIES: list[tuple[str, str, str, str, float]] = [
    ("falls-per-1000-bed-days", "RAE", "shift", "2024-05", -0.32),
    ("falls-per-1000-bed-days", "RAE/Ward 5 (elderly care)", "shift", "2024-05", -0.4),
    ("falls-per-1000-bed-days", "RWY", "trend", "2024-09", 0.45),
    ("pressure-ulcers", "RAE", "trend", "2025-01", 0.9),
    ("pressure-ulcers", "RAE/Ward 9 (respiratory)", "trend", "2025-01", 1.4),
    ("c-difficile", "RR8", "spike", "2024-12", 2.6),
    ("c-difficile", "RAE", "spike", "2025-02", 2.8),
    ("sepsis-antibiotics", "RAE", "shift", "2024-09", 0.13),
    ("hand-hygiene", "RCF", "shift", "2023-06", 0.045),
    ("staff-sickness", "RXF", "shift", "2025-01", 0.22),
    ("staff-sickness", "RAE", "shift", "2025-02", 0.16),
    ("mixed-sex-breaches", "RXF", "spike", "2025-03", 30.0),
    ("agency-spend", "*", "trend", "2023-10", -0.55),
    ("diagnostic-6-weeks", "*", "trend", "2022-06", -0.45),
    ("rtt-18-weeks", "*", "trend", "2023-01", -0.06),
    ("ambulance-handovers-60", "RAE", "trend", "2024-10", 1.2),
    ("fft-inpatient", "RWY", "shift", "2024-03", 0.025),
    ("vte-risk-assessment", "RXF", "shift", "2023-04", -0.035),
    ("theatre-utilisation", "RR8", "shift", "2024-04", 0.07),
    ("length-of-stay", "RCF", "shift", "2024-01", -0.09),
    ("diabetes-care-processes", "Y99001/1 (most deprived)", "trend", "2024-09", 0.35),
    ("outpatient-dna", "RAE/1 (most deprived)", "shift", "2024-10", -0.28),
]

# Notes written on the charts by the QI lead: (measure, organisation, month, text).
NOTES = [
    (
        "falls-per-1000-bed-days",
        "RAE",
        "2024-05",
        "Falls prevention bundle rolled out on all adult wards: lying and standing blood pressure, call bell in reach, non-slip footwear.",
    ),
    (
        "falls-per-1000-bed-days",
        "RAE",
        "2023-11",
        "Two wards closed for refurbishment; patients moved to Ward 5.",
    ),
    (
        "pressure-ulcers",
        "RAE",
        "2025-01",
        "Tissue viability nurse post vacant from January; mattress audit overdue.",
    ),
    (
        "c-difficile",
        "RAE",
        "2025-02",
        "Cluster of cases on Ward 9; deep clean and antimicrobial review. Ribotyping found no single strain.",
    ),
    (
        "sepsis-antibiotics",
        "RAE",
        "2024-09",
        "Electronic sepsis screening tool live in the emergency department and on wards.",
    ),
    (
        "staff-sickness",
        "RAE",
        "2025-02",
        "Winter respiratory illness among staff, and two wards short of a band 6.",
    ),
    (
        "bed-occupancy",
        "RAE",
        "2020-04",
        "COVID-19: elective work paused and wards reconfigured.",
    ),
    (
        "outpatient-dna",
        "RAE",
        "2024-10",
        "Text reminders with a link to rebook, and a call from the booking team for patients in the most deprived areas.",
    ),
]
# Baselines the demonstration starts with: (measure, organisation, month, reason).
REBASES = [
    (
        "falls-per-1000-bed-days",
        "RAE",
        "2024-05",
        "The falls bundle has been adopted on every adult ward since May 2024 and falls have stayed below the old mean for more than 7 months: the process has changed.",
    ),
]
# Trust-specific targets: (measure, organisation, first month, value, note).
ORG_TARGETS = [
    ("c-difficile", "RR8", "2021-10", 9.0, "annual threshold 108 ÷ 12"),
    ("c-difficile", "RAE", "2021-10", 3.5, "annual threshold 42 ÷ 12"),
    ("c-difficile", "RWY", "2021-10", 3.0, "annual threshold 36 ÷ 12"),
    ("c-difficile", "RCF", "2021-10", 1.5, "annual threshold 18 ÷ 12"),
    ("c-difficile", "RXF", "2021-10", 4.5, "annual threshold 54 ÷ 12"),
]


def _effects(keys: list[str], measure: str) -> np.ndarray:
    """Multiplier on the level for each series (rows) and month (columns)."""
    out = np.ones((len(keys), MONTHS))
    month = np.arange(MONTHS)
    winter = np.isin(PERIODS.month, (12, 1, 2))
    spec = SPECS[measure]
    if spec.winter:
        out *= 1 + spec.winter * winter
    for m, who, kind, start, size in STORIES:
        if m != measure:
            continue
        first = PERIODS.get_loc(pd.Timestamp(start + "-01"))
        for i, key in enumerate(keys):
            if who not in ("*", key):
                continue
            if kind == "shift":
                out[i] *= 1 + size * (month >= first)
            elif kind == "trend":
                ramp = np.clip((month - first + 1) / max(MONTHS - first, 1), 0, 1)
                out[i] *= 1 + size * ramp
            elif kind == "spike":
                out[i] *= 1 + size * (month == first)
    return out


def _draw(
    spec: Spec, level: np.ndarray, den: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Numerators (or values), denominators and values for arrays of shape (series, months)."""
    if spec.kind == "count":
        counts = rng.poisson(np.maximum(level, 0))
        return counts.astype(float), None, counts.astype(float)
    if spec.kind == "mean":
        values = level * (1 + spec.noise * rng.standard_normal(level.shape))
        return values, None, values
    p = np.clip(level / spec.multiplier, 0, 1)
    d = np.maximum(np.round(den), 1).astype(np.int64)
    num = rng.binomial(d, p).astype(float)
    return num, d.astype(float), num / d * spec.multiplier


def generate(seed: int = 20251126) -> pd.DataFrame:
    """Every generated series, as upload-format rows."""
    rng = np.random.default_rng(seed)
    parts = []
    for measure, spec in SPECS.items():
        if measure == "outpatient-dna":
            parts.append(_strata_trusts(measure, spec, rng))
        elif spec.per_bed_day:
            parts.append(_trusts(measure, spec, rng))
            if measure in WARD_MEASURES:
                parts.append(_wards(measure, spec, rng))
        else:
            parts.append(_practices(measure, spec, rng))
    return pd.concat(parts, ignore_index=True)


def _rows(
    measure: str,
    orgs: list[str],
    num: np.ndarray,
    den: np.ndarray | None,
    value: np.ndarray,
    *,
    units: list[str] | None = None,
    breakdown: str = "",
    strata: list[str] | None = None,
) -> pd.DataFrame:
    n = len(orgs)
    period = np.tile(PERIODS.strftime("%Y-%m-%d").to_numpy(), n)
    frame = pd.DataFrame(
        {
            "measure": measure,
            "organisation": np.repeat(orgs, MONTHS),
            "period": period,
            "value": "",
            "numerator": "",
            "denominator": "",
            "unit": np.repeat(units, MONTHS) if units else "",
            "breakdown": breakdown,
            "stratum": np.repeat(strata, MONTHS) if strata else "",
        }
    )
    if den is None:
        frame["value"] = np.round(value.ravel(), 6)
    else:
        frame["numerator"] = num.ravel()
        frame["denominator"] = den.ravel()
    return frame


def _trusts(measure: str, spec: Spec, rng: np.random.Generator) -> pd.DataFrame:
    orgs = list(ACUTE)
    size = np.array([BED_DAYS[o] for o in orgs], dtype=float)[:, None] / 1000
    offset = np.exp(spec.spread * rng.standard_normal(len(orgs)))[:, None]
    level = spec.level * offset * _effects(orgs, measure)
    if spec.kind == "count":
        level = level * (size if spec.per_bed_day else 1)
    den = np.broadcast_to(
        spec.den * size * (1 + 0.04 * rng.standard_normal((len(orgs), MONTHS))),
        level.shape,
    )
    num, d, value = _draw(spec, level, den, rng)
    return _rows(measure, orgs, num, d, value)


def _wards(measure: str, spec: Spec, rng: np.random.Generator) -> pd.DataFrame:
    keys = [f"{o}/{w}" for o in ACUTE for w in WARDS]
    orgs = [k.split("/")[0] for k in keys]
    units = [k.split("/")[1] for k in keys]
    risk = np.array([1.6 if "elderly" in u else 1.0 for u in units])[:, None]
    level = (
        spec.level
        * risk
        * np.exp(spec.spread * rng.standard_normal(len(keys)))[:, None]
        * _effects(keys, measure)
    )
    den = (
        WARD_BED_DAYS
        / 1000
        * spec.den
        * (1 + 0.05 * rng.standard_normal((len(keys), MONTHS)))
    )
    num, d, value = _draw(spec, level, den, rng)
    return _rows(measure, orgs, num, d, value, units=units)


def _strata_trusts(measure: str, spec: Spec, rng: np.random.Generator) -> pd.DataFrame:
    """Outpatient non-attendance by deprivation quintile and ethnicity at each trust;
    the trust totals are the sums over the quintiles."""
    parts = []
    for breakdown, groups, relative, shares in (
        (
            "deprivation quintile",
            QUINTILES,
            [1.55, 1.25, 1.0, 0.82, 0.68],
            [0.32, 0.24, 0.18, 0.14, 0.12],
        ),
        (
            "ethnicity",
            ETHNIC_GROUPS,
            [0.94, 1.18, 1.4, 1.2, 1.12],
            [0.68, 0.2, 0.04, 0.04, 0.04],
        ),
    ):
        keys = [f"{o}/{g}" for o in ACUTE for g in groups]
        orgs = [k.split("/")[0] for k in keys]
        size = np.array([BED_DAYS[o] for o in orgs], dtype=float) / 1000
        share = np.tile(shares, len(ACUTE))
        level = (
            spec.level
            * np.tile(relative, len(ACUTE))[:, None]
            * _effects(keys, measure)
        )
        den = (spec.den * size * share)[:, None] * (
            1 + 0.04 * rng.standard_normal((len(keys), MONTHS))
        )
        num, d, value = _draw(spec, level, den, rng)
        parts.append(
            _rows(
                measure,
                orgs,
                num,
                d,
                value,
                breakdown=breakdown,
                strata=[k.split("/")[1] for k in keys],
            )
        )
        if breakdown == "deprivation quintile":
            tot_num = num.reshape(len(ACUTE), len(groups), MONTHS).sum(axis=1)
            tot_den = d.reshape(len(ACUTE), len(groups), MONTHS).sum(axis=1)
            parts.append(
                _rows(
                    measure,
                    list(ACUTE),
                    tot_num,
                    tot_den,
                    tot_num / tot_den * spec.multiplier,
                )
            )
    return pd.concat(parts, ignore_index=True)


def _practices(measure: str, spec: Spec, rng: np.random.Generator) -> pd.DataFrame:
    """Practice totals, and for the care processes measure, the same people split by
    deprivation quintile and ethnicity (totals are the sums of the quintiles)."""
    codes = [c for c, _ in PRACTICES]
    register = DIABETES_REGISTER if measure.startswith("diabetes") else LD_REGISTER
    if measure != "diabetes-care-processes":
        size = np.array([register[c] for c in codes], dtype=float)[:, None]
        level = (
            spec.level
            * np.exp(spec.spread * rng.standard_normal(len(codes)))[:, None]
            * _effects(codes, measure)
        )
        num, d, value = _draw(spec, level, np.broadcast_to(size, level.shape), rng)
        return _rows(measure, codes, num, d, value)
    # Riverside serves the most deprived area, Moorside the least.
    shares = {
        "Y99001": [0.45, 0.25, 0.15, 0.1, 0.05],
        "Y99002": [0.05, 0.1, 0.2, 0.3, 0.35],
        "Y99003": [0.2, 0.25, 0.25, 0.15, 0.15],
    }
    relative = np.array([0.78, 0.88, 0.97, 1.04, 1.1])
    keys = [f"{c}/{q}" for c in codes for q in QUINTILES]
    size = np.array([register[c] * s for c in codes for s in shares[c]])[:, None]
    level = (
        spec.level * np.tile(relative, len(codes))[:, None] * _effects(keys, measure)
    )
    num, d, _ = _draw(spec, level, np.broadcast_to(size, level.shape), rng)
    orgs = [k.split("/")[0] for k in keys]
    quint = _rows(
        measure,
        orgs,
        num,
        d,
        num / d * 100,
        breakdown="deprivation quintile",
        strata=[k.split("/")[1] for k in keys],
    )
    tot_num = num.reshape(len(codes), len(QUINTILES), MONTHS).sum(axis=1)
    tot_den = d.reshape(len(codes), len(QUINTILES), MONTHS).sum(axis=1)
    total = _rows(measure, codes, tot_num, tot_den, tot_num / tot_den * 100)
    eth_rel = np.array([1.03, 0.9, 0.84, 0.95, 0.93])
    eth_share = np.array([0.62, 0.27, 0.05, 0.03, 0.03])
    ekeys = [f"{c}/{g}" for c in codes for g in ETHNIC_GROUPS]
    esize = np.array([register[c] * s for c in codes for s in eth_share])[:, None]
    elevel = spec.level * np.tile(eth_rel, len(codes))[:, None] * np.ones((1, MONTHS))
    enum, eden, _ = _draw(spec, elevel, np.broadcast_to(esize, elevel.shape), rng)
    eth = _rows(
        measure,
        [k.split("/")[0] for k in ekeys],
        enum,
        eden,
        enum / eden * 100,
        breakdown="ethnicity",
        strata=[k.split("/")[1] for k in ekeys],
    )
    return pd.concat([total, quint, eth], ignore_index=True)
