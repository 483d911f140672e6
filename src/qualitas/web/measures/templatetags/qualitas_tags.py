"""Template components: Making Data Count icons, sparklines and numbers.

Icons are drawn here as small inline SVGs (our own drawing, in the Making Data Count
colours) with the meaning as their accessible name, so the page says in words what
the icon shows.
"""

from __future__ import annotations

from functools import cache

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from qualitas.web.measures import words

register = template.Library()

COLOUR = {
    "improvement": "#00b0f0",
    "concern": "#e46c0a",
    "neutral": "#490092",
    "common": "#7f7f7f",
}
TEXT_ON = {
    "improvement": "#005e80",
    "concern": "#8f4400",
    "neutral": "#490092",
    "common": "#4c6272",
}


@cache
def _variation_svg(code: str, size: str) -> str:
    kind = code.split("_")[0] if code != "common_cause" else "common"
    colour = COLOUR[kind]
    label = escape(words.VARIATION.get(code, code))
    letter = words.VARIATION_LETTER.get(code, "")
    if kind == "common":
        inner = "".join(
            f'<circle cx="{x}" cy="{y}" r="2.4" fill="#7f7f7f"/>'
            for x, y in ((9, 22), (14, 17), (19, 23), (24, 16), (29, 21), (33, 18))
        )
    else:
        high = code.endswith("high")
        ys = (27, 25, 23, 14, 12) if high else (13, 15, 17, 26, 28)
        dots = "".join(
            f'<circle cx="{x}" cy="{y}" r="2.2" fill="{colour if i >= 3 else "#a6a6a6"}"/>'
            for i, (x, y) in enumerate(zip((8, 12, 16, 30, 34), ys, strict=True))
        )
        inner = dots + (
            f'<text x="22" y="26" text-anchor="middle" font-family="Arial" font-weight="700" font-size="15" fill="{TEXT_ON[kind]}">{letter}</text>'
        )
    return (
        f'<svg class="icon {size}" viewBox="0 0 40 40" role="img" aria-label="{label}" focusable="false">'
        f"<title>{label}</title>"
        f'<circle cx="20" cy="20" r="18" fill="#fff" stroke="{colour}" stroke-width="3"/>{inner}</svg>'
    )


@cache
def _assurance_svg(code: str, size: str) -> str:
    label = escape(words.ASSURANCE.get(code, words.NO_ASSURANCE))
    if code == "pass":
        colour, letter, text = COLOUR["improvement"], "P", TEXT_ON["improvement"]
    elif code == "fail":
        colour, letter, text = COLOUR["concern"], "F", TEXT_ON["concern"]
    elif code == "hit_and_miss":
        colour, letter, text = COLOUR["common"], "?", TEXT_ON["common"]
    else:
        return f'<span class="secondary small">{label}</span>'
    return (
        f'<svg class="icon {size}" viewBox="0 0 40 40" role="img" aria-label="{label}" focusable="false">'
        f"<title>{label}</title>"
        f'<circle cx="20" cy="20" r="18" fill="#fff" stroke="{colour}" stroke-width="3"/>'
        f'<line x1="6" y1="29" x2="34" y2="29" stroke="#de1b1b" stroke-width="2" stroke-dasharray="3 2"/>'
        f'<text x="20" y="25" text-anchor="middle" font-family="Arial" font-weight="700" font-size="17" fill="{text}">{letter}</text></svg>'
    )


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
