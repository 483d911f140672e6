"""Static images for packs: charts as PNG through vl-convert, icons as PNG.

vl-convert takes about a fifth of a second per XmR chart, which is most of the time a
pack of 60 measures takes. Three things keep it down: the print version of a spec
drops what only a browser uses (tooltips, selections, the long description); charts
are drawn in two processes at once when there are many (vl-convert runs one chart at a
time per process, so threads do not help); and the caller can keep the images, since a
meeting's charts are frozen and never change.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

# Below this many charts a second process costs more to start than it saves.
PARALLEL_FROM = 12
SCALE = 2.0


def print_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` for paper: no tooltips, selections or description, a white
    background.

    >>> s = {"description": "x", "mark": {"type": "point", "tooltip": True},
    ...      "encoding": {"tooltip": {"field": "a"}}, "params": [{"name": "p"}]}
    >>> print_spec(s)
    {'mark': {'type': 'point'}, 'encoding': {}, 'background': 'white'}
    """
    out = copy.deepcopy(spec)
    out.pop("description", None)

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("params", None)
            node.pop("tooltip", None)
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(out)
    out["background"] = "white"
    return out


def _render_one(spec: dict[str, Any], scale: float = SCALE) -> bytes:
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(spec, scale=scale))


def render_charts(
    specs: Sequence[dict[str, Any] | None],
    *,
    scale: float = SCALE,
    workers: int | None = None,
) -> list[bytes | None]:
    """PNG images of ``specs`` (print versions), in order; ``None`` stays ``None``.

    ``workers``: processes to use (default: two when there are many charts and two
    processors, else one).
    """
    todo = [(i, print_spec(s)) for i, s in enumerate(specs) if s is not None]
    out: list[bytes | None] = [None] * len(specs)
    if not todo:
        return out
    if workers is None:
        workers = 2 if len(todo) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 1
    if workers <= 1:
        for i, spec in todo:
            out[i] = _render_one(spec, scale)
        return out
    # This process draws one share while the others draw theirs. "spawn" starts clean
    # processes (forking a process that already runs vl-convert's threads can hang),
    # and they are given vl-convert's own function, so they import nothing else.
    import vl_convert

    draw = functools.partial(vl_convert.vegalite_to_png, scale=scale)
    shares = [todo[k::workers] for k in range(workers)]
    with ProcessPoolExecutor(workers - 1, mp_context=get_context("spawn")) as pool:
        futures = [
            [pool.submit(draw, spec) for _, spec in share] for share in shares[1:]
        ]
        for i, spec in shares[0]:
            out[i] = _render_one(spec, scale)
        for share, pending in zip(shares[1:], futures, strict=True):
            for (i, _), future in zip(share, pending, strict=True):
                out[i] = bytes(future.result())
    return out


@functools.cache
def icon_png(kind: str, code: str | None, size: int = 96) -> bytes | None:
    """The variation (``kind="variation"``) or assurance icon as PNG; None when there
    is no such icon (no target; a run chart, which has no variation icon)."""
    import vl_convert

    from qualitas.charts import icons

    if not code:
        return None
    if kind == "variation":
        svg = icons.variation_icon(code, size=size)
    else:
        svg = icons.assurance_icon(code, size=size)
    return bytes(vl_convert.svg_to_png(svg, scale=1.0))
