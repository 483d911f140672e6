"""A board pack as PDF: HTML and CSS laid out by WeasyPrint.

Pages: a cover with the counts and the key to the icons, the icon summary table
(concerns and failing targets first), a system meeting's system report (every
measure × every organisation of the system, as icons), a page per measure (chart, icons, key figures,
narrative, linked projects) and the meeting's decisions and actions. Every piece of
text is escaped; images are served to WeasyPrint from memory and nothing else can be
fetched, so a pack never reaches the network.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from html import escape
from importlib import resources
from typing import Any

from qualitas.reports.packs.images import icon_png, render_charts
from qualitas.reports.packs.model import Pack, PackGridCell, PackMeasure, long_date

KEY = (
    "Variation icons say what the latest point shows: grey, common cause (no signal); "
    "blue, special cause improvement; orange, special cause concern; purple, special "
    "cause where neither direction is better. H and L say whether the signal is of "
    "higher or lower values. Assurance icons say whether the process, as it runs now, "
    "will meet the target: P consistently passes, F consistently fails, ? hits and "
    "misses at random."
)


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: every character that is not a plain letter,
    digit or space is written as an escape, so nothing can end the string.

    >>> css_string('A "quoted" } name')
    '"A \\\\22 quoted\\\\22  \\\\7d  name"'
    """
    out = []
    for ch in text:
        if ch.isalnum() or ch == " ":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):x} ")
    return '"' + "".join(out) + '"'


def _text(value: str) -> str:
    """Escaped text with its line breaks kept."""
    return "<br>".join(escape(line) for line in value.strip().splitlines())


def _icon(kind: str, code: str | None, images: dict[str, bytes], large: bool) -> str:
    png = icon_png(kind, code)
    if png is None:
        return ""
    name = f"icon-{kind}-{code}"
    images[name] = png
    css = "icon icon--large" if large else "icon"
    return f'<img class="{css}" src="pack:{name}" alt="">'


def _cover(pack: Pack) -> str:
    caveat = (
        f'<div class="cover__caveat">{escape(pack.caveat)}</div>' if pack.caveat else ""
    )
    frozen = f"<p>Report frozen {escape(pack.frozen)}</p>" if pack.frozen else ""
    return f"""
<section class="cover">
  <div class="cover__band">
    <p>{escape(pack.organisation)}</p>
    <h1>{escape(pack.title)}</h1>
    <p>Integrated quality report for the meeting of {escape(long_date(pack.meeting_date))}</p>
    <p>Data to {escape(pack.data_cut)}</p>{frozen}
  </div>
  <div class="cover__body">
    <div class="cover__stats">
      <div><strong>{len(pack.measures)}</strong>measures</div>
      <div><strong>{pack.concern_count}</strong>showing special cause concern</div>
      <div><strong>{pack.failing_count}</strong>consistently failing the target</div>
      <div><strong>{sum(1 for a in pack.actions if not a.status.startswith("Closed"))}</strong>open actions</div>
    </div>
    <div class="cover__key"><h3>How to read the icons</h3><p>{escape(KEY)}</p>
    <p class="secondary">Statistical process control as in NHS England's Making Data Count: each chart shows the mean and the process limits; a point outside the limits, a run of points on one side of the mean, a trend or two of three points near a limit is a signal.</p></div>
  </div>
  {caveat}
</section>"""


def _measure_line(m: PackMeasure) -> str:
    parts = [m.domain, m.unit, m.note]
    text = " · ".join(p for p in parts if p)
    return f'<span class="secondary small">{escape(text)}</span>'


def _icon_cell(kind: str, code: str | None, text: str, images: dict[str, bytes]) -> str:
    icon = _icon(kind, code, images, False)
    return (
        f'<div class="iconcell">{icon}<span class="small">{escape(text)}</span></div>'
    )


def _summary(pack: Pack, images: dict[str, bytes]) -> str:
    rows = []
    group = None
    for m in pack.measures:
        if m.group and m.group != group:
            group = m.group
            rows.append(f'<tr class="group"><th colspan="8">{escape(group)}</th></tr>')
        rows.append(
            "<tr>"
            f"<td><strong>{escape(m.name)}</strong><br>{_measure_line(m)}</td>"
            f"<td>{escape(m.period)}</td>"
            f'<td class="num"><strong>{escape(m.value)}</strong></td>'
            f'<td class="num">{escape(m.target)}</td>'
            f"<td>{_icon_cell('variation', m.variation, m.variation_text, images)}</td>"
            f"<td>{_icon_cell('assurance', m.assurance, m.assurance_text, images)}</td>"
            f'<td class="num">{escape(m.mean)}</td>'
            f'<td class="num">{escape(m.lower_limit)} to {escape(m.upper_limit)}</td>'
            "</tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="8">No measures with data.</td></tr>'
    return f"""
<section class="summary">
  <h2>Summary: {len(pack.measures)} measures, concerns and failing targets first</h2>
  <table class="report">
    <colgroup><col style="width: 30%"><col style="width: 8%"><col style="width: 8%"><col style="width: 7%"><col style="width: 17%"><col style="width: 15%"><col style="width: 6%"><col style="width: 9%"></colgroup>
    <thead><tr><th>Measure</th><th>Latest period</th><th class="num">Value</th><th class="num">Target</th><th>Variation</th><th>Assurance</th><th class="num">Mean</th><th class="num">Process limits</th></tr></thead>
    <tbody>{body}</tbody>
  </table>
</section>"""


def _grid_cell(cell: PackGridCell, images: dict[str, bytes]) -> str:
    if not cell.variation:
        return f'<td class="gridcell gridcell--none">{escape(cell.note)}</td>'
    pictures = _icon("variation", cell.variation, images, False)
    pictures += _icon("assurance", cell.assurance, images, False)
    target = f" / {escape(cell.target)}" if cell.target else ""
    return (
        f'<td class="gridcell"><div class="gridicons">{pictures}</div>'
        f'<span class="small">{escape(cell.value)}{target}</span></td>'
    )


def _system(pack: Pack, images: dict[str, bytes]) -> str:
    """A system meeting's grid: every measure beside every organisation."""
    grid = pack.system
    if grid is None:
        return ""
    columns = len(grid.organisations) + 1
    rows = []
    group = None
    for r in grid.rows:
        if r.group and r.group != group:
            group = r.group
            rows.append(
                f'<tr class="group"><th colspan="{columns}">{escape(group)}</th></tr>'
            )
        cells = "".join(_grid_cell(c, images) for c in r.cells)
        rows.append(
            f'<tr><td><strong>{escape(r.name)}</strong><br><span class="secondary small">{escape(r.unit)}</span></td>{cells}</tr>'
        )
    body = "\n".join(rows) or (
        f'<tr><td colspan="{columns}">No measures with data.</td></tr>'
    )
    heads = "".join(f"<th>{escape(o)}</th>" for o in grid.organisations)
    return f"""
<section class="system">
  <h2>System report: {len(grid.rows)} measures across {len(grid.organisations)} organisations</h2>
  <p class="secondary">Each organisation's latest period of each measure, with its variation and assurance icons, latest value and target; measures of concern or failing their target at any organisation first.</p>
  <table class="report grid">
    <thead><tr><th class="grid__measure">Measure</th>{heads}</tr></thead>
    <tbody>{body}</tbody>
  </table>
</section>"""


def _measure(
    m: PackMeasure, index: int, chart: bytes | None, images: dict[str, bytes]
) -> str:
    if chart is not None:
        images[f"chart-{index}"] = as_jpeg(chart)
        picture = f'<img class="chart" src="pack:chart-{index}" alt="SPC chart of {escape(m.name)}">'
    else:
        picture = '<p class="secondary">No chart: too few points.</p>'
    told = (
        f"<p>{_text(m.chart_tells_us)}</p>"
        if m.chart_tells_us.strip()
        else '<p class="empty">Not written.</p>'
    )
    doing = (
        f"<p>{_text(m.doing)}</p>"
        if m.doing.strip()
        else '<p class="empty">Not written.</p>'
    )
    projects = ""
    if m.projects:
        items = "".join(
            f"<li><strong>{escape(p.title)}</strong>"
            f"{' (' + escape(p.status) + ')' if p.status else ''}"
            f"{' · progress ' + escape(p.progress) if p.progress else ''}"
            f"{': ' + escape(p.aim) if p.aim else ''}</li>"
            for p in m.projects
        )
        projects = f'<div class="projects"><h3>Improvement projects on this measure</h3><ul>{items}</ul></div>'
    note = f'<span class="tag">{escape(m.note)}</span>' if m.note else ""
    return f"""
<section class="measure">
  <div class="measure__head">
    <div><h2>{escape(m.name)}{note}</h2>
      <p class="secondary">{escape(m.domain)} · {escape(m.unit)} · latest period {escape(m.period)}</p></div>
    <div class="measure__icons">
      {_icon("variation", m.variation, images, True)}<span>{escape(m.variation_text)}</span>
      {_icon("assurance", m.assurance, images, True)}<span>{escape(m.assurance_text)}</span>
    </div>
  </div>
  <div class="figures">
    <div>Latest<strong>{escape(m.value)}</strong></div>
    <div>Target<strong>{escape(m.target)}</strong></div>
    <div>Mean<strong>{escape(m.mean)}</strong></div>
    <div>Process limits<strong>{escape(m.lower_limit)} to {escape(m.upper_limit)}</strong></div>
  </div>
  {picture}
  <div class="narrative">
    <section><h3>What the chart tells us</h3>{told}</section>
    <section><h3>What we are doing</h3>{doing}</section>
  </div>
  {projects}
</section>"""


def _aside(text: str, *, block: bool = False) -> str:
    if not text:
        return ""
    if block:
        return f'<br><span class="secondary small">{escape(text)}</span>'
    return f' <span class="secondary">({escape(text)})</span>'


def _status_class(status: str) -> str:
    return "status-overdue" if status == "Overdue" else ""


def _actions(pack: Pack) -> str:
    if not pack.actions and not pack.decisions:
        return ""
    decisions = ""
    if pack.decisions:
        items = "".join(
            f"<li>{_text(d.text)}{_aside(d.measure)}</li>" for d in pack.decisions
        )
        decisions = f"<h3>Decisions</h3><ul>{items}</ul>"
    actions = ""
    if pack.actions:
        rows = "".join(
            "<tr>"
            f"<td>{_text(a.text)}{_aside(a.measure, block=True)}</td>"
            f"<td>{escape(a.owner)}</td>"
            f"<td>{escape(long_date(a.due))}</td>"
            f"<td>{escape(a.raised)}</td>"
            f'<td class="{_status_class(a.status)}">{escape(a.status)}</td>'
            "</tr>"
            for a in pack.actions
        )
        actions = (
            '<h3>Action log</h3><table class="report"><colgroup><col style="width: 46%"><col style="width: 16%"><col style="width: 12%"><col style="width: 12%"><col style="width: 14%"></colgroup><thead><tr><th>Action</th><th>Owner</th>'
            f"<th>Due</th><th>Raised</th><th>Status</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return f'<section class="actions"><h2>Decisions and actions</h2>{decisions}{actions}</section>'


def as_jpeg(png: bytes, quality: int = 85) -> bytes:
    """A chart as JPEG on white. WeasyPrint copies JPEG into the PDF as it is, where a
    PNG with transparency is decoded and compressed again, twice."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    flat = Image.new("RGB", image.size, "white")
    if image.mode in ("RGBA", "LA", "P"):
        flat.paste(image, mask=image.convert("RGBA").getchannel("A"))
    else:
        flat.paste(image)
    out = io.BytesIO()
    flat.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def pack_html(
    pack: Pack, charts: Sequence[bytes | None]
) -> tuple[str, dict[str, bytes]]:
    """The pack's HTML and the images it names (``pack:NAME``)."""
    images: dict[str, bytes] = {}
    css = resources.files("qualitas.reports.packs").joinpath("pack.css").read_text()
    footer = f"{pack.organisation} · {pack.title} · {long_date(pack.meeting_date)}"
    if pack.caveat:
        footer += " · " + pack.caveat
    css = css.replace("var(--footer)", css_string(footer))
    parts = [
        f'<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>{escape(pack.title)}</title><style>{css}</style></head><body>',
        _cover(pack),
        _summary(pack, images),
        _system(pack, images),
        *(_measure(m, i, charts[i], images) for i, m in enumerate(pack.measures)),
        _actions(pack),
        "</body></html>",
    ]
    return "".join(parts), images


def pack_pdf(pack: Pack, charts: Sequence[bytes | None] | None = None) -> bytes:
    """The pack as PDF. ``charts``: PNG images in the order of ``pack.measures``, if
    already drawn (see :func:`render_charts`); otherwise they are drawn here."""
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    if charts is None:
        charts = render_charts([m.chart for m in pack.measures])
    html, images = pack_html(pack, charts)

    class _FromMemory(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            name = url.removeprefix("pack:")
            if not url.startswith("pack:") or name not in images:
                raise ValueError(f"a pack loads only its own images, not {url!r}")
            body = images[name]
            kind = "image/jpeg" if body[:2] == b"\xff\xd8" else "image/png"
            return URLFetcherResponse(url, body=body, headers={"Content-Type": kind})

    document = weasyprint.HTML(
        string=html, base_url="pack:/", url_fetcher=_FromMemory()
    )
    return bytes(document.write_pdf())
