"""The Making Data Count XmR chart, for every series at once.

Exactly the method of NHSRplotthedots 0.2.2 (docs/methods/xmr.md): mean and moving-range
limits per segment, outlier screening of moving ranges, the four special-cause rules,
point types, variation and assurance icons. All series are computed in one pass of array
operations over the sorted rows; there is no loop over series or points.

>>> import pandas as pd
>>> data = pd.DataFrame({
...     "month": pd.date_range("2024-01-01", periods=12, freq="MS"),
...     "value": [5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 15],
... })
>>> result = xmr(data, value="value", period="month")
>>> result.icons.loc[0, "variation"]
'improvement_high'
>>> result.points["special_cause"].iloc[-1]
'above_upl'
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qualitas.errors import QualitasError, QualitasWarning
from qualitas.spc import rules as mdc
from qualitas.spc import segments
from qualitas.spc.phases import named_rows
from qualitas.spc.rules import Rules
from qualitas.spc.table import (
    LARGEST,
    SeriesTable,
    as_pandas,
    check_infinite,
    normalise_by,
    per_series,
    prepare,
    warn_gaps,
)

LIMIT_FACTOR = 2.66  # 3 / d2 rounded as in the Making Data Count tools
SCREEN_FACTOR = 3.267  # moving ranges at or above 3.267 x mean MR are screened out
NEAR_FACTOR = 2 * (LIMIT_FACTOR / 3)  # two-sigma lines, computed as the package does
SHORT_SEGMENT = 13  # segments with fewer rows than this get trial limits


@dataclass(frozen=True)
class XmrRequest:
    """Everything that defines an XmR calculation, apart from the data."""

    value: str
    period: str
    by: tuple[str, ...] = ()
    direction: str | Mapping[Any, str] = "increase"
    target: float | Mapping[Any, float] | None = None
    rebase: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None
    fix_after: int | None = None
    screen_outliers: bool = True
    rules: Rules = field(default_factory=Rules)
    infinite: str = "error"  # or "missing": infinite values count as missing

    def __post_init__(self) -> None:
        check_infinite(self.infinite)
        if isinstance(self.direction, Mapping):
            for d in set(self.direction.values()):
                mdc.check_direction(d)
        else:
            mdc.check_direction(self.direction)
        if self.fix_after is not None and (
            isinstance(self.fix_after, bool)
            or not isinstance(self.fix_after, int | np.integer)
            or self.fix_after < 2
        ):
            raise QualitasError(
                f"fix_after must be a whole number of at least 2 (limits need two points), "
                f"not {self.fix_after!r}"
            )


@dataclass(frozen=True)
class XmrResult:
    """Three tables: ``points`` (one row per input row), ``summary`` (one row per series
    and segment) and ``icons`` (one row per series); and any warnings raised."""

    points: pd.DataFrame
    summary: pd.DataFrame
    icons: pd.DataFrame
    warnings: tuple[str, ...] = ()


def xmr(
    data: Any,
    *,
    value: str,
    period: str,
    by: str | Sequence[str] | None = None,
    direction: str | Mapping[Any, str] = "increase",
    target: float | Mapping[Any, float] | None = None,
    rebase: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
    fix_after: int | None = None,
    screen_outliers: bool = True,
    rules: Rules | dict[str, Any] | None = None,
    infinite: str = "error",
) -> XmrResult:
    """Making Data Count XmR charts for every series in ``data``.

    ``data`` is long: one row per series and period. ``by`` names the columns that
    identify a series (none: the whole table is one series). ``direction`` says which
    way is better: ``"increase"``, ``"decrease"`` or ``"neutral"``, for every series or
    as a mapping from series key to direction (series not named: increase). ``target``
    is a number for every series or a mapping from series key to number; ``rebase`` a
    list of periods at which every series starts a new segment, or a mapping from
    series key to such a list. ``fix_after`` computes each segment's limits from its
    first N points only. ``rules`` sets the shift and trend lengths and the
    two-of-three rule (see :class:`Rules`). Series keys in mappings are the ``by``
    value, or a tuple of values when there are several ``by`` columns.

    An infinite value (pandas gives one for a division by zero) is an error naming
    the column and rows; ``infinite="missing"`` treats such values as missing, with a
    warning.
    """
    request = XmrRequest(
        value=value,
        period=period,
        by=tuple(normalise_by(by)),
        direction=direction,
        target=target,
        rebase=rebase,
        fix_after=fix_after,
        screen_outliers=bool(screen_outliers),
        rules=Rules.coerce(rules),
        infinite=infinite,
    )
    return run(as_pandas(data), request)


def run(frame: pd.DataFrame, request: XmrRequest) -> XmrResult:
    """Compute an :class:`XmrRequest` on a pandas DataFrame."""
    if len(frame) == 0:
        raise QualitasError("the data has no rows")
    table = prepare(
        frame,
        period=request.period,
        values=[request.value],
        by=list(request.by),
        infinite=request.infinite,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", QualitasWarning)
        for note in table.notes:
            warnings.warn(note, QualitasWarning, stacklevel=2)
        warn_gaps(table, request.period)
        seg = segments.build(table.series_start, _rebase_rows(table, request))
        target = np.asarray(
            per_series(
                request.target, table, name="target", convert=_number, fill=np.nan
            ),
            dtype=np.float64,
        )
        direction = np.asarray(
            per_series(
                request.direction,
                table,
                name="direction",
                convert=mdc.DIRECTIONS.index,
                fill=0,
            ),
            dtype=np.int8,
        )
        arrays = compute_in_blocks(
            table.values[request.value],
            seg,
            table,
            request,
            direction[table.series_code],
        )
        short = arrays["segment_length"] < SHORT_SEGMENT
        if short.any():
            warnings.warn(
                f"{int(short.sum())} segment{'s have' if short.sum() > 1 else ' has'} fewer than "
                f"{SHORT_SEGMENT} points: their limits are trial limits, to be revised "
                "as more data arrive.",
                QualitasWarning,
                stacklevel=2,
            )
    messages = tuple(str(w.message) for w in caught)
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=2)
    return _assemble(table, seg, arrays, target, direction, request, messages)


def _number(v: Any) -> float:
    if v is None:
        return np.nan
    try:
        number = float(v)
    except (TypeError, ValueError, OverflowError):
        raise QualitasError(f"target must be a number, not {v!r}") from None
    if abs(number) > LARGEST:
        raise QualitasError(
            f"target must be a number between -1e100 and 1e100, not {v!r}"
        )
    return number


def _rebase_rows(table: SeriesTable, request: XmrRequest) -> np.ndarray:
    """Per sorted row: does a new segment start here?"""
    return named_rows(request.rebase, table, "rebase")


# Inputs smaller than this run in one block: threads would cost more than they save.
PARALLEL_ROWS = 50_000
THREADS = min(2, os.cpu_count() or 1)


def compute_in_blocks(
    y: np.ndarray,
    seg: segments.Segments,
    table: SeriesTable,
    request: XmrRequest,
    direction: np.ndarray,
) -> dict[str, np.ndarray]:
    """Run :func:`compute` on blocks of whole series in parallel threads.

    NumPy releases the GIL inside its array loops, so two threads on two cores nearly
    halve the time of a large call; results are identical because no rule crosses a
    series boundary.
    """
    blocks = segments.split(
        seg, table.series_start, THREADS if len(y) >= PARALLEL_ROWS else 1
    )
    if len(blocks) == 1:
        return compute(y, seg, request, direction)

    def one(bounds: tuple[int, int]) -> dict[str, np.ndarray]:
        part, rows = seg.block(*bounds)
        return compute(y[rows], part, request, direction[rows])

    with ThreadPoolExecutor(max_workers=len(blocks)) as pool:
        parts = list(pool.map(one, blocks))
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def compute(
    y: np.ndarray, seg: segments.Segments, request: XmrRequest, direction: np.ndarray
) -> dict[str, np.ndarray]:
    """The XmR kernel: limits, special causes and point types for every row.

    Per-segment arrays are indexed by segment; per-row arrays by sorted row.
    """
    n = len(y)
    # Baseline: the first `fix_after` rows of each segment (missing values count).
    baseline = (
        y
        if request.fix_after is None
        else np.where(seg.pos < request.fix_after, y, np.nan)
    )
    has = ~np.isnan(baseline)
    mean = seg.mean(baseline, has)

    # Moving ranges within segments; a missing neighbour gives no moving range.
    mr = np.full(n, np.nan)
    mr[1:] = np.abs(baseline[1:] - baseline[:-1])
    mr[seg.pos == 0] = np.nan
    has_mr = ~np.isnan(mr)
    amr = seg.mean(mr, has_mr)
    if request.screen_outliers:
        # One pass: keep moving ranges strictly below 3.267 x their mean.
        with np.errstate(invalid="ignore"):
            keep = has_mr & (mr < seg.spread(SCREEN_FACTOR * amr))
        amr = seg.mean(mr, keep)

    lpl = mean - LIMIT_FACTOR * amr
    upl = mean + LIMIT_FACTOR * amr
    near_lower = mean - NEAR_FACTOR * amr
    near_upper = mean + NEAR_FACTOR * amr
    code = mdc.special_causes(
        y,
        seg.spread(mean),
        seg.spread(lpl),
        seg.spread(upl),
        seg.spread(near_lower),
        seg.spread(near_upper),
        seg,
        request.rules,
    )
    ptype = mdc.point_types(code, direction)
    return {
        "mean": mean,
        "lpl": lpl,
        "upl": upl,
        "special_cause": code,
        "point_type": ptype,
        "segment_length": seg.length,
    }


def _assemble(
    table: SeriesTable,
    seg: segments.Segments,
    arrays: dict[str, np.ndarray],
    target: np.ndarray,
    direction: np.ndarray,
    request: XmrRequest,
    messages: tuple[str, ...],
) -> XmrResult:
    sid = seg.id
    keys = table.key_columns()
    short = arrays["segment_length"] < SHORT_SEGMENT
    # copy=False keeps each column as built instead of copying all of them into
    # blocks (a quarter of the time at national scale); the two columns that may
    # share memory with the caller's data are copied so results never alias it.
    points = pd.DataFrame(
        {
            **keys,
            "period": table.period.to_numpy().copy(),
            "value": table.values[request.value].copy(),
            "segment": seg.number,
            "mean": seg.spread(arrays["mean"]),
            "lpl": seg.spread(arrays["lpl"]),
            "upl": seg.spread(arrays["upl"]),
            "special_cause": mdc.categorical(
                arrays["special_cause"], mdc.SPECIAL_CAUSE_DTYPE
            ),
            "point_type": mdc.categorical(arrays["point_type"], mdc.POINT_TYPE_DTYPE),
            "short_segment": seg.spread(short),
            "target": target[table.series_code],
        },
        copy=False,
    )

    # Summary: one row per series and segment.
    ptype = arrays["point_type"]
    count = seg.length
    improvement = seg.count_true(ptype == 1)
    concern = seg.count_true(ptype == 2)
    flagged = seg.count_true(arrays["special_cause"] != 0)
    last = seg.last
    seg_variation = mdc.variation_icons(ptype[last], direction[table.series_code[last]])

    series_last = table.series_start[1:] - 1
    last_seg = sid[series_last]
    series_dirs = direction
    variation = mdc.variation_icons(ptype[series_last], series_dirs)
    assurance = mdc.assurance_icons(
        target, arrays["lpl"][last_seg], arrays["upl"][last_seg], series_dirs
    )
    seg_assurance = np.full(seg.count, -1, dtype=np.int8)
    seg_assurance[last_seg] = assurance

    seg_keys = {k: _take(v, seg.start[:-1]) for k, v in keys.items()}
    summary = pd.DataFrame(
        {
            **seg_keys,
            "segment": seg.number[seg.start[:-1]],
            "start": table.period.to_numpy()[seg.start[:-1]],
            "end": table.period.to_numpy()[last],
            "mean": arrays["mean"],
            "lpl": arrays["lpl"],
            "upl": arrays["upl"],
            "n": count,
            "common_cause": count - flagged,
            "improvement": improvement,
            "concern": concern,
            "variation": mdc.categorical(seg_variation, mdc.VARIATION_DTYPE),
            "assurance": mdc.categorical(seg_assurance, mdc.ASSURANCE_DTYPE),
            "short_segment": short,
        },
        copy=False,
    )

    icons = pd.DataFrame(
        {
            **{k: _take(v, table.series_start[:-1]) for k, v in keys.items()},
            "period": table.period.to_numpy()[series_last],
            "value": table.values[request.value][series_last],
            "mean": arrays["mean"][last_seg],
            "lpl": arrays["lpl"][last_seg],
            "upl": arrays["upl"][last_seg],
            "target": target,
            "direction": mdc.categorical(direction, mdc.DIRECTION_DTYPE),
            "variation": mdc.categorical(variation, mdc.VARIATION_DTYPE),
            "assurance": mdc.categorical(assurance, mdc.ASSURANCE_DTYPE),
        },
        copy=False,
    )
    return XmrResult(points=points, summary=summary, icons=icons, warnings=messages)


def _take(column: Any, index: np.ndarray) -> Any:
    if isinstance(column, pd.Categorical):
        return column.take(index)
    return np.asarray(column)[index]
