"""The Spark engine: the same NumPy kernels, run inside Apache Spark.

Rows are spread over ``partitions`` partitions by a hash of the series key, so each
partition holds whole series; Spark hands each partition to a Python worker as Arrow
batches (``mapInArrow``), where the kernel of :mod:`qualitas.spc` computes all its
series at once, exactly as the local engine would. The results come back as Spark
DataFrames (points, summary, icons) that can be written anywhere Spark writes, or
collected to pandas.

Every cell a worker hands back to Spark costs time (the JVM turns it into a row of its
own), so the workers return as little as they can. ``write`` (national batch runs) has
each worker write its partition's points, summary and icons straight to Parquet with
Arrow and return only row counts and notes: one pass over the data, and no result row
ever enters the JVM (measured on two cores at 10^5 series: from about 12 s to under 5;
see docs/engines.md). That needs the output folder reachable with Arrow from every worker: a
local folder in local mode, or a folder mounted on every node (Databricks ``/Volumes``
and ``/dbfs``). For a cloud store's URL, whose credentials a cluster usually gives Spark
alone, Spark writes the results itself (``writer="spark"``).

``run`` returns Spark DataFrames. The workers return one narrow table: the points as
rows, and for each partition its summary and icons as one Arrow stream in a binary cell
each, unpacked again by a second, tiny Python step. Points are the bulk of the work;
rather than caching them, Spark computes them again when they are used (measured: faster
than building and reading a cache).

This is the only module of qualitas that imports pyspark (``pip install
'qualitas[spark]'``; Spark needs Java 17 or later).

>>> from pyspark.sql import SparkSession  # doctest: +SKIP
>>> engine = SparkEngine(SparkSession.builder.getOrCreate())  # doctest: +SKIP
>>> tables = engine.run("nhs.ae_attendances", ChartRequest.build(chart="xmr",  # doctest: +SKIP
...     value="attendances", period="period", by=("org_code", "type")))
>>> tables.icons.where("variation = 'concern_high'").show()  # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyspark import InheritableThread, StorageLevel, TaskContext
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

from qualitas.engines import arrow, folders, partition
from qualitas.engines.base import TABLES, Engine, Progress, Tables, Written
from qualitas.engines.kernels import Kernel, kernel_for
from qualitas.errors import QualitasError, QualitasWarning

# Extra columns of the one table the workers return (see _Layout).
KIND = "__qualitas_kind"
PAYLOAD = "__qualitas_payload"
MESSAGE = "__qualitas_message"
# What a row of that table is: a point, a packed table (summary, icons), or a note.
POINTS, SUMMARY, ICONS, WARNING, FOUND, ERROR = range(6)
KINDS = {"points": POINTS, "summary": SUMMARY, "icons": ICONS}
# Rows per Arrow batch between the JVM and the Python workers.
ARROW_BATCH_ROWS = 100_000
# Who writes the Parquet files of ``write`` (see the module's docstring).
WRITERS = ("auto", "arrow", "spark")


def local_session(
    master: str = "local[2]",
    *,
    shuffle_partitions: int = 2,
    driver_memory: str = "2g",
    app_name: str = "qualitas",
) -> SparkSession:
    """A Spark session on this machine, set up for qualitas: workers use this
    Python, Arrow transfers on, the web UI off, few shuffle partitions.
    ``driver_memory`` is the JVM's heap (in local mode the JVM does all the work)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(ARROW_BATCH_ROWS))
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
        cores = master.removeprefix("local").strip("[]")
        partitions = int(cores) if cores.isdigit() else os.cpu_count() or 2
        return local_session(master, shuffle_partitions=partitions)
    builder = SparkSession.builder.config(
        "spark.sql.execution.arrow.pyspark.enabled", "true"
    )
    if master is not None:
        builder = builder.master(master)
    return SparkSession.getActiveSession() or builder.appName("qualitas").getOrCreate()


@dataclass(frozen=True)
class SparkTables(Tables[DataFrame]):
    """Spark results. Points are computed again by each action on them (cache them to
    use them twice); summary and icons read from a small cached table, which
    ``release()`` frees."""

    cached: DataFrame | None = None
    by: tuple[str, ...] = ()
    outputs: dict[str, dict[str, Any]] | None = None  # the columns of each table
    order: dict[str, tuple[str, ...]] | None = None  # row order within a series
    counts: dict[str, int] | None = None

    def release(self) -> None:
        if self.cached is not None:
            self.cached.unpersist()


class SparkEngine(Engine):
    """Runs the kernels inside Spark.

    ``session``: the Spark session (default: the active one, or a new one).
    ``partitions``: how many partitions to spread the series over; each is computed
    in one piece by one Python worker, so more partitions mean smaller pieces
    (default: the session's ``spark.sql.shuffle.partitions``).
    ``cache``: keep the small summary and icons tables in memory between actions;
    turn it off where caching is not allowed (Databricks serverless compute), and
    they are computed again for each action.
    ``writer``: who writes the files of :meth:`write`: ``"arrow"`` (each worker
    writes its partition; the output folder must be reachable from every worker),
    ``"spark"`` (Spark's own writer: slower, but reaches whatever Spark can, with
    Spark's credentials), or ``"auto"`` (the default: Arrow for a folder path,
    Spark for a URL such as ``s3a://`` or ``abfss://``).
    """

    name = "spark"

    def __init__(
        self,
        session: SparkSession | None = None,
        *,
        partitions: int | None = None,
        cache: bool = True,
        writer: str = "auto",
    ) -> None:
        if partitions is not None and partitions < 1:
            raise QualitasError("partitions must be at least 1")
        if writer not in WRITERS:
            raise QualitasError(
                f"writer must be one of {', '.join(WRITERS)}, not {writer!r}"
            )
        self._session = session
        self.partitions = partitions
        self.cache = cache
        self.writer = writer

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
        # Everything but the points is small: keep it. Collecting the notes computes
        # every partition once, so errors are raised here, not at the first write.
        # The points are computed again when used: handing millions of rows back to
        # Spark costs more than the kernel, so this first pass leaves them out.
        frame = self.read(data)
        side, layout, kernel = self._plan(frame, request, points=False)
        if self.cache:
            side = side.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            rows = side.where(sf.col(KIND) != ICONS).select(KIND, MESSAGE).collect()
            notes = [(r[KIND], r[MESSAGE]) for r in rows if r[KIND] >= WARNING]
            messages = _read_notes(request, notes)
        except BaseException:
            if self.cache:
                side.unpersist()
            raise
        counts = _counts(r[MESSAGE] for r in rows if r[KIND] == SUMMARY)
        stacked, _, _ = self._plan(frame, request, rest=False)
        points = stacked.where(sf.col(KIND) == POINTS).select(*layout.columns("points"))
        packed = {
            name: side.where(sf.col(KIND) == KINDS[name])
            .select(PAYLOAD)
            .mapInArrow(_unpack, layout.spark_schemas[name])
            for name in layout.packed
        }
        return SparkTables(
            points=points,
            summary=packed["summary"],
            icons=packed.get("icons"),
            warnings=messages,
            cached=side if self.cache else None,
            by=tuple(request.by),
            outputs=layout.outputs,
            order=dict(kernel.order),
            counts=counts,
        )

    def compute(self, frame: pd.DataFrame, request: Any) -> Tables[pd.DataFrame]:
        # One Spark job: the stacked results come back as one Arrow table.
        stacked, layout, kernel = self._plan(frame, request)
        everything = stacked.toArrow()
        kind = everything[KIND]
        notes = everything.filter(pc.greater_equal(kind, WARNING))
        messages = _read_notes(
            request,
            list(zip(notes[KIND].to_pylist(), notes[MESSAGE].to_pylist(), strict=True)),
        )
        points = everything.filter(pc.equal(kind, POINTS))
        tables = {"points": points.select(layout.columns("points"))}
        for name in layout.packed:
            packed = everything.filter(pc.equal(kind, KINDS[name]))[PAYLOAD].to_pylist()
            tables[name] = (
                pa.concat_tables([_read_stream(p) for p in packed])
                if packed
                else layout.schemas[name].empty_table()
            )
        out = {
            name: self._pandas(
                table, layout.outputs[name], kernel.order[name], request.by
            )
            for name, table in tables.items()
        }
        return Tables(
            points=out["points"],
            summary=out["summary"],
            icons=out.get("icons"),
            warnings=messages,
        )

    def to_pandas(self, tables: Tables[Any]) -> Tables[pd.DataFrame]:
        if not isinstance(tables, SparkTables) or tables.outputs is None:
            raise QualitasError(
                "to_pandas needs the tables returned by SparkEngine.run"
            )
        outputs, order, by = tables.outputs, tables.order or {}, tables.by

        def collect(name: str, table: DataFrame) -> pd.DataFrame:
            return self._pandas(table.toArrow(), outputs[name], order[name], by)

        return Tables(
            points=collect("points", tables.points),
            summary=collect("summary", tables.summary),
            icons=None if tables.icons is None else collect("icons", tables.icons),
            warnings=tables.warnings,
        )

    def _pandas(
        self,
        table: pa.Table,
        columns: dict[str, Any],
        order: tuple[str, ...],
        by: tuple[str, ...],
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
        frame = arrow.pandas_types(frame, columns, by)
        keys = [*by, *order]
        return (
            frame.sort_values(keys, kind="stable", ignore_index=True) if keys else frame
        )

    def _plan(
        self,
        data: Any,
        request: Any,
        *,
        points: bool = True,
        rest: bool = True,
        sink: folders.Staging | None = None,
    ) -> tuple[DataFrame, _Layout, Kernel]:
        """The workers' stacked results, as a Spark plan (nothing runs yet): the
        points, the rest (packed tables and notes), or both; or, with a ``sink``,
        only notes and counts, the workers writing every table to the sink."""
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
        # Hash partitioning on the key puts each series wholly in one partition.
        partitions = self.partitions or _shuffle_partitions(self.session)
        spread = (
            frame.repartition(partitions, *request.by)
            if request.by
            else frame.repartition(1)
        )
        stacked = spread.mapInArrow(
            _worker(kernel, request, layout, points=points, rest=rest, sink=sink),
            layout.spark_schema,
        )
        return stacked, layout, kernel

    def write(
        self,
        data: Any,
        request: Any,
        directory: str,
        *,
        progress: Progress | None = None,
    ) -> Written:
        if self.writer == "spark" or (
            self.writer == "auto" and not folders.is_local(directory)
        ):
            return self._write_with_spark(data, request, directory, progress)
        # One Spark job: the workers compute and write every table, and hand back
        # only their row counts and notes.
        staging = folders.Staging.start(directory)
        try:
            with _write_settings(self.session):
                stacked, layout, _ = self._plan(
                    data, request, points=False, sink=staging
                )
                rows = self._collect(stacked.select(KIND, MESSAGE), progress)
            messages = _read_notes(request, [(r[KIND], r[MESSAGE]) for r in rows])
            # Each partition with rows wrote one part of each table, and one row of
            # counts.
            parts = sum(r[KIND] == SUMMARY for r in rows)
            paths = staging.commit(layout.schemas, parts=parts)
        except BaseException:
            staging.abort()
            raise
        counts = _counts(r[MESSAGE] for r in rows if r[KIND] == SUMMARY)
        return Written(**counts, warnings=messages, paths=paths)

    def _write_with_spark(
        self, data: Any, request: Any, directory: str, progress: Progress | None
    ) -> Written:
        """Spark's own writer, for URLs (``abfss://``, ``s3a://`` ...) that Arrow
        cannot reach with the cluster's credentials.

        Spark's "overwrite" deletes the old table before writing the new one, so a
        run that failed half way would lose the previous results. Each table is
        written into a staging folder beside the results instead, and the tables are
        moved into place only once all are written: a failed or interrupted run
        leaves the previous results as they were (its staging folder, named with a
        leading underscore, is ignored by Spark and Arrow readers)."""
        root = directory.rstrip("/")
        staging = f"{root}/{folders.STAGING_PREFIX}{uuid.uuid4().hex}"
        fs = _hadoop_files(self.session, root)
        with _write_settings(self.session):
            tables = self.run(data, request)
            names = [name for name in TABLES if getattr(tables, name) is not None]
            steps = len(names) + 1
            if progress is not None:
                progress(1, steps)
            try:
                for done, name in enumerate(names, start=2):
                    staged = f"{staging}/{name}.parquet"
                    getattr(tables, name).write.mode("errorifexists").parquet(staged)
                    if progress is not None:
                        progress(done, steps)
                paths = _move_into_place(self.session, fs, staging, root, names)
            except BaseException:
                fs.delete(_hadoop_path(self.session, staging), True)
                raise
            finally:
                tables.release()
        counts = tables.counts or {}
        return Written(
            series=counts.get("series", 0),
            points=counts.get("points", 0),
            summary=counts.get("summary", 0),
            icons=counts.get("icons", 0),
            warnings=tables.warnings,
            paths=paths,
        )

    def _collect(self, frame: DataFrame, progress: Progress | None) -> list[Row]:
        """Run ``frame``'s job and collect it, calling ``progress(tasks done, tasks)``
        as its tasks finish."""
        try:
            context = self.session.sparkContext
        except Exception:  # Spark Connect: no SparkContext, so no task counts.
            context = None
        if progress is None or context is None:
            rows = frame.collect()
            if progress is not None:
                progress(1, 1)
            return rows
        group = f"qualitas-{uuid.uuid4().hex}"
        outcome: dict[str, Any] = {}

        def job() -> None:
            context.setJobGroup(group, "qualitas", interruptOnCancel=True)
            try:
                outcome["rows"] = frame.collect()
            except BaseException as error:
                outcome["error"] = error

        # The job runs on a thread of its own so that this one can follow it.
        thread = InheritableThread(target=job, daemon=True)
        thread.start()
        tracker = context.statusTracker()
        total = 0
        try:
            while thread.is_alive():
                thread.join(0.25)
                done, total = _tasks(tracker, group)
                if total:
                    progress(done, total)
        except BaseException:  # Ctrl+C: stop the job too
            context.cancelJobGroup(group)
            # Give the cancelled job a moment to end before the caller clears its
            # staging folder; tasks that outlive it fail to write (folders.py).
            thread.join(30)
            raise
        if "error" in outcome:
            raise outcome["error"]
        progress(total or 1, total or 1)
        collected: list[Row] = outcome["rows"]
        return collected


def _hadoop_path(session: SparkSession, path: str) -> Any:
    return session._jvm.org.apache.hadoop.fs.Path(path)  # type: ignore[union-attr]


def _hadoop_files(session: SparkSession, path: str) -> Any:
    """The Hadoop file system Spark itself writes ``path`` with, so moves use the
    same credentials and scheme as the writes."""
    configuration = session._jsc.hadoopConfiguration()
    return _hadoop_path(session, path).getFileSystem(configuration)


def _move_into_place(
    session: SparkSession, fs: Any, staging: str, root: str, names: list[str]
) -> dict[str, str]:
    """Replace the tables in ``root`` by those written in ``staging``, and remove a
    table of an earlier run that this run does not write, so the folder holds one
    run's tables. On object stores without atomic renames the window of risk is
    these moves, not the writing."""
    paths: dict[str, str] = {}
    for name in TABLES:
        final = f"{root}/{name}.parquet"
        target = _hadoop_path(session, final)
        if fs.exists(target):
            fs.delete(target, True)
        if name in names:
            source = _hadoop_path(session, f"{staging}/{name}.parquet")
            if not fs.rename(source, target):
                raise QualitasError(
                    f"cannot move the new {name} table into {root}; the new "
                    f"results are in {staging}"
                )
            paths[name] = final
    fs.delete(_hadoop_path(session, staging), True)
    return paths


def _tasks(tracker: Any, group: str) -> tuple[int, int]:
    """Tasks finished and tasks in all, over the stages of a job group so far."""
    done = total = 0
    for job_id in tracker.getJobIdsForGroup(group):
        job = tracker.getJobInfo(job_id)
        for stage_id in job.stageIds if job is not None else ():
            stage = tracker.getStageInfo(stage_id)
            if stage is not None:
                done += stage.numCompletedTasks
                total += stage.numTasks
    return done, total


@contextmanager
def _write_settings(session: SparkSession) -> Iterator[None]:
    """Settings for a batch run, put back afterwards. Rows go to the Python workers in
    batches of at least ARROW_BATCH_ROWS: Spark's default of 10,000 nearly doubles
    the time of a national run. Spark's writer stores timestamps as instants in
    microseconds, as the Arrow writer does (not in the old INT96 format)."""
    batch = "spark.sql.execution.arrow.maxRecordsPerBatch"
    wanted = {"spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS"}
    rows = session.conf.get(batch, None)
    if rows is None or 0 < int(rows) < ARROW_BATCH_ROWS:
        wanted[batch] = str(ARROW_BATCH_ROWS)
    before: dict[str, str | None] = {key: session.conf.get(key, None) for key in wanted}
    for key, value in wanted.items():
        session.conf.set(key, value)
    try:
        yield
    finally:
        for key, old in before.items():
            if old is None:
                session.conf.unset(key)
            else:
                session.conf.set(key, old)


def _read_notes(request: Any, notes: list[tuple[int, str]]) -> tuple[str, ...]:
    """Raise the workers' first error, or check that every per-series setting found
    its series; return the warnings, each once."""
    errors = sorted(m for k, m in notes if k == ERROR)
    if errors:
        raise QualitasError(errors[0])
    partition.check_found(request, [_decode_found(m) for k, m in notes if k == FOUND])
    return tuple(dict.fromkeys(sorted(m for k, m in notes if k == WARNING)))


def _counts(texts: Any) -> dict[str, int]:
    """Rows per table, added up over the partitions' counts ("points:480,...")."""
    totals = dict.fromkeys(["series", *TABLES], 0)
    for text in texts:
        for item in text.split(","):
            name, _, n = item.partition(":")
            totals[name] += int(n)
    return totals


def _shuffle_partitions(session: SparkSession) -> int:
    try:
        return max(1, int(session.conf.get("spark.sql.shuffle.partitions") or 200))
    except ValueError:  # "auto" on Databricks
        return 200


class _Layout:
    """The schemas: of each result table, and of the one table the workers return.

    That table has the points' columns, then a kind column saying what each row is,
    a binary column holding a packed summary or icons table (one row per partition
    for each), and a message column for warnings, errors, row counts and which
    per-series settings found their series.
    """

    def __init__(self, kernel: Kernel, request: Any, schema: pa.Schema) -> None:
        self.outputs = kernel.outputs(request)
        declared = arrow.output_schemas(kernel, request, schema)
        self.packed = [name for name in declared if name != "points"]
        # Round trip through Spark's types: these are the types Spark checks.
        self.spark_schemas = {
            name: from_arrow_schema(t) for name, t in declared.items()
        }
        self.schemas = {
            name: to_arrow_schema(t, timezone="UTC")
            for name, t in self.spark_schemas.items()
        }
        extra = [
            pa.field(KIND, pa.int8()),
            pa.field(PAYLOAD, pa.binary()),
            pa.field(MESSAGE, pa.string()),
        ]
        self.stacked = pa.schema([*self.schemas["points"], *extra])
        self.spark_schema = from_arrow_schema(self.stacked)

    def columns(self, table: str) -> list[str]:
        return list(self.schemas[table].names)

    def points(self, points: pa.Table) -> pa.Table:
        n = points.num_rows
        return (
            points.append_column(KIND, pa.array(np.zeros(n, dtype=np.int8)))
            .append_column(PAYLOAD, pa.nulls(n, pa.binary()))
            .append_column(MESSAGE, pa.nulls(n, pa.string()))
        )

    def rows(
        self, kinds: list[int], payloads: list[bytes | None], messages: list[str | None]
    ) -> pa.Table:
        """Rows that are not points: packed tables and notes."""
        n = len(kinds)
        columns = [pa.nulls(n, f.type) for f in self.schemas["points"]]
        columns += [
            pa.array(kinds, pa.int8()),
            pa.array(payloads, pa.binary()),
            pa.array(messages, pa.string()),
        ]
        return pa.Table.from_arrays(columns, schema=self.stacked)


def _worker(
    kernel: Kernel,
    request: Any,
    layout: _Layout,
    *,
    points: bool,
    rest: bool,
    sink: folders.Staging | None,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """What each Python worker runs on one partition (pickled to the workers)."""
    by = tuple(request.by)

    def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        received = list(batches)
        if not received or not sum(b.num_rows for b in received):
            return  # an empty partition (more partitions than series)
        table = pa.Table.from_batches(received)
        del received
        wall_tz = arrow.wall_tz(kernel, request, table.schema)
        frame = arrow.kernel_frame(table, by)
        del table
        part, found = partition.restrict(request, frame)
        notes: list[tuple[int, str]] = [(FOUND, _encode_found(found))] if found else []
        try:
            with warnings.catch_warnings():
                # The kernel returns its warnings too; they travel as rows.
                warnings.simplefilter("ignore", QualitasWarning)
                result = kernel.run(frame, part)
        except QualitasError as error:
            yield from layout.rows(
                [ERROR], [None], [_in_group(str(error), frame, by)]
            ).to_batches()
            return
        tables = {
            name: arrow.result_table(getattr(result, name), schema, wall_tz)
            for name, schema in layout.schemas.items()
        }
        if points:
            yield from layout.points(tables["points"]).to_batches(
                max_chunksize=ARROW_BATCH_ROWS
            )
        if not rest:
            return
        notes += [(WARNING, m) for m in result.warnings]
        # The summary row also carries the partition's row counts.
        counts = ",".join(
            [f"{name}:{t.num_rows}" for name, t in tables.items()]
            + [f"series:{partition.count_series(result.summary, by)}"]
        )
        payloads: list[bytes | None]
        if sink is None:
            kinds = [KINDS[name] for name in layout.packed]
            payloads = [_write_stream(tables[n]) for n in layout.packed]
        else:
            task = TaskContext.get()
            assert task is not None  # always set inside a Spark task
            for name, table in tables.items():
                sink.write_part(name, task.partitionId(), task.attemptNumber(), table)
            kinds, payloads = [SUMMARY], [None]
        messages = [counts] + [None] * (len(kinds) - 1) + [m for _, m in notes]
        kinds += [k for k, _ in notes]
        payloads += [None] * len(notes)
        yield from layout.rows(kinds, payloads, messages).to_batches()

    return apply


def _write_stream(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _read_stream(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


def _unpack(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Packed tables (one per row of the payload column) back to rows."""
    for batch in batches:
        for data in batch.column(0).to_pylist():
            yield from _read_stream(data).to_batches()


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
