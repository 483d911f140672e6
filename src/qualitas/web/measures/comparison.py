"""One measure compared across organisations: the funnel plot of a chosen period, the
same comparison for every period (one engine call), each organisation's standardised
position over time as an SPC chart, and the opportunity computed from the very funnel
that is drawn.

Only the figures :mod:`qualitas.web.measures.comparators` allows are read. Percentages
are compared as proportions (``PR``); rates as observed over expected events, the
expected count being the organisation's denominator at the peers' pooled rate in the
same period (indirect standardisation, ``SR``).
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import CharField
from django.db.models.functions import Cast

from qualitas.errors import QualitasError, QualitasWarning
from qualitas.spc import funnel_stats as st
from qualitas.spc import xmr
from qualitas.spc.funnel import FunnelResult, funnel_request, run
from qualitas.spc.opportunity import opportunity
from qualitas.web.authorization import descendants, hierarchy, system_of
from qualitas.web.measures import versions
from qualitas.web.measures.comparators import comparable_ids
from qualitas.web.measures.models import Measure, Observation, Target
from qualitas.web.organisations.models import Organisation, PeerGroup

MIN_UNITS = 3
PEERS = ("system", "england", "similar", "group")
LIMITS = {95: "95%", 99: "99.8%"}
BENCHMARKS = {
    "target": "the target",
    "median": "the peer median",
    "best_quartile": "the best quarter of peers",
}
# Organisations of the same type whose size (the denominator over the window) is
# between half and twice the organisation's own count as "the same size".
SIZE_BAND = (0.5, 2.0)


@dataclass(frozen=True)
class Choice:
    """What the reader asked for (everything has a default)."""

    at: Organisation | None = None
    peers: str = "system"
    group: PeerGroup | None = None
    period: dt.date | None = None  # the last period of the window; None = latest
    window: int = 1  # periods added up into the funnel
    limit: int = 99
    benchmark: str = "median"
    unit_cost: float | None = None


@dataclass(frozen=True)
class Row:
    """One organisation in the chosen funnel, with its opportunity."""

    organisation: Organisation
    label: str
    numerator: float
    denominator: float
    value: float  # in the measure's units
    ratio: float  # as plotted
    z: float  # against the variance in force
    lower: float  # the limits in force at its size, as plotted
    upper: float
    outlier: bool
    better: bool  # outside the limits on the better side
    worse: bool
    expected: float  # events at the benchmark
    potential: float
    potential_lower: float
    potential_upper: float
    cost: float | None
    cost_lower: float | None
    cost_upper: float | None

    @property
    def verdict(self) -> str:
        if self.better:
            return "better than peers, beyond chance"
        if self.worse:
            return "worse than peers, beyond chance"
        return "within the limits: the difference may be chance"


@dataclass
class Comparison:
    measure: Measure
    choice: Choice
    own: Organisation | None
    peers_words: str
    data_type: str  # PR or SR
    periods: list[dt.date]  # every period with a funnel
    start: dt.date
    end: dt.date
    result: FunnelResult  # the funnel of the chosen window
    rows: list[Row]
    benchmark_rate: float  # in the measure's units
    target_rate: float | None  # the measure's target, if it has one
    across: FunnelResult | None  # one funnel per period
    positions: Any = None  # ChartResult (XmR) of each organisation's z over time
    labels: dict[int, str] = field(default_factory=dict)
    # The figures the comparison read (of its peers), for the funnels over time.
    frame: pd.DataFrame | None = None

    @property
    def adjusted(self) -> bool:
        return bool(self.result.summary.adjusted)

    @property
    def window_words(self) -> str:
        if self.start == self.end:
            return _period_words(self.end, self.measure)
        return (
            f"{_period_words(self.start, self.measure)} to "
            f"{_period_words(self.end, self.measure)}"
        )

    @property
    def limit_words(self) -> str:
        return LIMITS[self.result.summary.limit]

    @property
    def benchmark_words(self) -> str:
        if self.choice.benchmark == "target" and self.target_rate is None:
            return "the peers' average"
        return BENCHMARKS[self.choice.benchmark]

    @property
    def outside(self) -> list[Row]:
        return [r for r in self.rows if r.outlier]

    def row_for(self, org_id: int) -> Row | None:
        return next((r for r in self.rows if r.organisation.pk == org_id), None)

    def method_words(self) -> str:
        """How the comparison was made, in plain words (for the page and a claim)."""
        s = self.result.summary
        scale = (
            "as proportions"
            if self.data_type == st.PR
            else "as observed against expected events at the peers' average rate"
        )
        text = (
            f"Funnel plot of {self.measure.name} for {self.peers_words}, "
            f"{self.window_words}: {s.n_units} organisations compared {scale}, with "
            f"{self.limit_words} limits."
        )
        if s.adjusted:
            text += (
                " The organisations vary more than chance alone would make them "
                f"(dispersion ratio {s.phi:.1f}), so the limits are widened to allow "
                "for that (overdispersion, random effects)."
            )
        else:
            text += (
                " The organisations vary no more than chance would make them, so "
                "the limits are those of chance alone."
            )
        return text


def _period_words(day: dt.date, measure: Measure) -> str:
    if measure.frequency == Measure.Frequency.QUARTERLY:
        return f"the quarter from {day:%B %Y}"
    if measure.frequency == Measure.Frequency.ANNUAL:
        return f"the year from {day:%B %Y}"
    return f"{day:%B %Y}"


def better(measure: Measure) -> str:
    if measure.direction == Measure.Direction.DECREASE:
        return "lower"
    if measure.direction == Measure.Direction.INCREASE:
        return "higher"
    raise QualitasError(
        f"{measure.name} has no better direction, so there is no gap to close."
    )


def comparable(measure: Measure) -> bool:
    """Whether a funnel can compare organisations on ``measure``: a numerator over
    a denominator, or a mean outcome whose spread for one record is known (PROMs
    health gain: the total gain over the number of patients)."""
    if measure.aggregation == Measure.Aggregation.RATIO:
        return True
    return measure.aggregation == Measure.Aggregation.MEAN and bool(measure.record_sd)


def data_type_of(measure: Measure) -> str:
    if measure.aggregation == Measure.Aggregation.MEAN:
        return st.MEAN
    return st.PR if is_proportion(measure) else st.SR


def is_proportion(measure: Measure) -> bool:
    return measure.multiplier == 100 and "%" in measure.unit


def default_at(user: Any, visible: set[int], with_data: set[int]) -> int | None:
    """The organisation a page highlights when the reader names none: their own
    (where they have a role) if it has data, else the first they may see that has."""
    own = [
        o
        for o in user.memberships.values_list("organisation_id", flat=True)
        if o in with_data
    ]
    if own:
        return own[0]
    candidates = sorted(visible & with_data)
    return candidates[0] if candidates else None


def read(measure: Measure, allowed: set[int] | None) -> pd.DataFrame:
    """The whole-organisation numerators and denominators the reader may compare."""
    # A system's own figures would count its members twice beside them.
    rows = (
        Observation.objects.totals()
        .filter(measure=measure, numerator__isnull=False, denominator__isnull=False)
        .exclude(organisation__kind=Organisation.Kind.SYSTEM)
    )
    if allowed is not None:
        rows = rows.filter(organisation_id__in=allowed)
    # The period as text: the database driver would otherwise build a date object
    # for each of thousands of rows.
    rows = rows.annotate(day=Cast("period", output_field=CharField()))
    values = list(
        rows.values_list("organisation_id", "day", "numerator", "denominator")
    )
    frame = pd.DataFrame(
        values, columns=["org_id", "period", "numerator", "denominator"]
    )
    frame["period"] = pd.to_datetime(frame["period"], format="ISO8601")
    frame["numerator"] = frame["numerator"].astype(float)
    frame["denominator"] = frame["denominator"].astype(float)
    return frame


def cached(user: Any, measure: Measure, choice: Choice) -> Comparison:
    """:func:`build` and :func:`over_time`, kept in the results cache under what
    they depend on: the measure's data version, the organisations the reader may
    compare with, the peers and the choices. Who asks is not in the key, only what
    they may see, so two readers with the same view share one result."""
    allowed = comparable_ids(user, measure)
    peers: tuple[int, ...] = ()
    if choice.peers == "system" and choice.at is not None:
        top = system_of(choice.at.pk)
        _, children = hierarchy()
        peers = tuple(sorted({top, *descendants(top, children)}))
    elif choice.peers == "group" and choice.group is not None:
        peers = tuple(sorted(choice.group.members.values_list("pk", flat=True)))
    key = versions.key(
        "compare",
        versions.stamps([measure]),
        measure.sharing,
        None if allowed is None else tuple(sorted(allowed)),
        choice.at.pk if choice.at is not None else None,
        choice.peers,
        choice.group.pk if choice.group is not None else None,
        peers,
        choice.period,
        choice.window,
        choice.limit,
        choice.benchmark,
        choice.unit_cost,
    )
    return versions.cached(key, lambda: over_time(build(user, measure, choice), user))


def build(user: Any, measure: Measure, choice: Choice) -> Comparison:
    """The comparison the reader asked for, from the figures they may compare."""
    if not comparable(measure):
        raise QualitasError(
            f"{measure.name} is not a numerator over a denominator, so organisations "
            "cannot be compared on a funnel plot."
        )
    if choice.limit not in LIMITS:
        raise QualitasError("limits are 95% or 99.8%")
    if choice.benchmark not in BENCHMARKS:
        raise QualitasError(f"benchmark must be one of {', '.join(BENCHMARKS)}")
    if choice.peers not in PEERS:
        raise QualitasError(f"peers must be one of {', '.join(PEERS)}")
    allowed = comparable_ids(user, measure)
    frame = read(measure, allowed)
    own = choice.at
    peers_words, frame = _peers(frame, choice, own)
    if frame.empty:
        raise QualitasError(
            f"No organisation you may compare with has numerators and denominators "
            f"for {measure.name} among {peers_words}."
        )
    periods = sorted(frame["period"].unique())
    end = pd.Timestamp(choice.period) if choice.period else pd.Timestamp(periods[-1])
    if end not in set(periods):
        raise QualitasError(
            f"There are no figures for {measure.name} in {end:%B %Y} among {peers_words}."
        )
    position = periods.index(end)
    window = max(1, min(choice.window, position + 1))
    start = pd.Timestamp(periods[position - window + 1])
    chosen = frame[(frame["period"] >= start) & (frame["period"] <= end)]
    sums = chosen.groupby("org_id", as_index=False)[["numerator", "denominator"]].sum()
    if choice.peers == "similar":
        sums, peers_words = _similar(sums, own, peers_words)
        frame = frame[frame["org_id"].isin(sums["org_id"])]
    if len(sums) < MIN_UNITS:
        raise QualitasError(
            f"A funnel plot needs at least {MIN_UNITS} organisations with data; "
            f"{measure.name} has {len(sums)} among {peers_words} you may compare with."
        )
    orgs = Organisation.objects.in_bulk(frame["org_id"].unique().tolist())
    labels = _labels(orgs)
    data_type = data_type_of(measure)
    sums["organisation"] = sums["org_id"].map(labels)
    pooled = float(sums["numerator"].sum() / sums["denominator"].sum())
    if data_type == st.SR:
        sums["expected"] = sums["denominator"] * pooled
    result = run(
        _for_engine(sums), _request(data_type, choice.limit, sd=measure.record_sd)
    )

    target_rate = _target(measure, own, end.date())
    direction = better(measure) if measure.direction != "neutral" else None
    rows, benchmark_rate = _rows(
        measure, result, sums, orgs, labels, choice, direction, pooled, target_rate
    )
    comparison = Comparison(
        measure=measure,
        choice=choice,
        own=own,
        peers_words=peers_words,
        data_type=data_type,
        periods=[pd.Timestamp(p).date() for p in periods],
        start=start.date(),
        end=end.date(),
        result=result,
        rows=rows,
        benchmark_rate=benchmark_rate,
        target_rate=target_rate,
        across=None,
        labels=dict(labels.items()),
    )
    return comparison


def over_time(comparison: Comparison, user: Any) -> Comparison:
    """Add the funnel of every period (one engine call) and each organisation's
    standardised position (its z-score against the peers) over time as XmR charts
    (one engine call for all organisations)."""
    measure = comparison.measure
    frame = comparison.frame
    if frame is None:
        frame = read(measure, comparable_ids(user, measure))
    comparison.frame = None  # not needed any more (nor kept in the cache)
    keep = {r.organisation.pk for r in comparison.rows}
    frame = frame[frame["org_id"].isin(keep)].copy()
    counts = frame.groupby("period")["org_id"].transform("size")
    frame = frame[counts >= MIN_UNITS]
    if frame.empty:
        return comparison
    frame["organisation"] = frame["org_id"].map(comparison.labels)
    if comparison.data_type == st.SR:
        totals = frame.groupby("period")[["numerator", "denominator"]].transform("sum")
        frame["expected"] = frame["denominator"] * (
            totals["numerator"] / totals["denominator"]
        )
    request = _request(
        comparison.data_type,
        comparison.choice.limit,
        by="period",
        sd=measure.record_sd,
    )
    across = run(_for_engine(frame, by="period"), request, grid=False)
    comparison.across = across
    z = across.units[["period", "organisation", "z_adjusted"]].rename(
        columns={"z_adjusted": "value"}
    )
    z = z[np.isfinite(z["value"].to_numpy(dtype=float))]
    if len(z):
        direction = measure.direction if measure.direction != "neutral" else "neutral"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QualitasWarning)
            comparison.positions = xmr(
                z,
                value="value",
                period="period",
                by="organisation",
                direction=direction,
            )
    return comparison


def _request(
    data_type: str, limit: int, by: str | None = None, sd: float | None = None
):
    if data_type == st.MEAN:
        return funnel_request(
            numerator="numerator",
            denominator="denominator",
            group="organisation",
            by=by,
            data_type="MEAN",
            sd=sd,
            limit=limit,
        )
    if data_type == st.PR:
        return funnel_request(
            numerator="numerator",
            denominator="denominator",
            group="organisation",
            by=by,
            data_type="PR",
            multiplier=100,
            limit=limit,
        )
    return funnel_request(
        numerator="numerator",
        denominator="expected",
        group="organisation",
        by=by,
        data_type="SR",
        shmi_rounding=False,
        limit=limit,
    )


def _for_engine(frame: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    columns = ["organisation", "numerator", "denominator"]
    if "expected" in frame:
        columns.append("expected")
    if by:
        columns.insert(0, by)
    return frame[columns].reset_index(drop=True)


def _labels(orgs: dict[int, Organisation]) -> dict[int, str]:
    """The name each organisation is plotted under: its name, with its ODS code when
    two share a name."""
    names = pd.Series({pk: o.name for pk, o in orgs.items()})
    twice = set(names[names.duplicated(keep=False)])
    return {
        pk: f"{o.name} ({o.ods_code})" if o.name in twice else o.name
        for pk, o in orgs.items()
    }


def _peers(
    frame: pd.DataFrame, choice: Choice, own: Organisation | None
) -> tuple[str, pd.DataFrame]:
    if choice.peers == "system":
        if own is None:
            raise QualitasError(
                "Choose your organisation to compare within its system."
            )
        top = system_of(own.pk)
        _, children = hierarchy()
        members = {top, *descendants(top, children)}
        system = Organisation.objects.get(pk=top)
        return f"the organisations of {system.name}", frame[
            frame["org_id"].isin(members)
        ]
    if choice.peers == "group":
        if choice.group is None:
            raise QualitasError("Choose one of your peer groups.")
        members = set(choice.group.members.values_list("pk", flat=True))
        if own is not None:
            members.add(own.pk)
        return f"the peer group '{choice.group.name}'", frame[
            frame["org_id"].isin(members)
        ]
    if choice.peers == "similar":
        if own is None:
            raise QualitasError("Choose your organisation to find similar ones.")
        kinds = dict(
            Organisation.objects.filter(
                pk__in=frame["org_id"].unique().tolist()
            ).values_list("pk", "kind")
        )
        same = [o for o, k in kinds.items() if k == own.kind]
        return "organisations of the same type", frame[frame["org_id"].isin(same)]
    return "every organisation in England with figures you may compare", frame


def _similar(
    sums: pd.DataFrame, own: Organisation | None, words: str
) -> tuple[pd.DataFrame, str]:
    assert own is not None
    mine = sums.loc[sums["org_id"] == own.pk, "denominator"]
    if mine.empty:
        raise QualitasError(f"{own.name} has no figures in this period.")
    size = float(mine.iloc[0])
    low, high = SIZE_BAND[0] * size, SIZE_BAND[1] * size
    keep = sums[(sums["denominator"] >= low) & (sums["denominator"] <= high)]
    return keep.reset_index(drop=True), (
        f"{own.get_kind_display().lower()}s of a similar size to {own.name} "
        f"(between half and twice its {size:,.0f})"
    )


def _target(measure: Measure, own: Organisation | None, day: dt.date) -> float | None:
    """The measure's target in force on ``day`` (the organisation's own step if it
    has one), in the measure's units."""
    steps = Target.objects.filter(measure=measure, starts__lte=day)
    if own is not None:
        mine = steps.filter(organisation=own).order_by("-starts").first()
        if mine is not None:
            return float(mine.value)
    general = steps.filter(organisation__isnull=True).order_by("-starts").first()
    return None if general is None else float(general.value)


def _rows(
    measure: Measure,
    result: FunnelResult,
    sums: pd.DataFrame,
    orgs: dict[int, Organisation],
    labels: dict[int, str],
    choice: Choice,
    direction: str | None,
    pooled: float,
    target_rate: float | None,
) -> tuple[list[Row], float]:
    units = result.units
    # Proportions (in %) and means are plotted in the measure's own units; rates as
    # a ratio to the peers' pooled rate.
    proportion = result.summary.data_type in (st.PR, st.MEAN)
    # The measure's target on the funnel's scale.
    target = None
    if target_rate is not None:
        target = (
            target_rate if proportion else target_rate / (pooled * measure.multiplier)
        )
    by_label = {v: k for k, v in labels.items()}
    den = dict(zip(sums["org_id"], sums["denominator"], strict=True))
    gaps = None
    if direction is not None:
        gaps = opportunity(
            result, better=direction, unit_cost=choice.unit_cost, target=target
        ).units.set_index("organisation")
    b = choice.benchmark
    rows = []
    high_better = direction == "higher"
    for r in units.to_dict("records"):
        org_id = by_label[r["organisation"]]
        real_den = float(den[org_id])
        g = gaps.loc[r["organisation"]] if gaps is not None else None

        def pick(name: str, g=g) -> float:
            return float(g[name]) if g is not None else 0.0

        cost = g is not None and choice.unit_cost is not None
        rows.append(
            Row(
                organisation=orgs[org_id],
                label=r["organisation"],
                numerator=float(r["numerator"]),
                denominator=real_den,
                value=float(r["numerator"]) / real_den * measure.multiplier,
                ratio=float(r["ratio"]),
                z=float(r["z_adjusted"]),
                lower=float(r["lower"]),
                upper=float(r["upper"]),
                outlier=bool(r["outlier"]),
                better=bool(r["outlier_high"] if high_better else r["outlier_low"])
                and direction is not None,
                worse=bool(r["outlier_low"] if high_better else r["outlier_high"])
                and direction is not None,
                expected=pick(f"expected_at_{b}"),
                potential=pick(f"potential_events_vs_{b}"),
                potential_lower=pick(f"potential_events_vs_{b}_lower"),
                potential_upper=pick(f"potential_events_vs_{b}_upper"),
                cost=pick(f"potential_cost_vs_{b}") if cost else None,
                cost_lower=pick(f"potential_cost_vs_{b}_lower") if cost else None,
                cost_upper=pick(f"potential_cost_vs_{b}_upper") if cost else None,
            )
        )
    # The benchmark in the measure's units, from the same units the gaps used.
    ratio = units["ratio"].to_numpy(dtype=float)
    if b == "target":
        on_scale = target if target is not None else float(result.summary.target)
    elif b == "median":
        on_scale = st.quantile7(ratio, 0.5)
    else:
        q = 0.25 if direction == "lower" else 0.75
        on_scale = st.quantile7(ratio, q)
    rate = on_scale if proportion else on_scale * pooled * measure.multiplier
    rows.sort(key=lambda row: (-row.potential, row.label))
    return rows, float(rate)
