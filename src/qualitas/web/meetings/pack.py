"""A meeting's board pack: the frozen report, narrative, linked projects, decisions
and actions, as the plain :class:`qualitas.reports.packs.Pack` the PDF and PowerPoint
are drawn from. Charts are drawn once per frozen report and kept (ChartImage)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone

from qualitas.reports import packs
from qualitas.reports.packs.images import PARALLEL_FROM
from qualitas.web.board import report, system
from qualitas.web.measures import words
from qualitas.web.measures.models import Measure
from qualitas.web.meetings import project_links, services
from qualitas.web.meetings.models import Action, ChartImage, Meeting
from qualitas.web.meetings.snapshot import FrozenReport

CHART_WIDTH, CHART_HEIGHT = 640, 260
CAVEAT_DEMO = "Demonstration: some data are generated. Do not use for decisions."


def _no_report(fraction: float, step: str) -> None:
    pass


def build(
    meeting: Meeting, report: Callable[[float, str], None] = _no_report
) -> tuple[packs.Pack, list[bytes | None]]:
    """The pack and its chart images (drawn now for charts not yet kept).

    ``report(fraction, step)`` hears how far the drawing has got (0 to 1)."""
    frozen = FrozenReport(meeting.snapshot)
    org = meeting.committee.organisation
    measures = Measure.objects.in_bulk([r.measure_id for r in frozen.rows])
    items = {i.measure_id: i for i in meeting.items.all()}
    projects = project_links.for_measures([org.pk], list(measures), viewer=None)
    kept = {
        c.measure_id: bytes(c.png) for c in ChartImage.objects.filter(meeting=meeting)
    }
    missing = [r.measure_id for r in frozen.rows if r.measure_id not in kept]
    if missing:
        specs = frozen.charts(
            [measures[i] for i in missing], width=CHART_WIDTH, height=CHART_HEIGHT
        )
        # Drawn in shares big enough to use both processors, each kept as soon as it
        # is drawn, so progress can be shown and a restarted job starts where it was.
        share = PARALLEL_FROM
        for start in range(0, len(missing), share):
            report(
                start / len(missing),
                f"Drawing the charts ({start} of {len(missing)})",
            )
            ids = missing[start : start + share]
            drawn = packs.render_charts([specs.get(i) for i in ids])
            new = [
                ChartImage(meeting=meeting, measure_id=i, png=png)
                for i, png in zip(ids, drawn, strict=True)
                if png is not None
            ]
            ChartImage.objects.bulk_create(new, ignore_conflicts=True)
            kept.update({c.measure_id: bytes(c.png) for c in new})
    report(1.0, "Putting the pack together")

    rows = []
    for r in frozen.rows:
        item = items.get(r.measure_id)
        notes = [
            n
            for n in (
                "demonstration data" if r.synthetic else "",
                "trial limits" if r.short_baseline else "",
                r.late,
                # The pack shows the figures as frozen; say when one has changed.
                "a value corrected before freezing (see the chart)"
                if r.corrections
                else "",
                "a value corrected since this report was frozen"
                if r.since_corrected
                else "",
            )
            if n
        ]
        rows.append(
            packs.PackMeasure(
                name=r.name,
                unit=r.unit,
                domain=r.domain,
                period=r.period_label,
                value=r.fmt(r.value),
                target=r.fmt(r.target),
                mean=r.fmt(r.mean),
                lower_limit=r.fmt(r.lpl),
                upper_limit=r.fmt(r.upl),
                variation=r.variation,
                assurance=r.assurance,
                variation_text=r.variation_text,
                assurance_text=r.assurance_text,
                chart=None,
                chart_tells_us=item.chart_tells_us if item else "",
                doing=item.doing if item else "",
                projects=tuple(
                    packs.PackProject(p.title, p.status, p.aim, p.progress)
                    for p in projects.get(r.measure_id, [])
                ),
                note=", ".join(notes),
                group=r.group,
            )
        )
    actions = [
        *Action.objects.open_at(meeting).select_related("meeting", "measure"),
        *meeting.actions.select_related("meeting", "measure"),
    ]
    pack = packs.Pack(
        title=meeting.committee.name,
        organisation=org.name,
        meeting_date=meeting.date,
        data_cut=f"{meeting.data_cut:%B %Y}",
        frozen=timezone.localtime(meeting.snapshot.taken_at).strftime(
            "%-d %B %Y, %H:%M"
        ),
        measures=tuple(rows),
        decisions=tuple(
            packs.PackDecision(d.text, d.measure.name if d.measure else "")
            for d in meeting.decisions.select_related("measure")
        ),
        actions=tuple(
            packs.PackAction(
                text=a.text,
                owner=a.owner,
                due=a.due,
                status=services.action_status(a, meeting),
                raised=f"{a.meeting.date.day} {a.meeting.date:%B %Y}",
                measure=a.measure.name if a.measure else "",
            )
            for a in actions
        ),
        caveat=CAVEAT_DEMO if settings.DEMO_MODE else "",
        system=system_grid(meeting.snapshot.system_grid),
    )
    charts = [kept.get(r.measure_id) for r in frozen.rows]
    return pack, charts


def system_grid(frozen: dict[str, Any]) -> packs.PackSystemGrid | None:
    """A system meeting's frozen system report for the pack (None for others)."""
    if not frozen:
        return None
    rows = []
    for r in frozen["rows"]:
        decimals = int(r["decimals"])
        cells = []
        for c in r["cells"]:
            if c["state"] != system.SHOWN:
                cells.append(packs.PackGridCell(note=system.CELL_WORDS[c["state"]]))
                continue
            value = words.number(c["value"], decimals)
            if c["variation"] not in words.VARIATION:
                # A run chart: no icons, its signal in words.
                signal = c.get("signal") or "Run chart"
                cells.append(packs.PackGridCell(note=f"{value}: {signal}"))
                continue
            cells.append(
                packs.PackGridCell(
                    variation=c["variation"],
                    assurance=c["assurance"],
                    value=value,
                    target=""
                    if c["target"] is None
                    else words.number(c["target"], decimals),
                    variation_text=words.VARIATION.get(c["variation"], ""),
                    assurance_text=words.ASSURANCE.get(
                        c["assurance"] or "", words.NO_ASSURANCE
                    ),
                )
            )
        rows.append(
            packs.PackGridRow(
                name=r["name"],
                unit=r["unit"],
                group=report.PRIORITY_LABELS[r["priority"]],
                cells=tuple(cells),
            )
        )
    return packs.PackSystemGrid(
        organisations=tuple(o["name"] for o in frozen["organisations"]),
        rows=tuple(rows),
    )


def filename(meeting: Meeting, extension: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in meeting.committee.name.lower())
    slug = "-".join(p for p in slug.split("-") if p)
    return f"{slug}-{meeting.date.isoformat()}-pack.{extension}"
