"""Between Arrow tables and the pandas frames the kernels read and return.

Both engines move data as Arrow (Parquet and DuckDB on one machine, Spark between the
JVM and Python), so both convert the same way: this is what makes a Spark result and a
local batch result column-for-column alike. Results keep the input's types: a date
period comes back as a date, a string key as a string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from qualitas.engines.kernels import (
    BOOL,
    FLOAT,
    INT,
    NULLABLE_INT,
    PERIOD,
    TEXT,
    Kernel,
    SameAs,
)
from qualitas.errors import QualitasError

_TYPES = {
    FLOAT: pa.float64(),
    INT: pa.int64(),
    NULLABLE_INT: pa.int64(),
    BOOL: pa.bool_(),
    TEXT: pa.string(),
}


def is_text(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
    )


def period_type(t: pa.DataType, name: str, *, categorical: bool = False) -> pa.DataType:
    """The type of period columns in results, given the input's period type;
    categorical periods (unit names) come back as text."""
    if categorical:
        return pa.string()
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        return t
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return pa.int64()  # the kernels read whole-number periods as int64
    if is_text(t) or (pa.types.is_dictionary(t) and is_text(t.value_type)):
        return pa.timestamp("us")  # text is parsed as dates
    raise QualitasError(
        f"column {name!r} must hold dates, timestamps, whole numbers or text dates, not {t}"
    )


def output_schemas(
    kernel: Kernel, request: Any, schema: pa.Schema
) -> dict[str, pa.Schema]:
    """Arrow schemas of the request's result tables for input of ``schema``."""
    missing = [c for c in kernel.columns(request) if c not in schema.names]
    if missing:
        raise QualitasError(
            f"column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
            f"not found; the data has {', '.join(map(repr, schema.names))}"
        )
    keys = [pa.field(k, _key_type(schema.field(k).type)) for k in request.by]
    column = kernel.period(request)
    period = (
        None
        if column is None
        else period_type(
            schema.field(column).type,
            column,
            categorical=bool(getattr(request, "categorical", False)),
        )
    )

    def arrow_type(t: Any) -> pa.DataType:
        if isinstance(t, SameAs):
            return _key_type(schema.field(t.column).type)
        if isinstance(t, str) and t == PERIOD and period is not None:
            return period
        return _arrow_type(t)

    out = {}
    for table, columns in kernel.outputs(request).items():
        fields = [pa.field(name, arrow_type(t)) for name, t in columns.items()]
        out[table] = pa.schema(keys + fields)
    return out


def wall_tz(kernel: Kernel, request: Any, schema: pa.Schema) -> str | None:
    """The time zone of the input's period timestamps (None if they have none, or
    the request has no period), which results convert their periods back to."""
    column = kernel.period(request)
    if column is None:
        return None
    t = schema.field(column).type
    return t.tz if pa.types.is_timestamp(t) else None


def _key_type(t: pa.DataType) -> pa.DataType:
    return t.value_type if pa.types.is_dictionary(t) else t


def _arrow_type(t: Any) -> pa.DataType:
    if isinstance(t, pd.CategoricalDtype):
        return pa.string()
    return _TYPES[t]


def kernel_frame(table: pa.Table, by: Sequence[str]) -> pd.DataFrame:
    """An Arrow table as the pandas frame the kernels read fastest.

    Text keys become categoricals with sorted levels, so series come out in the order
    plain text keys would give, without building a Python string per row. Dates
    become datetime64 and time-zone-aware timestamps their wall-clock time.
    """
    columns: dict[str, Any] = {}
    for name in table.column_names:
        col = table[name]
        t = col.type
        if name in by and (is_text(t) or pa.types.is_dictionary(t)):
            columns[name] = sorted_categorical(col)
        elif pa.types.is_date(t):
            columns[name] = col.cast(pa.timestamp("s")).to_pandas()
        elif pa.types.is_timestamp(t) and t.tz is not None:
            columns[name] = pc.local_timestamp(col).to_pandas()
        else:
            columns[name] = col.to_pandas()
    return pd.DataFrame(columns)


def sorted_categorical(col: pa.ChunkedArray | pa.Array) -> pd.Categorical:
    """A pandas categorical with the column's distinct values as sorted levels."""
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    levels = pc.unique(col).drop_null()
    levels = levels.take(pc.array_sort_indices(levels))
    codes = pc.index_in(col, value_set=levels).fill_null(-1)
    return pd.Categorical.from_codes(
        cast(Any, np.asarray(codes, dtype=np.int32)),
        categories=pd.Index(levels.to_pandas(), dtype=object),
    )


def result_table(
    frame: pd.DataFrame, schema: pa.Schema, wall_tz: str | None = None
) -> pa.Table:
    """A kernel result (pandas) as an Arrow table of ``schema``.

    ``wall_tz`` is the time zone the input's timestamps were converted from, so that
    periods go back to the same instants.
    """
    arrays = [_array(frame[f.name], f.type, wall_tz) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _array(values: pd.Series, target: pa.DataType, wall_tz: str | None) -> pa.Array:
    arr = pa.array(values, from_pandas=True)
    if (
        pa.types.is_timestamp(target)
        and target.tz is not None
        and pa.types.is_timestamp(arr.type)
    ):
        arr = pc.assume_timezone(arr, wall_tz or target.tz)
    if arr.type != target:
        arr = arr.cast(target)
    return arr


def pandas_types(
    frame: pd.DataFrame, columns: Mapping[str, Any], keys: Sequence[str]
) -> pd.DataFrame:
    """Give collected results the local engine's pandas types: categoricals for labels
    and text keys, datetime64 for dates."""
    out = frame.copy()
    for name in keys:
        col = out[name]
        if pd.api.types.infer_dtype(col, skipna=False) == "string":
            out[name] = pd.Categorical(col, categories=sorted(col.unique()))
    for name, t in columns.items():
        if isinstance(t, pd.CategoricalDtype) or (
            isinstance(t, str) and t == NULLABLE_INT
        ):
            out[name] = out[name].astype(cast(Any, t))
        elif (
            isinstance(t, str)
            and t == PERIOD
            and out[name].dtype == object
            # Unit names (categorical periods) stay text; dates become datetime64.
            and pd.api.types.infer_dtype(out[name], skipna=True) != "string"
        ):
            out[name] = pd.to_datetime(out[name])
    return out
