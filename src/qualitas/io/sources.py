"""Where a batch run reads its rows from: files or a SQL table.

Files are read by DuckDB through :mod:`qualitas.io.files`, as ``read_table`` reads
them (CSV and Parquet, glob patterns allowed; column types are inferred from every row,
so ISO dates become dates), SQL tables through SQLAlchemy (any database it
knows; PostgreSQL is tested). Only the columns the chart needs are read.

>>> source = parse_source("postgresql://nhs:secret@db/warehouse?table=ae.attendances")
>>> source.kind, source.table, source.text
('sql', 'ae.attendances', 'postgresql://nhs:***@db/warehouse?table=ae.attendances')
>>> source.url
'postgresql+psycopg://nhs:secret@db/warehouse'
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from qualitas.errors import QualitasError
from qualitas.io.files import format_of, read_files_arrow, require_columns

SQL_CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class Source:
    """Files (``paths`` in one ``file_format``) or a SQL ``table`` at ``url``."""

    kind: str  # "files" or "sql"
    text: str  # as the user wrote it, for messages
    paths: tuple[str, ...] = ()
    file_format: str = ""
    url: str = ""
    table: str = ""


def parse_source(text: str, *, sql_table: str | None = None) -> Source:
    """Understand ``--input``: a path, a glob pattern or a SQLAlchemy URL (whose
    ``table`` query parameter, or ``sql_table``, names the table)."""
    if "://" in text:
        parts = urlsplit(text)
        query = parse_qsl(parts.query)
        table = sql_table or dict(query).get("table", "")
        if not table:
            raise QualitasError(
                f"which table? add ?table=NAME to the URL or give --sql-table (input {_safe(text)!r})"
            )
        rest = urlencode([(k, v) for k, v in query if k != "table"])
        url = urlunsplit(
            (_driver(parts.scheme), parts.netloc, parts.path, rest, parts.fragment)
        )
        return Source(kind="sql", text=_safe(text), url=url, table=table)
    if sql_table:
        raise QualitasError(
            "--sql-table needs --input to be a database URL, such as postgresql://host/db"
        )
    pattern = os.path.join(text, "**", "*.parquet") if os.path.isdir(text) else text
    paths = tuple(
        sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
    )
    if not paths:
        raise QualitasError(f"no files match {text!r}")
    formats = {_format(p) for p in paths}
    if len(formats) > 1:
        raise QualitasError(
            f"{text!r} matches both CSV and Parquet files; read one kind at a time"
        )
    return Source(kind="files", text=text, paths=paths, file_format=formats.pop())


def _format(path: str) -> str:
    kind = format_of(path)
    if kind is not None:
        return kind
    raise QualitasError(
        f"cannot tell the format of {path!r}: name CSV files .csv and Parquet files .parquet"
    )


def _driver(scheme: str) -> str:
    # psycopg (version 3) is the PostgreSQL driver qualitas installs.
    return "postgresql+psycopg" if scheme in ("postgres", "postgresql") else scheme


def _safe(url: str) -> str:
    """A URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def read_arrow(source: Source, columns: Sequence[str]) -> pa.Table:
    """The ``columns`` of ``source`` as one Arrow table."""
    if source.kind == "sql":
        table = _read_sql(source, columns)
    else:
        table = read_files_arrow(
            source.paths, source.file_format, label=repr(source.text), columns=columns
        )
    # Exact decimals (SQL NUMERIC) become float64, the type the kernels compute in.
    for i, f in enumerate(table.schema):
        if pa.types.is_decimal(f.type):
            table = table.set_column(i, f.name, pc.cast(table[f.name], pa.float64()))
    return table


def _read_sql(source: Source, columns: Sequence[str]) -> pa.Table:
    import pandas as pd
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(source.url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as error:
        raise QualitasError(
            f"cannot use database URL {source.text!r}: {error}"
        ) from None
    schema, _, name = source.table.rpartition(".")
    try:
        with engine.connect() as conn:
            try:
                table = sa.Table(
                    name, sa.MetaData(), autoload_with=conn, schema=schema or None
                )
            except sa.exc.NoSuchTableError:
                raise QualitasError(
                    f"no table {source.table!r} in {source.text!r}"
                ) from None
            require_columns(
                columns, [c.name for c in table.columns], f"table {source.table!r}"
            )
            query = sa.select(*(table.c[c] for c in dict.fromkeys(columns)))
            chunks = [
                pa.Table.from_pandas(chunk, preserve_index=False)
                for chunk in pd.read_sql(query, conn, chunksize=SQL_CHUNK_ROWS)
            ]
    except sa.exc.OperationalError as error:
        raise QualitasError(
            f"cannot connect to {source.text!r}: {error.orig}"
        ) from None
    finally:
        engine.dispose()
    if not chunks:
        raise QualitasError(f"table {source.table!r} has no rows")
    return pa.concat_tables(chunks, promote_options="permissive")
