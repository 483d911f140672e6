"""Reading observations as the long tables the SPC engine takes.

Everything here works on many measures at once: one query, one pandas group-by to
combine a system's members. Pages draw the tables with
:func:`qualitas.web.measures.engine.run_charts` (each measure on its own chart type,
one engine call per type); :func:`run_xmr` remains for project evidence scores,
which are defined on XmR signals.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qualitas.errors import QualitasWarning
from qualitas.spc import ChartResult, xmr
from qualitas.web.authorization import descendants, hierarchy
from qualitas.web.measures.advice import Advice, advise
from qualitas.web.measures.models import Measure, Observation, Rebase, Target
from qualitas.web.organisations.models import Organisation

COLUMNS = [
    "measure_id",
    "organisation_id",
    "period",
    "value",
    "numerator",
    "denominator",
]


NUMBERS = ("value", "numerator", "denominator")


def _frame(rows: Iterable[tuple], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    frame["period"] = pd.to_datetime(frame["period"])
    # A column that is empty in every row (sum and mean measures have no numerator
    # or denominator) comes out of the database as Python None objects; arithmetic
    # on them is Python's, where 0 / 0 raises instead of giving NaN. Floats always.
    for column in NUMBERS:
        if column in frame:
            frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


def organisation_series(
    measures: list[Measure], organisation: Organisation, *, unit_id: int | None = None
) -> pd.DataFrame:
    """measure_id, period, value, numerator and denominator (ratio measures) for
    each measure at the organisation.

    A system with no figures of its own for a measure gets its members' figures
    combined as the measure says (sum of numerators over sum of denominators, sum,
    or mean)."""
    ids = [m.pk for m in measures]
    qs = Observation.objects.filter(measure_id__in=ids, breakdown="")
    qs = qs.filter(unit_id=unit_id) if unit_id else qs.filter(unit__isnull=True)
    own = _frame(qs.filter(organisation=organisation).values_list(*COLUMNS), COLUMNS)
    frames = [own[["measure_id", "period", *NUMBERS]]]
    if organisation.is_system and unit_id is None:
        missing = sorted(set(ids) - set(own["measure_id"].astype(int).unique()))
        if missing:
            _, children = hierarchy()
            members = descendants(organisation.pk, children)
            rows = (
                Observation.objects.totals()
                .filter(measure_id__in=missing, organisation_id__in=members)
                .values_list(*COLUMNS)
            )
            frames.append(combine(_frame(rows, COLUMNS), {m.pk: m for m in measures}))
    out = pd.concat(frames, ignore_index=True)
    out["measure_id"] = out["measure_id"].astype(np.int64)
    return out


def combine(frame: pd.DataFrame, measures: dict[int, Measure]) -> pd.DataFrame:
    """Members' figures per measure and period, combined into one system figure
    (with the summed numerator and denominator for ratio measures)."""
    if frame.empty:
        return pd.DataFrame(
            {
                "measure_id": pd.Series(dtype=np.int64),
                "period": pd.Series(dtype="datetime64[ns]"),
                **{c: pd.Series(dtype=float) for c in NUMBERS},
            }
        )
    groups = frame[["measure_id", "period", *NUMBERS]].groupby(
        ["measure_id", "period"], sort=True
    )
    # min_count=1: a period where no member gave a figure is missing, not 0.
    agg = groups.sum(min_count=1)
    agg["value_sum"] = agg.pop("value")
    agg["value_mean"] = groups["value"].mean()
    agg = agg.reset_index()
    how = agg["measure_id"].map({k: m.aggregation for k, m in measures.items()})
    mult = (
        agg["measure_id"]
        .map({k: m.multiplier for k, m in measures.items()})
        .astype(float)
    )
    # A member that gave a rate as its value alone (a percentage) has no
    # denominator to weight it by: that period has no system figure rather than one
    # from the other members only.
    alone = frame["denominator"].isna() & frame["value"].notna()
    without = (
        alone.groupby([frame["measure_id"], frame["period"]], sort=True)
        .any()
        .to_numpy()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (agg["numerator"] / agg["denominator"] * mult).where(~without)
    agg["value"] = np.select(
        [how == "ratio", how == "sum"], [ratio, agg["value_sum"]], agg["value_mean"]
    )
    agg = agg[np.isfinite(agg["value"])]
    # Sums and means carry no numerator or denominator (the members' are not kept).
    ratio_rows = (how == "ratio").to_numpy()
    for column in ("numerator", "denominator"):
        agg[column] = agg[column].where(ratio_rows[agg.index], np.nan)
    return agg[["measure_id", "period", *NUMBERS]]


def breakdown_series(
    measure: Measure, organisation: Organisation, breakdown: str
) -> pd.DataFrame:
    """stratum, period, value for one breakdown of a measure at an organisation (a
    system without its own figures gets its members' combined)."""
    cols = ["stratum", *COLUMNS]
    qs = Observation.objects.filter(
        measure=measure, breakdown=breakdown, unit__isnull=True
    )
    own = _frame(qs.filter(organisation=organisation).values_list(*cols), cols)
    if own.empty and organisation.is_system:
        _, children = hierarchy()
        rows = _frame(
            qs.filter(
                organisation_id__in=descendants(organisation.pk, children)
            ).values_list(*cols),
            cols,
        )
        if rows.empty:
            return own[["stratum", "period", *NUMBERS]]
        # Treat each stratum as a series of its own while combining members.
        codes, strata = pd.factorize(rows["stratum"])
        rows["measure_id"] = codes
        combined = combine(rows, dict.fromkeys(range(len(strata)), measure))
        combined["stratum"] = strata[combined["measure_id"].to_numpy()]
        return combined[["stratum", "period", *NUMBERS]]
    return own[["stratum", "period", *NUMBERS]]


def target_steps(measures: list[Measure], organisation: Organisation) -> pd.DataFrame:
    """measure_id, starts, value, note: the targets that apply at the organisation
    (its own steps where it has any, otherwise the general ones)."""
    rows = Target.objects.filter(measure__in=measures).filter(
        organisation__isnull=True
    ) | Target.objects.filter(measure__in=measures, organisation=organisation)
    frame = pd.DataFrame.from_records(
        list(
            rows.values_list("measure_id", "organisation_id", "starts", "value", "note")
        ),
        columns=["measure_id", "organisation_id", "starts", "value", "note"],
    )
    if frame.empty:
        return frame
    own = frame["organisation_id"].notna()
    has_own = frame.loc[own, "measure_id"].unique()
    keep = own | ~frame["measure_id"].isin(has_own)
    frame = frame[keep].sort_values(["measure_id", "starts"])
    frame["starts"] = pd.to_datetime(frame["starts"])
    return frame.reset_index(drop=True)


def target_at(steps: pd.DataFrame, latest: pd.Series) -> dict[int, float]:
    """The target in force at each measure's latest period (``latest``: measure_id ->
    period)."""
    if steps.empty or latest.empty:
        return {}
    s = steps.merge(latest.rename("latest").reset_index(), on="measure_id")
    s = s[s["starts"] <= s["latest"]]
    last = s.groupby("measure_id").tail(1)
    return dict(
        zip(last["measure_id"].astype(int), last["value"].astype(float), strict=True)
    )


def rebase_periods(
    measures: list[Measure], organisation: Organisation
) -> dict[int, list[pd.Timestamp]]:
    out: dict[int, list[pd.Timestamp]] = {}
    for mid, period in Rebase.objects.filter(
        measure__in=measures, organisation=organisation
    ).values_list("measure_id", "period"):
        out.setdefault(mid, []).append(pd.Timestamp(period))
    return out


@dataclass
class Spc:
    result: ChartResult | None
    steps: pd.DataFrame
    targets: dict[Any, float]


def run_xmr(
    frame: pd.DataFrame, *, by: str, direction: Any, target: Any, part: Any
) -> ChartResult | None:
    """The engine on a long frame, quietly: short baselines are shown on each row
    (``trial_limits``) rather than as warnings."""
    frame = frame.dropna(subset=["value"])
    if frame.empty:
        return None
    # The engine refuses settings for series it was not given; keep only those present.
    present = set(frame[by].unique().tolist())
    direction, target, part = (
        {k: v for k, v in x.items() if k in present} if isinstance(x, dict) else x
        for x in (direction, target, part)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QualitasWarning)
        return xmr(
            frame,
            value="value",
            period="period",
            by=by,
            direction=direction,
            target=target or None,
            part=part or None,
            # A stored infinity (from an old numerator/denominator overflow) is
            # left off the chart rather than stopping the page with an error.
            infinite="missing",
        )


def chart_advice(measure: Measure) -> Advice:
    """The chart qualitas advises for the measure from its data so far: the
    whole-organisation figures of the organisation with the most of them (none yet:
    advice from the measure's kind alone)."""
    rows = list(
        Observation.objects.totals()
        .filter(measure=measure)
        .values_list("organisation_id", "value", "denominator")
    )
    by_org: dict[int, list[tuple[float, float | None]]] = {}
    for org, value, denominator in rows:
        by_org.setdefault(org, []).append((value, denominator))
    fullest = max(by_org.values(), key=len, default=[])
    return advise(
        kind=measure.rules.kind,
        frequency=measure.frequency,
        values=[v for v, _ in fullest],
        denominators=[d for _, d in fullest if d is not None],
    )
