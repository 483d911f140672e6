"""Variation and assurance icons, drawn as small SVG documents.

Our own drawings, following the Making Data Count conventions: a circle in the colour
of the signal (grey common cause, blue improvement, orange concern, purple neutral),
a letter (H or L for a significant rise or fall; P, F or ? for a target that is met,
missed, or hit and missed) and a small picture of the data. Letters are drawn as
strokes, not text, so the icons look the same in every browser and in the static
images, which are rendered without the reader's fonts.

>>> svg = variation_icon("concern_low")
>>> svg.startswith("<svg") and "#e46c0a" in svg and "<title>" in svg
True
>>> assurance_icon("pass", size=24)[:61]
'<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24'
"""

from __future__ import annotations

import base64
from html import escape

from qualitas.charts import style, words

# Letter shapes as stroked paths in a 24 x 24 box centred on (0, 0).
_LETTERS = {
    "H": "M-8 -11V11M8 -11V11M-8 0H8",
    "L": "M-7 -11V11H8",
    "P": "M-7 11V-11H2A6 5.5 0 0 1 2 0H-7",
    "F": "M8 -11H-7V11M-7 0H5",
    "?": "M-7 -5.5C-7 -14 8 -14 8 -5.5C8 0 0 0 0 5",
}


def variation_icon(variation: str, size: int = 56, *, title: str | None = None) -> str:
    """The variation icon for ``variation`` (a value of ``icons["variation"]``) as an
    SVG document ``size`` pixels square."""
    if variation not in style.VARIATION_COLOUR:
        raise ValueError(f"unknown variation icon {variation!r}")
    colour = style.VARIATION_COLOUR[variation]
    body = [_ring(colour)]
    if variation == "common_cause":
        # A line of grey points wandering about the middle.
        body.append(
            _run(
                [(24, 52), (34, 46), (44, 55), (54, 47), (64, 54), (74, 48)],
                [style.COMMON_CAUSE] * 6,
            )
        )
    else:
        high = variation.endswith("_high")
        letter_y = 70 if high else 30
        body.append(_letter("H" if high else "L", 50, letter_y, colour))
        # Grey points, then the last three stepping away in the signal's colour.
        ys = [44, 40, 45, 36, 29, 22] if high else [56, 60, 55, 64, 71, 78]
        body.append(
            _run(
                list(zip([22, 32, 42, 52, 62, 72], ys, strict=True)),
                [style.COMMON_CAUSE] * 3 + [colour] * 3,
            )
        )
    return _document(body, size, title or words.variation_text(variation))


def assurance_icon(assurance: str, size: int = 56, *, title: str | None = None) -> str:
    """The assurance icon for ``assurance`` (``pass``, ``fail`` or ``hit_and_miss``)
    as an SVG document ``size`` pixels square."""
    if assurance not in style.ASSURANCE_COLOUR:
        raise ValueError(f"unknown assurance icon {assurance!r}")
    colour = style.ASSURANCE_COLOUR[assurance]
    letter = {"pass": "P", "fail": "F", "hit_and_miss": "?"}[assurance]
    body = [_ring(colour), _letter(letter, 50, 36, colour)]
    if assurance == "hit_and_miss":
        body.append(f'<circle cx="50" cy="52" r="3.2" fill="{colour}"/>')
    # The process limits as a band and the target as a red line: clear of the band
    # when the outcome is certain, through it when it is down to chance.
    band_top, band_bottom = (62, 78) if assurance != "hit_and_miss" else (63, 79)
    body.append(
        f'<rect x="26" y="{band_top}" width="48" height="{band_bottom - band_top}" rx="2" fill="{colour}" fill-opacity="{0.45 if assurance == "hit_and_miss" else 0.25}"/>'
    )
    target_y = 71 if assurance == "hit_and_miss" else 58
    body.append(
        f'<line x1="22" y1="{target_y}" x2="78" y2="{target_y}" stroke="{style.TARGET}" stroke-width="3" stroke-linecap="round"/>'
    )
    return _document(body, size, title or words.assurance_text(assurance))


def data_uri(svg: str) -> str:
    """An SVG document as a ``data:`` URI, for image marks in chart specs."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode(
        "ascii"
    )


def _ring(colour: str) -> str:
    return f'<circle cx="50" cy="50" r="44" fill="#ffffff" stroke="{colour}" stroke-width="7"/>'


def _letter(letter: str, x: float, y: float, colour: str) -> str:
    return (
        f'<path transform="translate({x} {y})" d="{_LETTERS[letter]}" fill="none" '
        f'stroke="{colour}" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/>'
    )


def _run(points: list[tuple[float, float]], colours: list[str]) -> str:
    path = "M" + "L".join(f"{x:g} {y:g}" for x, y in points)
    dots = "".join(
        f'<circle cx="{x:g}" cy="{y:g}" r="4.2" fill="{c}"/>'
        for (x, y), c in zip(points, colours, strict=True)
    )
    return (
        f'<path d="{path}" fill="none" stroke="{style.LINE}" stroke-width="1.6"/>{dots}'
    )


def _document(body: list[str], size: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 100 100" role="img"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )
