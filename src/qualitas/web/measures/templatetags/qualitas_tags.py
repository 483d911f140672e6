"""Template components: Making Data Count icons, sparklines and numbers.

Icons are the SVGs of :mod:`qualitas.charts.icons`, with the meaning in words as their
accessible name; pages also print the words beside them.
"""

from __future__ import annotations

import json
from functools import cache

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from qualitas.charts import icons
from qualitas.web.measures import words

register = template.Library()


@cache
def _variation_svg(code: str, size: str) -> str:
    svg = icons.variation_icon(code, size=40, title=words.VARIATION.get(code, code))
    return f'<span class="icon {size}">{svg}</span>'


@cache
def _assurance_svg(code: str, size: str) -> str:
    label = words.ASSURANCE.get(code, words.NO_ASSURANCE)
    if code not in words.ASSURANCE:
        return f'<span class="secondary small">{escape(label)}</span>'
    return f'<span class="icon {size}">{icons.assurance_icon(code, size=40, title=label)}</span>'


@register.simple_tag
def variation_icon(code: str, large: bool = False) -> SafeString:
    return mark_safe(_variation_svg(str(code), "icon--large" if large else ""))


@register.simple_tag
def assurance_icon(code: str | None, large: bool = False) -> SafeString:
    return mark_safe(_assurance_svg(str(code or ""), "icon--large" if large else ""))


@register.simple_tag
def sparkline(
    line: str, dot: tuple[float, float], kind: str, label: str = ""
) -> SafeString:
    x, y = dot
    return mark_safe(
        f'<svg class="spark" viewBox="0 0 120 28" role="img" aria-label="{escape(label)}" focusable="false">'
        f'<polyline points="{escape(line)}"/><circle class="kind-{escape(kind)}" cx="{x}" cy="{y}" r="3.5"/></svg>'
    )


@register.filter
def num(value: float | None, decimals: int = 1) -> str:
    return words.number(value, int(decimals))


@register.filter
def variation_words(code: str) -> str:
    return words.VARIATION.get(str(code), str(code))


@register.filter
def assurance_words(code: str | None) -> str:
    return words.ASSURANCE.get(str(code or ""), words.NO_ASSURANCE)


@register.filter
def chart_json(spec: object) -> str:
    """A chart spec as JSON text for a chart's ``data-chart`` attribute (escaped
    there like any text). Not a ``json_script`` block: htmx, allowed no script tags
    under the Content-Security-Policy, drops every ``<script>`` from the HTML it swaps
    in, data blocks included."""
    return json.dumps(spec, cls=DjangoJSONEncoder, separators=(",", ":"))
