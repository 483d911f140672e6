"""The Spark engine: the same NumPy kernels, run inside Apache Spark.

Rows are grouped by a hash of the series key into ``partitions`` groups of whole series;
Spark sends each group to a Python worker as an Arrow table (``applyInArrow``), where
the kernel of :mod:`qualitas.spc` computes it exactly as the local engine would. The
results come back as Spark DataFrames (points, summary, icons) that can be written
anywhere Spark writes, or collected to pandas.

This is the only module of qualitas that imports pyspark (``pip install
'qualitas[spark]'``; Spark needs Java 17 or later).

>>> from pyspark.sql import SparkSession  # doctest: +SKIP
>>> engine = SparkEngine(SparkSession.builder.getOrCreate())  # doctest: +SKIP
>>> tables = engine.run("nhs.ae_attendances", XmrRequest(  # doctest: +SKIP
...     value="attendances", period="period", by=("org_code", "type")))
>>> tables.icons.where("variation = 'concern_high'").show()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

from qualitas.engines import arrow, partition
from qualitas.engines.base import TABLES, Engine, Progress, Tables, Written
from qualitas.engines.kernels import Kernel, kernel_for
from qualitas.errors import QualitasError, QualitasWarning

# Extra columns of the one table the workers return (see _Layout).
KIND = "__qualitas_kind"
MESSAGE = "__qualitas_message"
GROUP = "__qualitas_group"
POINTS, SUMMARY, ICONS, WARNING, FOUND, ERROR = range(6)


def local_session(
    master: str = "local[2]", *, shuffle_partitions: int = 2, app_name: str = "qualitas"
) -> SparkSession:
    """A Spark session on this machine, set up for qualitas: workers use this
    Python, Arrow transfers on, the web UI off, few shuffle partitions."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_session(master: str | None = None) -> SparkSession:
    """The session for a command-line run: the one spark-submit (or Databricks)
    provides, a local one when ``master`` is ``local[...]``, or a new one at
    ``master``. Workers use this Python unless PYSPARK_PYTHON says otherwise."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if master is not None and master.startswith("local"):
        return local_session(master, shuffle_partitions=4)
    builder = SparkSession.builder.config(
        "spark.sql.execution.arrow.pyspark.enabled", "true"
    )
    if master is not None:
        builder = builder.master(master)
    return SparkSession.getActiveSession() or builder.appName("qualitas").getOrCreate()


@dataclass(frozen=True)
class SparkTables(Tables[DataFrame]):
    """Spark results. They read from one cached table; ``release()`` frees it."""

    cached: DataFrame | None = None
    by: tuple[str, ...] = ()
    kernel: Kernel | None = None

    def release(self) -> None:
        if self.cached is not None:
            self.cached.unpersist()


class SparkEngine(Engine):
    """Runs the kernels inside Spark.

    ``session``: the Spark session (default: the active one, or a new one).
    ``partitions``: how many groups of series to make; each group is computed in one
    piece by one Python worker, so more groups mean smaller pieces (default: the
    session's ``spark.sql.shuffle.partitions``).
    """

    name = "spark"

    def __init__(
        self, session: SparkSession | None = None, *, partitions: int | None = None
    ) -> None:
        if partitions is not None and partitions < 1:
            raise QualitasError("partitions must be at least 1")
        self._session = session
        self.partitions = partitions

    @property
    def session(self) -> SparkSession:
        if self._session is None:
            self._session = (
                SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
            )
        return self._session

    def read(self, data: Any) -> DataFrame:
        """A Spark DataFrame from a DataFrame, a table name, pandas or Arrow."""
        if isinstance(data, DataFrame):
            return data
        if isinstance(data, str):
            return self.session.table(data)
        if isinstance(data, pd.DataFrame | pa.Table):
            return self.session.createDataFrame(data)
        raise QualitasError(
            "the Spark engine reads a Spark DataFrame, a table name, pandas or Arrow, "
            f"not {type(data).__name__}"
        )

    def read_files(self, paths: list[str], file_format: str) -> DataFrame:
        """CSV (with a header row; column types inferred) or Parquet files."""
        reader = self.session.read
        if file_format == "csv":
            return reader.options(header=True, inferSchema=True).csv(paths)
        return reader.parquet(*paths)

    def run(self, data: Any, request: Any) -> SparkTables:
        combined, layout, kernel = self._plan(data, request)
        combined = combined.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            # One pass computes every group into the cache and brings back the
            # messages; errors are raised here rather than at the first write.
            notes = (
                combined.where(sf.col(KIND) >= WARNING).select(KIND, MESSAGE).collect()
            )
            messages = _read_notes(request, [(r[KIND], r[MESSAGE]) for r in notes])
        except BaseException:
            combined.unpersist()
            raise
        tables = {
            name: combined.where(sf.col(KIND) == kind).select(*layout.columns(name))
            for kind, name in enumerate(TABLES)
        }
        return SparkTables(
            **tables,
            warnings=messages,
            cached=combined,
            by=tuple(request.by),
            kernel=kernel,
        )

    def compute(self, frame: pd.DataFrame, request: Any) -> Tables[pd.DataFrame]:
        # One Spark job: the stacked results come back as one Arrow table.
        combined, layout, kernel = self._plan(frame, request)
        everything = combined.toArrow()
        kind = everything[KIND]
        notes = everything.filter(pc.greater_equal(kind, WARNING))
        messages = _read_notes(
            request,
            list(zip(notes[KIND].to_pylist(), notes[MESSAGE].to_pylist(), strict=True)),
        )
        out = {
            name: self._pandas(
                everything.filter(pc.equal(kind, k)).select(layout.columns(name)),
                kernel,
                request.by,
                name,
            )
            for k, name in enumerate(TABLES)
        }
        return Tables(**out, warnings=messages)

    def to_pandas(self, tables: Tables[Any]) -> Tables[pd.DataFrame]:
        if not isinstance(tables, SparkTables) or tables.kernel is None:
            raise QualitasError(
                "to_pandas needs the tables returned by SparkEngine.run"
            )
        out = {
            name: self._pandas(
                getattr(tables, name).toArrow(), tables.kernel, tables.by, name
            )
            for name in TABLES
        }
        return Tables(**out, warnings=tables.warnings)

    def _pandas(
        self, table: pa.Table, kernel: Kernel, by: tuple[str, ...], name: str
    ) -> pd.DataFrame:
        """A collected result as the local engine would give it: same column types
        (timestamps in the session's time zone, as Spark's toPandas gives them),
        rows in series and period order."""
        tz = self.session.conf.get("spark.sql.session.timeZone") or "UTC"
        frame = table.to_pandas()
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                frame[column] = frame[column].dt.tz_convert(tz).dt.tz_localize(None)
            if pd.api.types.is_datetime64_dtype(frame[column].dtype):
                frame[column] = frame[column].astype("datetime64[ns]")
        frame = arrow.pandas_types(frame, kernel.outputs[name], by)
        order = [*by, *kernel.order[name]]
        return (
            frame.sort_values(order, kind="stable", ignore_index=True)
            if order
            else frame
        )

    def _plan(self, data: Any, request: Any) -> tuple[DataFrame, _Layout, Kernel]:
        """The stacked results of every group, as a Spark plan (nothing runs yet)."""
        kernel = kernel_for(request)
        frame = self.read(data)
        columns = kernel.columns(request)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise QualitasError(
                f"column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
                f"not found; the data has {', '.join(map(repr, frame.columns))}"
            )
        frame = frame.select(*columns)
        layout = _Layout(kernel, request, to_arrow_schema(frame.schema, timezone="UTC"))
        groups = self.partitions or _shuffle_partitions(self.session)
        group = (
            sf.pmod(sf.xxhash64(*request.by), sf.lit(groups))
            if request.by
            else sf.lit(0)
        )
        combined = (
            frame.withColumn(GROUP, group)
            .groupBy(GROUP)
            .applyInArrow(_worker(kernel, request, layout), layout.spark_schema)
        )
        return combined, layout, kernel

    def write(
        self,
        data: Any,
        request: Any,
        directory: str,
        *,
        progress: Progress | None = None,
    ) -> Written:
        tables = self.run(data, request)
        steps = len(TABLES) + 1
        if progress is not None:
            progress(1, steps)
        try:
            paths = {}
            for done, name in enumerate(TABLES, start=2):
                paths[name] = f"{directory.rstrip('/')}/{name}.parquet"
                getattr(tables, name).write.mode("overwrite").parquet(paths[name])
                if progress is not None:
                    progress(done, steps)
            assert tables.cached is not None
            counts = dict(tables.cached.groupBy(KIND).count().collect())
        finally:
            tables.release()
        return Written(
            points=counts.get(POINTS, 0),
            summary=counts.get(SUMMARY, 0),
            icons=counts.get(ICONS, 0),
            warnings=tables.warnings,
            paths=paths,
        )


def _read_notes(request: Any, notes: list[tuple[int, str]]) -> tuple[str, ...]:
    """Raise the workers' first error, or check that every per-series setting found
    its series; return the warnings, each once."""
    errors = sorted(m for k, m in notes if k == ERROR)
    if errors:
        raise QualitasError(errors[0])
    partition.check_found(request, [_decode_found(m) for k, m in notes if k == FOUND])
    return tuple(dict.fromkeys(sorted(m for k, m in notes if k == WARNING)))


def _shuffle_partitions(session: SparkSession) -> int:
    try:
        return max(1, int(session.conf.get("spark.sql.shuffle.partitions") or 200))
    except ValueError:  # "auto" on Databricks
        return 200


class _Layout:
    """The one table a worker returns: the three result tables stacked, with a kind
    column saying which table a row belongs to and a message column for warnings,
    errors and which per-series settings found their series. Columns of the same
    name and type are shared between tables."""

    def __init__(self, kernel: Kernel, request: Any, schema: pa.Schema) -> None:
        self.schemas = arrow.output_schemas(kernel, request, schema)
        fields: dict[str, pa.Field] = {}
        for name in TABLES:
            for f in self.schemas[name]:
                if f.name in fields and fields[f.name].type != f.type:
                    raise QualitasError(f"result column {f.name!r} has two types")
                fields.setdefault(f.name, f)
        spark = from_arrow_schema(
            pa.schema(
                [
                    pa.field(KIND, pa.int8()),
                    pa.field(MESSAGE, pa.string()),
                    *fields.values(),
                ]
            )
        )
        self.spark_schema = spark
        # The types Spark will check the workers' tables against.
        self.arrow_schema = to_arrow_schema(spark, timezone="UTC")
        for name in TABLES:
            self.schemas[name] = pa.schema(
                [self.arrow_schema.field(f.name) for f in self.schemas[name]]
            )

    def columns(self, table: str) -> list[str]:
        return self.schemas[table].names

    def stack(self, parts: list[tuple[int, pa.Table]]) -> pa.Table:
        """One table from result tables of each kind (a part with its own KIND
        column, such as messages, keeps it)."""
        tables = []
        for kind, part in parts:
            n = part.num_rows
            arrays = []
            for f in self.arrow_schema:
                if f.name in part.column_names:
                    arrays.append(part[f.name])
                elif f.name == KIND:
                    arrays.append(pa.array([kind] * n, pa.int8()))
                else:
                    arrays.append(pa.nulls(n, f.type))
            tables.append(pa.Table.from_arrays(arrays, schema=self.arrow_schema))
        return pa.concat_tables(tables) if tables else self.arrow_schema.empty_table()


def _worker(
    kernel: Kernel, request: Any, layout: _Layout
) -> Callable[[pa.Table], pa.Table]:
    """What each Python worker runs on one group of series (pickled to the workers;
    a plain annotated function, as applyInArrow reads its type hints)."""
    by = tuple(request.by)

    def apply(table: pa.Table) -> pa.Table:
        table = table.drop_columns([GROUP])
        period = table.schema.field(request.period).type
        wall_tz = period.tz if pa.types.is_timestamp(period) else None
        frame = arrow.kernel_frame(table, by)
        part, found = partition.restrict(request, frame)
        notes = [(FOUND, _encode_found(found))] if found else []
        try:
            with warnings.catch_warnings():
                # The kernel returns its warnings too; they travel as rows.
                warnings.simplefilter("ignore", QualitasWarning)
                result = kernel.run(frame, part)
        except QualitasError as error:
            return layout.stack(
                [(ERROR, _messages([(ERROR, _in_group(str(error), frame, by))]))]
            )
        parts = [
            (
                kind,
                arrow.result_table(
                    getattr(result, name), layout.schemas[name], wall_tz
                ),
            )
            for kind, name in enumerate(TABLES)
        ]
        notes += [(WARNING, m) for m in result.warnings]
        if notes:
            parts.append((WARNING, _messages(notes)))
        return layout.stack(parts)

    return apply


def _messages(notes: list[tuple[int, str]]) -> pa.Table:
    return pa.table(
        {
            KIND: pa.array([k for k, _ in notes], pa.int8()),
            MESSAGE: [m for _, m in notes],
        }
    )


def _in_group(message: str, frame: pd.DataFrame, by: tuple[str, ...]) -> str:
    if not by or frame.empty:
        return message
    first = ", ".join(
        f"{k}={min(map(str, frame[k].dropna().unique()), default='')}" for k in by
    )
    return (
        f"{message} (in the Spark partition whose first series is {first}; "
        "row numbers count within that partition)"
    )


def _encode_found(found: dict[str, list[int]]) -> str:
    return ";".join(
        f"{name}:{','.join(map(str, hits))}" for name, hits in found.items()
    )


def _decode_found(text: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for item in text.split(";"):
        name, _, hits = item.partition(":")
        out[name] = [int(h) for h in hits.split(",") if h]
    return out
