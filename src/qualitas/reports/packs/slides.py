"""A board pack as PowerPoint (python-pptx): a cover, the icon summary table, a system
meeting's system report, a slide per measure and the decisions and actions.

Slides are drawn on the blank layout with our own shapes, so they look the same in
any template. Text that might not fit a box (long narratives) is shortened on the
slide and given in full in the slide's notes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from qualitas.reports.packs.images import icon_png, render_charts
from qualitas.reports.packs.model import Pack, PackMeasure, long_date
from qualitas.reports.packs.pdf import KEY

BLUE, DARK, GREY, PALE, WHITE, RED = (
    "005EB8",
    "212B32",
    "4C6272",
    "F0F4F5",
    "FFFFFF",
    "D5281B",
)
ROWS_PER_SLIDE = 9
ACTIONS_PER_SLIDE = 8
SHORT = 520  # characters of narrative shown on a slide


def _shorten(text: str, limit: int = SHORT) -> tuple[str, bool]:
    """
    >>> _shorten("one two three", 8)
    ('one two…', True)
    """
    text = text.strip()
    if len(text) <= limit:
        return text, False
    return text[:limit].rsplit(" ", 1)[0] + "…", True


def _rgb(hex_colour: str) -> Any:
    """A python-pptx colour from six hex digits."""
    from pptx.dml.color import RGBColor

    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    return RGBColor(red, green, blue)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _fit(png: bytes, width: float, height: float) -> tuple[float, float]:
    """The largest size with the image's proportions inside ``width`` × ``height``."""
    w, h = png_size(png)
    scale = min(width / w, height / h)
    return w * scale, h * scale


class _Deck:
    def __init__(self) -> None:
        from pptx import Presentation
        from pptx.util import Inches

        self.prs = Presentation()
        self.prs.slide_width = Inches(13.333)
        self.prs.slide_height = Inches(7.5)
        self.blank = self.prs.slide_layouts[6]

    def slide(self, footer: str) -> Any:
        s = self.prs.slides.add_slide(self.blank)
        if footer:
            self.text(s, footer, 0.4, 7.05, 10, 0.3, size=9, colour=GREY)
        return s

    def text(
        self,
        slide: Any,
        text: str,
        left: float,
        top: float,
        width: float,
        height: float,
        *,
        size: int = 12,
        bold: bool = False,
        colour: str = DARK,
        fill: str | None = None,
        align: str = "left",
    ) -> Any:
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Inches, Pt

        box = slide.shapes.add_textbox(
            Inches(left), Inches(top), Inches(width), Inches(height)
        )
        if fill:
            box.fill.solid()
            box.fill.fore_color.rgb = _rgb(fill)
        frame = box.text_frame
        frame.word_wrap = True
        for i, line in enumerate(text.split("\n")):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            para.alignment = PP_ALIGN.RIGHT if align == "right" else PP_ALIGN.LEFT
            run = para.add_run()
            run.text = line
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.name = "Arial"
            run.font.color.rgb = _rgb(colour)
        return box

    def rect(
        self,
        slide: Any,
        left: float,
        top: float,
        width: float,
        height: float,
        colour: str,
    ) -> Any:
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.util import Inches

        shape = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE,
            Inches(left),
            Inches(top),
            Inches(width),
            Inches(height),
        )
        shape.fill.solid()
        shape.fill.fore_color.rgb = _rgb(colour)
        shape.line.fill.background()
        return shape

    def picture(
        self,
        slide: Any,
        png: bytes,
        left: float,
        top: float,
        *,
        width: float | None = None,
        height: float | None = None,
    ) -> Any:
        from pptx.util import Inches

        return slide.shapes.add_picture(
            io.BytesIO(png),
            Inches(left),
            Inches(top),
            width=Inches(width) if width else None,
            height=Inches(height) if height else None,
        )

    def table(
        self,
        slide: Any,
        header: list[str],
        rows: list[list[str]],
        left: float,
        top: float,
        widths: list[float],
        row_height: float = 0.5,
    ) -> Any:
        from pptx.util import Inches, Pt

        shape = slide.shapes.add_table(
            len(rows) + 1,
            len(header),
            Inches(left),
            Inches(top),
            Inches(sum(widths)),
            Inches(row_height * (len(rows) + 1)),
        )
        table = shape.table
        for j, w in enumerate(widths):
            table.columns[j].width = Inches(w)
        for i, values in enumerate([header, *rows]):
            table.rows[i].height = Inches(row_height)
            for j, value in enumerate(values):
                cell = table.cell(i, j)
                cell.text = str(value)
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb(
                    BLUE if i == 0 else (WHITE if i % 2 else PALE)
                )
                for para in cell.text_frame.paragraphs:
                    for run in para.runs:
                        run.font.size = Pt(10 if i else 11)
                        run.font.name = "Arial"
                        run.font.bold = i == 0
                        run.font.color.rgb = _rgb(WHITE if i == 0 else DARK)
        return table

    def notes(self, slide: Any, text: str) -> None:
        slide.notes_slide.notes_text_frame.text = text

    def save(self) -> bytes:
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()


def _cover(deck: _Deck, pack: Pack) -> None:
    s = deck.slide("")
    deck.rect(s, 0, 0, 13.333, 3.3, BLUE)
    deck.text(s, pack.organisation, 0.7, 0.6, 12, 0.5, size=18, colour=WHITE)
    deck.text(s, pack.title, 0.7, 1.1, 12, 1.0, size=36, bold=True, colour=WHITE)
    deck.text(
        s,
        f"Integrated quality report for the meeting of {long_date(pack.meeting_date)}"
        f"\nData to {pack.data_cut}"
        + (f" · report frozen {pack.frozen}" if pack.frozen else ""),
        0.7,
        2.1,
        12,
        1.0,
        size=16,
        colour=WHITE,
    )
    stats = [
        (len(pack.measures), "measures"),
        (pack.concern_count, "showing special cause concern"),
        (pack.failing_count, "consistently failing the target"),
        (
            sum(1 for a in pack.actions if not a.status.startswith("Closed")),
            "open actions",
        ),
    ]
    for i, (n, label) in enumerate(stats):
        deck.rect(s, 0.7 + i * 3.1, 3.7, 0.08, 1.0, BLUE)
        deck.text(s, str(n), 0.9 + i * 3.1, 3.6, 2.8, 0.6, size=28, bold=True)
        deck.text(s, label, 0.9 + i * 3.1, 4.25, 2.8, 0.6, size=12, colour=GREY)
    deck.text(s, "How to read the icons", 0.7, 5.0, 12, 0.4, size=13, bold=True)
    deck.text(s, KEY, 0.7, 5.35, 11.9, 1.1, size=11, colour=GREY)
    if pack.caveat:
        deck.text(s, pack.caveat, 0.7, 6.5, 11.9, 0.5, size=11, fill="FFF9C4")
    deck.notes(s, pack.subtitle)


def _summary(deck: _Deck, pack: Pack, footer: str) -> None:
    measures = list(pack.measures)
    pages = [
        measures[i : i + ROWS_PER_SLIDE]
        for i in range(0, max(len(measures), 1), ROWS_PER_SLIDE)
    ]
    widths = [4.2, 1.2, 1.1, 1.0, 1.2, 1.2, 1.0, 1.6]
    header = [
        "Measure",
        "Period",
        "Value",
        "Target",
        "Variation",
        "Assurance",
        "Mean",
        "Limits",
    ]
    row_h = 0.58
    for n, chunk in enumerate(pages, start=1):
        s = deck.slide(footer)
        title = "Summary: concerns and failing targets first"
        if len(pages) > 1:
            title += f" ({n} of {len(pages)})"
        deck.text(s, title, 0.4, 0.25, 12.5, 0.6, size=22, bold=True, colour=BLUE)
        rows = [
            [
                m.name,
                m.period,
                m.value,
                m.target,
                "",
                "",
                m.mean,
                f"{m.lower_limit} to {m.upper_limit}",
            ]
            for m in chunk
        ]
        if not rows:
            deck.text(s, "No measures with data.", 0.4, 1.2, 8, 0.5)
            continue
        deck.table(s, header, rows, 0.4, 1.0, widths, row_h)
        x_var = 0.4 + sum(widths[:4])
        x_ass = x_var + widths[4]
        for i, m in enumerate(chunk, start=1):
            top = 1.0 + i * row_h + 0.06
            var = icon_png("variation", m.variation)
            if var:
                deck.picture(s, var, x_var + 0.35, top, height=row_h - 0.12)
            ass = icon_png("assurance", m.assurance)
            if ass:
                deck.picture(s, ass, x_ass + 0.35, top, height=row_h - 0.12)
        deck.notes(
            s,
            "\n".join(
                f"{m.name}: {m.value} ({m.period}); {m.variation_text}; {m.assurance_text}."
                for m in chunk
            ),
        )


GRID_ROWS, GRID_ORGS = 8, 8  # measures and organisations on one system report slide


def _system(deck: _Deck, pack: Pack, footer: str) -> None:
    """A system meeting's grid: measures down, organisations across, as many slides
    as it takes (eight measures by eight organisations on each)."""
    from pptx.util import Inches, Pt

    grid = pack.system
    if grid is None:
        return
    rows = list(grid.rows)
    orgs = list(range(len(grid.organisations)))
    row_pages = [
        rows[i : i + GRID_ROWS] for i in range(0, max(len(rows), 1), GRID_ROWS)
    ]
    org_pages = [
        orgs[i : i + GRID_ORGS] for i in range(0, max(len(orgs), 1), GRID_ORGS)
    ]
    total = len(row_pages) * len(org_pages)
    head_h, row_h, name_w = 0.9, 0.68, 3.1
    n = 0
    for chunk in row_pages:
        for columns in org_pages:
            n += 1
            s = deck.slide(footer)
            title = "System report: every measure at every organisation"
            if total > 1:
                title += f" ({n} of {total})"
            deck.text(s, title, 0.4, 0.25, 12.5, 0.6, size=22, bold=True, colour=BLUE)
            if not chunk or not columns:
                deck.text(s, "No measures with data.", 0.4, 1.2, 8, 0.5)
                continue
            width = min(1.2, (12.5 - name_w) / len(columns))
            header = ["Measure", *(grid.organisations[j] for j in columns)]
            body = [
                [
                    r.name,
                    *(
                        r.cells[j].note if not r.cells[j].variation else ""
                        for j in columns
                    ),
                ]
                for r in chunk
            ]
            table = deck.table(
                s, header, body, 0.4, 1.0, [name_w] + [width] * len(columns), row_h
            )
            table.rows[0].height = Inches(head_h)
            for j in range(len(header)):
                for para in table.cell(0, j).text_frame.paragraphs:
                    for run in para.runs:
                        run.font.size = Pt(9)
            for i, r in enumerate(chunk):
                top = 1.0 + head_h + i * row_h
                for k, j in enumerate(columns):
                    cell = r.cells[j]
                    if not cell.variation:
                        continue
                    left = 0.4 + name_w + k * width + 0.08
                    var = icon_png("variation", cell.variation)
                    if var:
                        deck.picture(s, var, left, top + 0.04, height=0.34)
                    ass = icon_png("assurance", cell.assurance)
                    if ass:
                        deck.picture(s, ass, left + 0.38, top + 0.04, height=0.34)
                    figure = cell.value + (f" / {cell.target}" if cell.target else "")
                    deck.text(
                        s, figure, left - 0.05, top + 0.34, width - 0.06, 0.3, size=8
                    )
            deck.notes(
                s,
                "\n".join(
                    f"{r.name} at {grid.organisations[j]}: "
                    + (
                        f"{r.cells[j].value}; {r.cells[j].variation_text}; "
                        f"{r.cells[j].assurance_text}."
                        if r.cells[j].variation
                        else f"{r.cells[j].note}."
                    )
                    for r in chunk
                    for j in columns
                ),
            )


def _measure(deck: _Deck, m: PackMeasure, chart: bytes | None, footer: str) -> None:
    s = deck.slide(footer)
    deck.text(s, m.name, 0.4, 0.2, 9.0, 0.7, size=22, bold=True, colour=BLUE)
    line = " · ".join(
        p for p in (m.domain, m.unit, f"latest period {m.period}", m.note) if p
    )
    deck.text(s, line, 0.4, 0.85, 9.0, 0.4, size=12, colour=GREY)
    var = icon_png("variation", m.variation)
    if var:
        deck.picture(s, var, 9.6, 0.25, height=0.8)
    deck.text(s, m.variation_text, 10.45, 0.25, 2.6, 0.8, size=10)
    ass = icon_png("assurance", m.assurance)
    if ass:
        deck.picture(s, ass, 9.6, 1.1, height=0.8)
    deck.text(s, m.assurance_text, 10.45, 1.1, 2.6, 0.8, size=10)
    if chart is not None:
        width, height = _fit(chart, 8.9, 3.55)
        deck.picture(s, chart, 0.4, 1.35, width=width, height=height)
    else:
        deck.text(s, "No chart: too few points.", 0.4, 1.5, 8.9, 0.5, colour=GREY)
    figures = [
        ("Latest", m.value),
        ("Target", m.target),
        ("Mean", m.mean),
        ("Process limits", f"{m.lower_limit} to {m.upper_limit}"),
    ]
    for i, (label, value) in enumerate(figures):
        deck.text(
            s, f"{label}\n{value}", 9.6, 2.1 + i * 0.72, 3.3, 0.65, size=12, fill=PALE
        )
    told, cut1 = _shorten(m.chart_tells_us)
    doing, cut2 = _shorten(m.doing)
    deck.text(
        s,
        "What the chart tells us",
        0.4,
        5.0,
        4.4,
        0.35,
        size=12,
        bold=True,
        colour=BLUE,
    )
    deck.text(
        s,
        told or "Not written.",
        0.4,
        5.35,
        4.4,
        1.6,
        size=10,
        colour=DARK if told else GREY,
    )
    deck.text(
        s, "What we are doing", 4.9, 5.0, 4.4, 0.35, size=12, bold=True, colour=BLUE
    )
    deck.text(
        s,
        doing or "Not written.",
        4.9,
        5.35,
        4.4,
        1.6,
        size=10,
        colour=DARK if doing else GREY,
    )
    if m.projects:
        listed = "\n".join(
            "• " + p.title + (f" ({p.status})" if p.status else "")
            for p in m.projects[:5]
        )
        deck.text(
            s,
            "Improvement projects",
            9.6,
            5.0,
            3.3,
            0.35,
            size=12,
            bold=True,
            colour=BLUE,
        )
        deck.text(s, listed, 9.6, 5.35, 3.3, 1.6, size=10)
    notes = [
        f"{m.name}: {m.value} in {m.period}. {m.variation_text}. {m.assurance_text}.",
        "",
        "What the chart tells us:",
        m.chart_tells_us.strip() or "Not written.",
        "",
        "What we are doing:",
        m.doing.strip() or "Not written.",
    ]
    if m.projects:
        notes += ["", "Improvement projects:"] + [
            f"- {p.title}"
            + (f" ({p.status})" if p.status else "")
            + (f": {p.aim}" if p.aim else "")
            for p in m.projects
        ]
    if cut1 or cut2:
        notes.insert(
            1, "(The narrative is shortened on the slide; it is given in full here.)"
        )
    deck.notes(s, "\n".join(notes))


def _actions(deck: _Deck, pack: Pack, footer: str) -> None:
    if pack.decisions:
        s = deck.slide(footer)
        deck.text(s, "Decisions", 0.4, 0.25, 12.5, 0.6, size=22, bold=True, colour=BLUE)
        body = "\n".join(
            "• " + d.text + (f" ({d.measure})" if d.measure else "")
            for d in pack.decisions
        )
        deck.text(s, body, 0.4, 1.0, 12.5, 5.8, size=12)
    actions = list(pack.actions)
    for n in range(0, len(actions), ACTIONS_PER_SLIDE):
        chunk = actions[n : n + ACTIONS_PER_SLIDE]
        s = deck.slide(footer)
        deck.text(
            s, "Action log", 0.4, 0.25, 12.5, 0.6, size=22, bold=True, colour=BLUE
        )
        rows = [
            [_shorten(a.text, 160)[0], a.owner, long_date(a.due), a.raised, a.status]
            for a in chunk
        ]
        table = deck.table(
            s,
            ["Action", "Owner", "Due", "Raised", "Status"],
            rows,
            0.4,
            1.0,
            [5.6, 2.0, 1.6, 1.6, 1.7],
            0.62,
        )

        for i, a in enumerate(chunk, start=1):
            if a.status == "Overdue":
                for run in table.cell(i, 4).text_frame.paragraphs[0].runs:
                    run.font.color.rgb = _rgb(RED)
                    run.font.bold = True


def pack_pptx(pack: Pack, charts: Sequence[bytes | None] | None = None) -> bytes:
    """The pack as a PowerPoint file. ``charts`` as for :func:`pack_pdf`."""
    if charts is None:
        charts = render_charts([m.chart for m in pack.measures])
    deck = _Deck()
    footer = f"{pack.organisation} · {pack.title} · {long_date(pack.meeting_date)}"
    if pack.caveat:
        footer += f" · {pack.caveat}"
    _cover(deck, pack)
    _summary(deck, pack, footer)
    _system(deck, pack, footer)
    for m, chart in zip(pack.measures, charts, strict=True):
        _measure(deck, m, chart, footer)
    _actions(deck, pack, footer)
    return deck.save()
