"""The system report: every measure of an integrated care board's system beside every
organisation in it, as a grid of Making Data Count variation and assurance icons.

Rows are measures and columns the system's organisations; concerns and failing
targets come first. It is built the way the integrated report is (:mod:`.report`):
one query for the observations of every cell, one engine call for every series (a
series per measure and organisation), so a system of ten organisations and sixty
measures is drawn in well under half a second (benchmarks/bench_web.py).

A cell is drawn only when the viewer may see that organisation's figures of that
measure (:func:`readable_cells`: by their roles, or because the measure's figures are
published or shared within the system); other cells say the figures are not shared
with them, and nothing of them is read from the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from qualitas.web.board.report import PRIORITY_LABELS
from qualitas.web.measures import engine, words
from qualitas.web.measures.models import Domain, Measure, Observation, Rebase, Target
from qualitas.web.organisations.models import Organisation

# What a cell shows.
SHOWN, NO_DATA, NOT_SHARED = "shown", "no_data", "not_shared"
CELL_WORDS = {
    NO_DATA: "No data",
    NOT_SHARED: "Not shared with you",
}


@dataclass
class Cell:
    organisation: Organisation
    state: str
    period: pd.Timestamp | None = None
    value: float | None = None
    target: float | None = None
    variation: str = ""
    assurance: str | None = None
    priority: int = 3
    period_label: str = ""
    # A run chart's signal in words (it has no Making Data Count icons), else "".
    signal: str = ""
    # Where the cell leads: the organisation's chart of the measure, or "" (set by
    # the view, which knows the viewer).
    link: str = ""

    @property
    def shown(self) -> bool:
        return self.state == SHOWN

    @property
    def has_icons(self) -> bool:
        return self.variation in words.VARIATION

    @property
    def variation_text(self) -> str:
        return words.VARIATION.get(self.variation, self.signal)

    @property
    def assurance_text(self) -> str:
        return words.ASSURANCE.get(self.assurance or "", words.NO_ASSURANCE)

    @property
    def state_text(self) -> str:
        return CELL_WORDS.get(self.state, "")


@dataclass
class GridRow:
    measure: Measure
    cells: list[Cell]

    @property
    def priority(self) -> int:
        """The worst cell's: a measure leads when any organisation is of concern."""
        return min((c.priority for c in self.cells if c.shown), default=3)

    @property
    def flagged(self) -> int:
        """Organisations showing a concern or failing the target on this measure."""
        return sum(1 for c in self.cells if c.shown and c.priority < 3)

    @property
    def group(self) -> str:
        return PRIORITY_LABELS[self.priority]

    def fmt(self, x: float | None) -> str:
        return words.number(x, self.measure.decimals)


@dataclass
class SystemReport:
    system: Organisation
    organisations: list[Organisation]
    rows: list[GridRow]
    measures_without_data: list[Measure] = field(default_factory=list)
    # Organisations with figures the viewer may not see (those cells are blank).
    not_shared: list[Organisation] = field(default_factory=list)

    def cells(self) -> list[tuple[GridRow, Cell]]:
        return [(r, c) for r in self.rows for c in r.cells]

    @property
    def concern_count(self) -> int:
        return sum(1 for _, c in self.cells() if c.variation.startswith("concern"))

    @property
    def failing_count(self) -> int:
        return sum(1 for _, c in self.cells() if c.assurance == "fail")


def readable_cells(
    user: Any, system: Organisation, measures: list[Measure]
) -> dict[int, set[int]]:
    """Measure id -> the system's organisations whose figures of it ``user`` may
    see: those their roles reach, and those the measure's sharing opens to them
    (published statistics, or data shared within the system:
    :func:`qualitas.web.measures.comparators.comparable_ids`)."""
    from qualitas.web.authorization.systems import readable_members, system_members
    from qualitas.web.measures.comparators import comparable_ids

    members = set(system_members(system))
    own = readable_members(user, system)
    out = {}
    for m in measures:
        shared = comparable_ids(user, m)
        out[m.pk] = own | (members if shared is None else shared & members)
    return out


def everything(system: Organisation, measures: list[Measure]) -> dict[int, set[int]]:
    """Every organisation of the system for every measure (a system's own meeting,
    whose members' roles reach them all)."""
    from qualitas.web.authorization.systems import system_members

    members = set(system_members(system))
    return {m.pk: members for m in measures}


def member_organisations(system: Organisation) -> list[Organisation]:
    """The system's organisations, trusts before practices, each kind by name."""
    from qualitas.web.authorization.systems import system_members

    kinds = {k: i for i, k in enumerate(Organisation.Kind.values)}
    orgs = list(Organisation.objects.filter(pk__in=system_members(system)))
    orgs.sort(key=lambda o: (kinds.get(o.kind, 9), o.name))
    return orgs


def build(
    system: Organisation,
    measures: list[Measure],
    *,
    readable: dict[int, set[int]],
    until: dt.date | None = None,
) -> SystemReport:
    """The grid of ``measures`` across the system's organisations, drawing for each
    measure only the organisations in ``readable[measure id]``; ``until`` leaves out
    periods after that date (a meeting's data cut)."""
    orgs = member_organisations(system)
    everyone = set().union(*readable.values()) if readable else set()
    shown_orgs = [o for o in orgs if o.pk in everyone]
    by_id = {m.pk: m for m in measures}
    data = _observations(measures, shown_orgs, until)
    # Only the (measure, organisation) pairs the viewer may see, whatever was read.
    allowed = {(m, o) for m, ids in readable.items() for o in ids}
    if not data.empty and len(allowed) < len(measures) * len(shown_orgs):
        pairs = zip(
            data["measure_id"].tolist(), data["organisation_id"].tolist(), strict=True
        )
        data = data[[p in allowed for p in pairs]]
    icons = _icons(data, measures)

    found: dict[tuple[int, int], Cell] = {}
    if not icons.empty:
        org_by_id = {o.pk: o for o in shown_orgs}
        measure_by_id = by_id
        variation = icons["variation"].astype(str).to_numpy()
        assurance = (
            icons["assurance"]
            .astype(object)
            .where(icons["assurance"].notna(), None)
            .to_numpy()
        )
        concern = np.char.startswith(variation.astype(str), "concern")
        failing = assurance == "fail"
        priority = np.where(
            concern & failing, 0, np.where(concern, 1, np.where(failing, 2, 3))
        )
        targets = icons["target"].to_numpy(dtype=float)
        values = icons["value"].to_numpy(dtype=float).tolist()
        signals = icons["signal"].astype(str).tolist()
        periods = list(pd.DatetimeIndex(icons["period"]))
        labels: dict[tuple[pd.Timestamp, str], str] = {}
        for i, (mid, oid) in enumerate(
            zip(
                icons["measure_id"].tolist(),
                icons["organisation_id"].tolist(),
                strict=True,
            )
        ):
            frequency = measure_by_id[mid].frequency
            key = (periods[i], frequency)
            if key not in labels:
                labels[key] = words.period(periods[i], frequency)
            found[(mid, oid)] = Cell(
                organisation=org_by_id[oid],
                state=SHOWN,
                period=periods[i],
                value=values[i],
                target=None if np.isnan(targets[i]) else float(targets[i]),
                variation=variation[i],
                assurance=assurance[i],
                priority=int(priority[i]),
                period_label=labels[key],
                signal=signals[i],
            )

    rows, without = [], []
    for m in measures:
        cells = [
            found.get(
                (m.pk, o.pk),
                Cell(o, NO_DATA if o.pk in readable.get(m.pk, ()) else NOT_SHARED),
            )
            for o in orgs
        ]
        if any(c.shown for c in cells):
            rows.append(GridRow(by_id[m.pk], cells))
        else:
            without.append(m)
    domain_order = {d: i for i, d in enumerate(Domain.values)}
    rows.sort(
        key=lambda r: (
            r.priority,
            -r.flagged,
            domain_order.get(r.measure.domain, 9),
            r.measure.name,
        )
    )
    return SystemReport(
        system=system,
        organisations=orgs,
        rows=rows,
        measures_without_data=without,
        not_shared=[
            o
            for i, o in enumerate(orgs)
            if any(r.cells[i].state == NOT_SHARED for r in rows)
        ],
    )


def _rows(qs: Any, columns: list[str]) -> pd.DataFrame:
    """A values query as a frame, read with the database cursor: Django's per-row
    conversion of tens of thousands of dates costs more than the whole engine run,
    and pandas converts the column at once."""
    try:
        sql, params = qs.values_list(*columns).query.sql_with_params()
    except EmptyResultSet:  # filtered on an empty list: nothing to ask for
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame.from_records(rows, columns=columns)


def _observations(
    measures: list[Measure], orgs: list[Organisation], until: dt.date | None
) -> pd.DataFrame:
    """measure_id, organisation_id, period, value, numerator and denominator of
    every cell, in one query."""
    qs = Observation.objects.totals().filter(
        measure_id__in=[m.pk for m in measures],
        organisation_id__in=[o.pk for o in orgs],
    )
    if until is not None:
        # The data cut names a month: the whole of it is in (every day, week and
        # event), as in the integrated report.
        cut_end = pd.Timestamp(until) + pd.offsets.MonthBegin(1)
        qs = qs.filter(period__lt=cut_end.date())
    # The period as text: SQLite would otherwise parse each date in Python.
    qs = qs.annotate(day=Cast("period", output_field=CharField()))
    columns = ["measure_id", "organisation_id", "day", "value"]
    # Numerators and denominators only where a chart needs them (p and u charts).
    ratios = any(m.chart_type in engine.RATIO_CHARTS for m in measures)
    frame = _rows(qs, [*columns, "numerator", "denominator"] if ratios else columns)
    if not ratios:
        frame = frame.assign(numerator=np.nan, denominator=np.nan)
    frame = frame.rename(columns={"day": "period"})
    frame["measure_id"] = frame["measure_id"].astype(np.int64)
    frame["organisation_id"] = frame["organisation_id"].astype(np.int64)
    frame["period"] = pd.to_datetime(frame["period"], format="ISO8601")
    for column in ("value", "numerator", "denominator"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


def _targets(cells: pd.DataFrame) -> dict[int, float]:
    """The target in force at each cell's latest period, as
    :func:`qualitas.web.measures.series.target_steps` and ``target_at`` decide it for
    one organisation (an organisation's own steps replace the general ones), for
    every organisation at once. ``cells``: cell, measure_id, organisation_id,
    latest."""
    steps = _rows(
        Target.objects.filter(measure_id__in=cells["measure_id"].unique().tolist())
        .filter(
            Q(organisation__isnull=True)
            | Q(organisation_id__in=cells["organisation_id"].unique().tolist())
        )
        .order_by(),
        ["measure_id", "organisation_id", "starts", "value"],
    )
    if steps.empty:
        return {}
    steps["starts"] = pd.to_datetime(steps["starts"])
    general = steps[steps["organisation_id"].isna()].drop(columns="organisation_id")
    own = steps[steps["organisation_id"].notna()].astype({"organisation_id": np.int64})
    own = cells.merge(own, on=["measure_id", "organisation_id"])
    general = cells[~cells["cell"].isin(own["cell"])].merge(general, on="measure_id")
    both = pd.concat([own, general], ignore_index=True)
    both = both[both["starts"] <= both["latest"]].sort_values(["cell", "starts"])
    last = both.groupby("cell").tail(1)
    return dict(zip(last["cell"].astype(int), last["value"].astype(float), strict=True))


def _rebases(cells: pd.DataFrame) -> dict[int, list[pd.Timestamp]]:
    """Each cell's rebase periods (new baselines recorded for that organisation)."""
    found = _rows(
        Rebase.objects.filter(
            measure_id__in=cells["measure_id"].unique().tolist(),
            organisation_id__in=cells["organisation_id"].unique().tolist(),
        ).order_by(),
        ["measure_id", "organisation_id", "period"],
    )
    if found.empty:
        return {}
    found["period"] = pd.to_datetime(found["period"])
    found = found.merge(cells, on=["measure_id", "organisation_id"])
    out: dict[int, list[pd.Timestamp]] = {}
    for cell, period in zip(found["cell"].tolist(), found["period"], strict=True):
        out.setdefault(int(cell), []).append(pd.Timestamp(period))
    return out


def _icons(data: pd.DataFrame, measures: list[Measure]) -> pd.DataFrame:
    """The engine's icon table for every (measure, organisation) series at once,
    with each organisation's own targets and rebases."""
    columns = ["measure_id", "organisation_id", "period", "value", "target"]
    empty = pd.DataFrame(columns=[*columns, "variation", "assurance", "signal"])
    if data.empty:
        return empty
    # One integer key per series (the engine takes a single key column): the pair
    # packed into one integer, numbered in order (a MultiIndex is far slower).
    mid = data["measure_id"].to_numpy(dtype=np.int64)
    oid = data["organisation_id"].to_numpy(dtype=np.int64)
    packed = mid * (int(oid.max()) + 1) + oid
    pairs, codes = np.unique(packed, return_inverse=True)
    data = data.assign(cell=codes.astype(np.int64))
    cells = pd.DataFrame(
        {
            "cell": np.arange(len(pairs), dtype=np.int64),
            "measure_id": pairs // (int(oid.max()) + 1),
            "organisation_id": pairs % (int(oid.max()) + 1),
        }
    )
    cells["latest"] = data.groupby("cell")["period"].max().to_numpy()
    measure_of = {m.pk: m for m in measures}
    result = engine.run_charts(
        data[["cell", "period", "value", "numerator", "denominator"]],
        by="cell",
        measures=dict(
            zip(
                cells["cell"].tolist(),
                [measure_of[m] for m in cells["measure_id"].tolist()],
                strict=True,
            )
        ),
        target=_targets(cells),
        part=_rebases(cells),
    )
    if result is None:
        return empty
    # Series too short for their chart type's limits are left out by the engine.
    icons = result.icons
    at = icons["cell"].to_numpy()
    return icons.assign(
        measure_id=cells["measure_id"].to_numpy()[at],
        organisation_id=cells["organisation_id"].to_numpy()[at],
    )
