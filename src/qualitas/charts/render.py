"""Turn chart specs into SVG, PNG or a self-contained HTML page.

Static images come from vl-convert (Vega run inside Python, no browser). The HTML page
carries Vega, Vega-Lite and vega-embed inline, bundled by vl-convert: NHS trust networks
often block JavaScript CDNs, so nothing is fetched from the internet.
"""

from __future__ import annotations

import functools
import json
from html import escape
from pathlib import Path
from typing import Any, Literal

from qualitas.errors import QualitasError

Format = Literal["svg", "png", "html"]
FORMATS: tuple[str, ...] = ("svg", "png", "html")

# Options for vega-embed: export buttons only; the editor link would go to the internet.
EMBED_OPTIONS = {
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
    "renderer": "svg",
}


def render(
    spec: dict[str, Any], format: Format = "svg", *, scale: float = 2.0
) -> str | bytes:
    """Render a Vega-Lite spec: ``"svg"`` and ``"html"`` give text, ``"png"`` bytes
    (``scale`` times the spec's size in pixels).

    >>> spec = {"data": {"values": [{"a": 1}]}, "mark": "point", "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    >>> render(spec, "svg").startswith("<svg")
    True
    """
    import vl_convert

    if format == "svg":
        return str(vl_convert.vegalite_to_svg(spec))
    if format == "png":
        return bytes(vl_convert.vegalite_to_png(spec, scale=scale))
    if format == "html":
        title = spec.get("title", {})
        text = title.get("text") if isinstance(title, dict) else title
        return html_page([spec], title=str(text or "qualitas chart"))
    raise QualitasError(
        f"charts can be rendered as {', '.join(FORMATS)}, not {format!r}"
    )


def save(spec: dict[str, Any], path: str | Path) -> Path:
    """Render ``spec`` into ``path``, in the format its suffix names (.svg, .png, .html)."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt == "htm":
        fmt = "html"
    if fmt not in FORMATS:
        raise QualitasError(
            f"a chart file must end in .svg, .png or .html, not {path.name!r}"
        )
    output = render(spec, fmt)  # type: ignore[arg-type]
    if isinstance(output, bytes):
        path.write_bytes(output)
    else:
        path.write_text(output, encoding="utf-8")
    return path


# What the bundle exposes to the page's other scripts.
_GLOBALS = (
    "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"
)


@functools.cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed in one script that sets ``window.vegaEmbed``.

    The web application can serve this same text as a static file, so its charts run
    the same library versions as the HTML pages and images made here.
    """
    import vl_convert

    bundle = str(vl_convert.javascript_bundle(_GLOBALS))
    # The bundle goes inside a <script> element; make sure nothing in it can end one.
    return bundle.replace("</script", "<\\/script")


def json_for_script(value: Any) -> str:
    """JSON safe to place inside ``<script type="application/json">``: characters that
    could close the element or start markup are escaped, so user text cannot inject HTML.

    >>> json_for_script({"name": "</script><b>"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# Draws every element with a data-spec attribute naming a JSON script; used by the
# chart pages and by the dashboard (which draws lazily, when a row is opened).
EMBED_SCRIPT = """
function qualitasDraw(el) {
  if (el.dataset.drawn) return;
  el.dataset.drawn = "1";
  var spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
  vegaEmbed(el, spec, OPTIONS).catch(function (err) {
    el.textContent = "The chart could not be drawn: " + err;
  });
}
""".replace("OPTIONS", json.dumps(EMBED_OPTIONS))


def html_page(specs: list[dict[str, Any]], *, title: str) -> str:
    """A self-contained HTML page showing each spec in turn."""
    blocks = []
    for i, spec in enumerate(specs):
        blocks.append(
            f'<script type="application/json" id="spec-{i}">{json_for_script(spec)}</script>\n'
            f'<div class="chart" data-spec="spec-{i}"></div>'
        )
    return f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>body {{ font-family: Arial, Helvetica, sans-serif; color: #212b32; margin: 24px; }} .chart {{ margin-bottom: 32px; }}</style>
<script>{javascript_bundle()}</script>
<script>{EMBED_SCRIPT}</script>
</head>
<body>
{chr(10).join(blocks)}
<script>document.querySelectorAll(".chart[data-spec]").forEach(qualitasDraw);</script>
</body>
</html>
"""
