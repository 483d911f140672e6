"""The driver diagram drawn as SVG, in our own code: aim, primary drivers, secondary
drivers and change ideas in four columns, joined by lines.

The layout is a plain stack: each secondary driver takes a row under its primary, a
primary sits beside the middle of its secondaries, change ideas are listed in the order
of the first driver they work on (which keeps lines from crossing much), and the aim
sits beside the middle of everything. The same SVG is shown on the page and exported;
:func:`png` turns it into a PNG with vl-convert (no browser needed).

>>> svg = driver_diagram_svg(Diagram(aim="Fewer falls", primaries=[
...     Box(key="p1", text="Safe environment", children=[Box(key="s1", text="Call bell in reach")])],
...     ideas=[Idea(key="i1", text="Bedside checklist", drivers=["s1"], status="adopted")]))
>>> svg.startswith("<svg") and "Bedside checklist" in svg
True
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

FONT = "Arial, Helvetica, sans-serif"
FONT_SIZE = 13
LINE = 17  # line height in pixels
CHAR = 7.1  # average character width at FONT_SIZE, for wrapping
PAD = 10
GAP = 14
MARGIN = 20
HEADER = 34
COLUMNS = (  # (title, width)
    ("Aim", 230),
    ("Primary drivers", 220),
    ("Secondary drivers", 220),
    ("Change ideas", 250),
)
COLUMN_GAP = 46

FILL = {
    "aim": ("#005eb8", "#ffffff"),
    "primary": ("#e6eef8", "#212b32"),
    "secondary": ("#f0f4f5", "#212b32"),
}
IDEA_STYLE = {  # status -> (fill, stroke, label)
    "idea": ("#ffffff", "#768692", "Not tested yet"),
    "testing": ("#fff9c4", "#ffb81c", "Being tested"),
    "adapted": ("#fff9c4", "#ffb81c", "Adapted, testing again"),
    "adopted": ("#cce5d8", "#007f3b", "Adopted"),
    "abandoned": ("#f0f4f5", "#aeb7bd", "Abandoned"),
}


@dataclass
class Box:
    key: str
    text: str
    children: list[Box] = field(default_factory=list)


@dataclass
class Idea:
    key: str
    text: str
    drivers: list[str]
    status: str = "idea"
    cycles: int = 0


@dataclass
class Diagram:
    aim: str
    primaries: list[Box]
    ideas: list[Idea]
    title: str = "Driver diagram"


@dataclass
class _Placed:
    x: float
    y: float
    w: float
    h: float
    lines: list[str]

    @property
    def mid(self) -> float:
        return self.y + self.h / 2


def _wrap(text: str, width: float, extra_lines: int = 0) -> tuple[list[str], float]:
    chars = max(8, int((width - 2 * PAD) / CHAR))
    lines = textwrap.wrap(" ".join(text.split()), chars) or [""]
    return lines, (len(lines) + extra_lines) * LINE + 2 * PAD


def driver_diagram_svg(diagram: Diagram) -> str:
    xs = []
    x = MARGIN
    for _, w in COLUMNS:
        xs.append(x)
        x += w + COLUMN_GAP
    width = x - COLUMN_GAP + MARGIN
    widths = [w for _, w in COLUMNS]

    placed: dict[str, _Placed] = {}
    order: dict[str, int] = {}
    y = MARGIN + HEADER
    for p in diagram.primaries:
        p_lines, p_h = _wrap(p.text, widths[1])
        top = y
        for s in p.children:
            lines, h = _wrap(s.text, widths[2])
            placed[s.key] = _Placed(xs[2], y, widths[2], h, lines)
            order[s.key] = len(order)
            y += h + GAP
        span = max(y - GAP - top, p_h) if p.children else p_h
        p_y = top + (span - p_h) / 2
        placed[p.key] = _Placed(xs[1], p_y, widths[1], p_h, p_lines)
        order.setdefault(p.key, len(order))
        y = max(y, top + span + GAP) + GAP / 2
    drivers_bottom = y

    y = MARGIN + HEADER
    ideas = sorted(
        diagram.ideas,
        key=lambda i: min((order[d] for d in i.drivers if d in order), default=10**6),
    )
    for idea in ideas:
        lines, h = _wrap(idea.text, widths[3], extra_lines=1)
        placed[idea.key] = _Placed(xs[3], y, widths[3], h, lines)
        y += h + GAP
    bottom = max(drivers_bottom, y)

    aim_lines, aim_h = _wrap(diagram.aim, widths[0])
    content_top = MARGIN + HEADER
    aim_y = content_top + max(0.0, (bottom - GAP - content_top - aim_h) / 2)
    aim = _Placed(xs[0], aim_y, widths[0], aim_h, aim_lines)
    height = max(bottom, aim_y + aim_h + GAP) + MARGIN

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-labelledby="dd-title dd-desc" '
        f'font-family="{FONT}" font-size="{FONT_SIZE}">',
        f'<title id="dd-title">{escape(diagram.title)}</title>',
        f'<desc id="dd-desc">{escape(_description(diagram))}</desc>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    for (title, _), x0 in zip(COLUMNS, xs, strict=True):
        out.append(
            f'<text x="{x0}" y="{MARGIN + 14}" font-weight="bold" font-size="15" fill="#4c6272">{escape(title)}</text>'
        )
    # Lines first, so boxes sit on top of them.
    for p in diagram.primaries:
        out.append(_link(aim, placed[p.key]))
        for s in p.children:
            out.append(_link(placed[p.key], placed[s.key]))
    for idea in ideas:
        for d in idea.drivers:
            if d in placed:
                out.append(_link(placed[d], placed[idea.key], dashed=True))
    out.append(_box(aim, *FILL["aim"], bold=True))
    for p in diagram.primaries:
        out.append(_box(placed[p.key], *FILL["primary"]))
        for s in p.children:
            out.append(_box(placed[s.key], *FILL["secondary"]))
    for idea in ideas:
        fill, stroke, label = IDEA_STYLE.get(idea.status, IDEA_STYLE["idea"])
        if idea.cycles:
            label += f" · {idea.cycles} PDSA cycle{'s' if idea.cycles != 1 else ''}"
        out.append(
            _box(
                placed[idea.key],
                fill,
                "#212b32",
                stroke=stroke,
                note=label,
                struck=idea.status == "abandoned",
            )
        )
    if not diagram.primaries and not diagram.ideas:
        out.append(
            f'<text x="{xs[1]}" y="{content_top + 20}" fill="#4c6272">No drivers or change ideas yet.</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _link(a: _Placed, b: _Placed, dashed: bool = False) -> str:
    x1, y1, x2, y2 = a.x + a.w, a.mid, b.x, b.mid
    mid = (x1 + x2) / 2
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    return (
        f'<path d="M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" '
        f'fill="none" stroke="#768692" stroke-width="1.5"{dash}/>'
    )


def _box(
    p: _Placed,
    fill: str,
    colour: str,
    *,
    stroke: str | None = None,
    bold: bool = False,
    note: str | None = None,
    struck: bool = False,
) -> str:
    parts = [
        f'<rect x="{p.x:.1f}" y="{p.y:.1f}" width="{p.w:.1f}" height="{p.h:.1f}" rx="4" '
        f'fill="{fill}" stroke="{stroke or fill}" stroke-width="{2 if stroke else 0}"/>'
    ]
    weight = ' font-weight="bold"' if bold else ""
    deco = ' text-decoration="line-through"' if struck else ""
    for i, line in enumerate(p.lines):
        parts.append(
            f'<text x="{p.x + PAD:.1f}" y="{p.y + PAD + (i + 1) * LINE - 4:.1f}" fill="{colour}"{weight}{deco}>{escape(line)}</text>'
        )
    if note:
        y = p.y + PAD + (len(p.lines) + 1) * LINE - 4
        parts.append(
            f'<text x="{p.x + PAD:.1f}" y="{y:.1f}" fill="#4c6272" font-size="12" font-style="italic">{escape(note)}</text>'
        )
    return "".join(parts)


def _description(d: Diagram) -> str:
    parts = [f"Aim: {d.aim}."]
    for p in d.primaries:
        kids = "; ".join(s.text for s in p.children)
        parts.append(
            f"Primary driver: {p.text}"
            + (f", with secondary drivers: {kids}." if kids else ".")
        )
    if d.ideas:
        parts.append(
            "Change ideas: "
            + "; ".join(
                f"{i.text} ({IDEA_STYLE.get(i.status, IDEA_STYLE['idea'])[2].lower()})"
                for i in d.ideas
            )
            + "."
        )
    return " ".join(parts)


def png(svg: str, scale: float = 2.0) -> bytes:
    """The SVG as a PNG (vl-convert's renderer, no browser)."""
    import vl_convert

    return bytes(vl_convert.svg_to_png(svg, scale=scale))


def for_project(project) -> Diagram:
    """The project's driver diagram as layout input (three queries)."""
    drivers = list(project.drivers.all())
    boxes = {d.pk: Box(key=f"d{d.pk}", text=d.text) for d in drivers}
    primaries = []
    for d in drivers:
        if d.parent_id is None:
            primaries.append(boxes[d.pk])
        elif d.parent_id in boxes:
            boxes[d.parent_id].children.append(boxes[d.pk])
    ideas = []
    from django.db.models import Count

    for idea in project.change_ideas.annotate(
        n_cycles=Count("cycles")
    ).prefetch_related("drivers"):
        ideas.append(
            Idea(
                key=f"i{idea.pk}",
                text=idea.title,
                drivers=[f"d{d.pk}" for d in idea.drivers.all()],
                status=idea.status,
                cycles=idea.n_cycles,
            )
        )
    return Diagram(
        aim=project.aim_sentence(),
        primaries=primaries,
        ideas=ideas,
        title=f"Driver diagram: {project.title}",
    )
