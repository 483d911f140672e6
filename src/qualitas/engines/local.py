"""The local engine: the NumPy kernels in this process, the default.

``run`` computes a table in memory in one pass. ``write`` is for national-scale files: it
splits the rows into blocks of whole series, runs the kernel on each block (in one or
two threads) and streams the results to Parquet, so memory stays bounded by the input
in Arrow form plus a few blocks, whatever the number of series.

>>> import pandas as pd
>>> from qualitas.spc import ChartRequest
>>> data = pd.DataFrame({"ward": ["A"] * 6 + ["B"] * 6, "week": list(range(6)) * 2,
...                      "falls": [3, 4, 2, 5, 3, 4, 1, 0, 2, 1, 1, 0]})
>>> tables = LocalEngine().run(data, ChartRequest.build(
...     chart="xmr", value="falls", period="week", by=("ward",)))
>>> tables.icons["ward"].tolist()
['A', 'B']
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from qualitas.engines import arrow, folders, partition
from qualitas.engines.base import TABLES, Engine, Progress, Tables, Written
from qualitas.engines.kernels import kernel_for
from qualitas.errors import QualitasError, QualitasWarning
from qualitas.spc.table import as_pandas

BLOCK_ROWS = 1_000_000


class LocalEngine(Engine):
    """Runs the kernels here. ``block_rows`` (rows per block) and ``threads`` (2: write
    Parquet in the background while computing the next block) only affect ``write``."""

    name = "local"

    def __init__(self, *, block_rows: int = BLOCK_ROWS, threads: int = 2) -> None:
        if block_rows < 1 or threads not in (1, 2):
            raise QualitasError("block_rows must be at least 1 and threads 1 or 2")
        self.block_rows = block_rows
        self.threads = threads

    def run(self, data: Any, request: Any) -> Tables[pd.DataFrame]:
        kernel = kernel_for(request)
        if isinstance(data, pd.DataFrame):
            frame = data
        elif isinstance(data, pa.Table):
            frame = arrow.kernel_frame(data.select(kernel.columns(request)), request.by)
        else:
            frame = as_pandas(data)
        result = kernel.run(frame, request)
        return Tables(
            result.points, result.summary, result.icons, tuple(result.warnings)
        )

    def to_pandas(self, tables: Tables[Any]) -> Tables[pd.DataFrame]:
        return tables

    def write(
        self,
        data: Any,
        request: Any,
        directory: str,
        *,
        progress: Progress | None = None,
    ) -> Written:
        kernel = kernel_for(request)
        table = _as_arrow(data)
        schemas = arrow.output_schemas(kernel, request, table.schema)
        table = table.select(kernel.columns(request))
        names = list(schemas)  # the tables this chart has
        wall_tz = arrow.wall_tz(kernel, request, table.schema)
        if not folders.is_local(directory):
            raise QualitasError(
                f"the local engine writes to folders on this machine, not {directory}; "
                "use the Spark engine for a cloud store"
            )
        # Every table is written in a staging folder and put in place only when all
        # are complete: a failed or interrupted run leaves the old results as they were.
        staging = folders.Staging.start(directory)
        paths = {name: staging.file(name) for name in names}
        counts = dict.fromkeys(["series", *TABLES], 0)
        messages: dict[str, None] = {}
        found: list[dict[str, list[int]]] = []

        def compute(
            item: tuple[pa.Table, int | np.ndarray],
        ) -> tuple[list[pa.Table], int, tuple[str, ...], dict[str, list[int]]]:
            block, origin = item
            frame = arrow.kernel_frame(block, request.by)
            part, hits = partition.restrict(request, frame)
            try:
                with warnings.catch_warnings():
                    # The kernel also returns its warnings; they are reported once, below.
                    warnings.simplefilter("ignore", QualitasWarning)
                    result = kernel.run(frame, part)
            except QualitasError as error:
                raise QualitasError(renumber(str(error), origin)) from None
            out = [
                arrow.result_table(getattr(result, t), schemas[t], wall_tz)
                for t in names
            ]
            series = partition.count_series(result.summary, request.by)
            return out, series, tuple(result.warnings), hits

        writers: dict[str, pq.ParquetWriter] = {}

        def write_block(out: list[pa.Table]) -> None:
            for name, result in zip(names, out, strict=True):
                writers[name].write_table(result)

        done = 0
        # With two threads, Parquet writing (which releases the GIL) overlaps the
        # kernel on the next block. The kernels stay on this thread: Python's warning
        # capture, which they use, is not safe across threads.
        pool = ThreadPoolExecutor(1) if self.threads > 1 else None
        writing: Future[None] | None = None
        try:
            for t in names:
                writers[t] = pq.ParquetWriter(paths[t], schemas[t])
            for block in blocks(table, request.by, self.block_rows):
                out, series, block_warnings, hits = compute(block)
                counts["series"] += series
                if writing is not None:
                    writing.result()
                if pool is None:
                    write_block(out)
                else:
                    writing = pool.submit(write_block, out)
                for name, result in zip(names, out, strict=True):
                    counts[name] += result.num_rows
                messages.update(dict.fromkeys(block_warnings))
                found.append(hits)
                done += block[0].num_rows
                if progress is not None:
                    progress(done, table.num_rows)
            if writing is not None:
                writing.result()
            partition.check_found(request, found)
        except BaseException:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            for w in writers.values():
                w.close()
            staging.abort()
            raise
        if pool is not None:
            pool.shutdown()
        try:
            for w in writers.values():
                w.close()
            written = staging.commit_files(names)
        except BaseException:
            staging.abort()
            raise
        return Written(**counts, warnings=tuple(messages), paths=written)


_ROWS = re.compile(r"\b(rows?) (\d+(?:, \d+)*)")


def renumber(message: str, origin: int | np.ndarray) -> str:
    """Turn row numbers within a block (as ``describe_rows`` writes them: 1-based,
    after a header row) into row numbers of the whole input."""
    if isinstance(origin, int) and origin == 0:
        return message

    def whole(match: re.Match[str]) -> str:
        rows = [int(r) - 2 for r in match.group(2).split(", ")]
        mapped = sorted(
            (origin + r if isinstance(origin, int) else int(origin[r])) + 2
            for r in rows
        )
        return f"{match.group(1)} {', '.join(map(str, mapped))}"

    return _ROWS.sub(whole, message)


def _as_arrow(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pd.DataFrame):
        arrays = {}
        for name in data.columns:
            try:
                arrays[str(name)] = pa.array(data[name], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                # Mixed cells (numbers and text): pass them on as text, so the
                # kernel can say which rows are wrong.
                arrays[str(name)] = pa.array(
                    data[name].map(lambda v: None if pd.isna(v) else str(v))
                )
        return pa.table(arrays)
    return pa.table(data)


def blocks(
    table: pa.Table, by: tuple[str, ...] | list[str], block_rows: int
) -> Iterator[tuple[pa.Table, int | np.ndarray]]:
    """Split ``table`` into tables of about ``block_rows`` rows, each holding whole
    series, with where their rows came from (the first row's number, or every
    row's). Input in which each series' rows are together (the usual national
    extract) is sliced without copying; otherwise rows are grouped first."""
    n = table.num_rows
    if not by or n <= block_rows:
        yield table, 0
        return
    keys = table.select(list(by))
    starts = _run_starts(keys)
    heads = keys.take(pa.array(starts))
    if heads.group_by(list(by)).aggregate([]).num_rows == len(starts):
        # Every series is one run of rows: cut between runs.
        at = np.searchsorted(starts, np.arange(0, n, block_rows))
        bounds = np.r_[np.unique(starts[at[at < len(starts)]]), n]
        for lo, hi in itertools.pairwise(bounds):
            yield table.slice(int(lo), int(hi - lo)), int(lo)
        return
    # Series are scattered: number them, give each block a range of series numbers
    # and gather each block's rows (a stable sort of a small integer is fast).
    code = _series_numbers(keys)
    n_series = int(code.max()) + 1
    n_blocks = max(1, -(-n // block_rows))
    block = (code * n_blocks // n_series).astype(np.int32)
    order = np.argsort(block, kind="stable")
    sizes = np.bincount(block, minlength=n_blocks)
    bounds = np.r_[0, np.cumsum(sizes)]
    for lo, hi in itertools.pairwise(bounds):
        if hi > lo:
            yield table.take(pa.array(order[lo:hi])), order[lo:hi]


def _run_starts(keys: pa.Table) -> np.ndarray:
    """First row of each run of equal keys."""
    n = keys.num_rows
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for name in keys.column_names:
        col = keys[name]
        differs = pc.not_equal(col.slice(1), col.slice(0, n - 1))
        # Missing keys are reported by the kernel; here they just start a run.
        change[1:] |= np.asarray(differs.fill_null(True), dtype=bool)
    return np.flatnonzero(change)


def _series_numbers(keys: pa.Table) -> np.ndarray:
    """A series number per row (any numbering; equal keys get equal numbers)."""
    code: np.ndarray | None = None
    for name in keys.column_names:
        encoded = pc.dictionary_encode(keys[name].combine_chunks())
        indices = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64) + 1
        size = len(encoded.dictionary) + 1
        code = indices if code is None else pd.factorize(code * size + indices)[0]
    assert code is not None
    return code
