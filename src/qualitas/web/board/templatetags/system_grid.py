"""The system report's grid, drawn in Python: six hundred cells through the template
language took longer than computing them.

Each Making Data Count icon (:mod:`qualitas.charts.icons`, as the integrated report
draws them) is written once per page as an SVG ``<symbol>`` and each cell refers to it
with ``<use>``, so the page carries ten icons instead of twelve hundred. The cell's
link (or, without one, the icons) is named in words by its title, which screen readers
read and a pointer shows: the measure, organisation, period, variation and assurance.
"""

from __future__ import annotations

import re
from functools import cache

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from qualitas.charts import icons
from qualitas.web.board.system import GridRow
from qualitas.web.measures import words

register = template.Library()

_OPEN = re.compile(r"^<svg[^>]*>(<title>.*?</title>)?")


def _symbol(svg: str, name: str) -> str:
    body = _OPEN.sub("", svg).removesuffix("</svg>")
    return f'<symbol id="{name}" viewBox="0 0 100 100">{body}</symbol>'


@register.simple_tag
@cache
def icon_symbols() -> SafeString:
    """Every icon once, as symbols in a hidden SVG (put it once on the page)."""
    parts = [
        _symbol(icons.variation_icon(v, 40), f"mdc-v-{v}") for v in words.VARIATION
    ]
    parts += [
        _symbol(icons.assurance_icon(a, 40), f"mdc-a-{a}") for a in words.ASSURANCE
    ]
    return mark_safe(
        '<svg class="icon-symbols" aria-hidden="true" focusable="false">'
        f"{''.join(parts)}</svg>"
    )


def _use(name: str) -> str:
    return (
        '<svg class="icon" aria-hidden="true" focusable="false">'
        f'<use href="#{name}"/></svg>'
    )


@register.simple_tag
def grid_cells(row: GridRow) -> SafeString:
    """The ``<td>`` of each of the row's cells."""
    m = row.measure
    out = []
    for cell in row.cells:
        if not cell.shown:
            out.append(f'<td class="cell cell--none">{escape(cell.state_text)}</td>')
            continue
        value = words.number(cell.value, m.decimals)
        target = ""
        if cell.target is not None:
            target = (
                ' <span class="visually-hidden">against a target of</span>'
                f'<span aria-hidden="true">/</span> {words.number(cell.target, m.decimals)}'
            )
        label = escape(
            f"{m.name} at {cell.organisation.name}, {cell.period_label}: "
            f"{cell.variation_text}; {cell.assurance_text}"
        )
        if cell.has_icons:
            pictures = _use(f"mdc-v-{cell.variation}")
            if cell.assurance in words.ASSURANCE:
                pictures += _use(f"mdc-a-{cell.assurance}")
        else:
            # A run chart has no Making Data Count icons: its signal in words.
            pictures = (
                f'<span class="cell-signal">{escape(cell.signal or "Run chart")}</span>'
            )
        if cell.link:
            icons_html = (
                f'<a class="cell-icons" href="{escape(cell.link)}" '
                f'title="{label}">{pictures}</a>'
            )
        else:
            icons_html = (
                f'<span class="cell-icons" role="img" title="{label}">{pictures}</span>'
            )
        out.append(
            f'<td class="cell priority-{cell.priority}">{icons_html}'
            f'<span class="cell-value">{escape(value)}{target}</span></td>'
        )
    return mark_safe("".join(out))
