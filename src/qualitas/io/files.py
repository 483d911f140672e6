"""CSV and Parquet files through DuckDB: the one way qualitas reads these formats.

Both ways in use it: :func:`qualitas.io.read_table` (one file a person points at, into
pandas) and :func:`qualitas.io.sources.read_arrow` (the files and globs of a batch run,
into Arrow). So a file reads the same whichever command is given it:

- column types are inferred from the whole file, not a sample, so a text value on the
  last row of a number column makes the column text rather than breaking the read;
- a CSV that is not UTF-8 (as Excel on Windows often saves them) is read as Latin-1,
  which never fails to decode and gets the £ sign and accented names right; in a glob,
  only the files that are not UTF-8 are;
- an empty file, and a file DuckDB cannot read (a Parquet file with no columns is one),
  each give one short :class:`QualitasError` naming the file;
- a row with more cells than the header is an error naming the row, never a file read
  as one wide column or with its rows shifted;
- a file separated by semicolons or tabs whose number columns are written with decimal
  commas ("4,5", as spreadsheets save them where the comma is the decimal mark) is read
  with decimal commas, and a :class:`QualitasWarning` says so; a column that mixes
  decimal commas and points stays text, which the engine refuses as not numeric. In
  a comma-separated file "4,5" is never read as 45.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "costs.csv").write_bytes("ward,cost\\nA,£5\\n".encode("latin-1"))
>>> read_files_pandas([folder / "costs.csv"], "csv", label="costs.csv")["cost"].tolist()
['£5']
>>> _ = (folder / "empty.csv").write_bytes(b"")
>>> read_files_arrow([folder / "empty.csv"], "csv", label="empty.csv")
Traceback (most recent call last):
...
qualitas.errors.QualitasError: empty.csv is empty
"""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from qualitas.errors import QualitasError, QualitasWarning

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

# How a file's name (less a .gz or .zst ending) says its format.
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".parq": "parquet",
}
NAMES = {"csv": "CSV", "parquet": "Parquet"}
Paths = Sequence[str | os.PathLike[str]]
T = TypeVar("T")


def format_of(path: str | os.PathLike[str]) -> str | None:
    """``"csv"``, ``"parquet"`` or None, from the name of ``path``.

    >>> format_of("extracts/ae_2024.csv.gz"), format_of("ae.PQ"), format_of("ae.xlsx")
    ('csv', 'parquet', None)
    """
    name = os.fspath(path).lower().removesuffix(".gz").removesuffix(".zst")
    return next(
        (kind for suffix, kind in FORMATS.items() if name.endswith(suffix)), None
    )


def read_files_arrow(
    paths: Paths,
    file_format: str,
    *,
    label: str,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """``paths`` (all ``file_format``) as one Arrow table, only ``columns`` if given.

    ``label`` names the files in messages, as the user wrote them.
    """
    return _read(paths, file_format, label, columns, lambda r: r.to_arrow_table())


def read_files_pandas(paths: Paths, file_format: str, *, label: str) -> pd.DataFrame:
    """``paths`` (all ``file_format``) as one pandas DataFrame, every column."""
    frame: pd.DataFrame = _read(paths, file_format, label, None, lambda r: r.df())
    return frame


def _read(
    paths: Paths,
    file_format: str,
    label: str,
    columns: Sequence[str] | None,
    fetch: Callable[[duckdb.DuckDBPyRelation], T],
) -> T:
    import duckdb

    names = [os.fspath(p) for p in paths]
    for name in names:
        if os.path.getsize(name) == 0:
            raise QualitasError(f"{_which(name, names, label)} is empty")
    con = duckdb.connect()
    try:
        # DuckDB reads lazily, so errors can come while fetching as well as while
        # sniffing: both are inside the try.
        try:
            relation = _relation(con, names, file_format, "utf-8")
            relation = _checked_csv(con, relation, names, file_format, "utf-8", label)
            return fetch(_select(relation, columns, label))
        except duckdb.Error as error:
            if file_format != "csv" or not _is_encoding(error):
                _refuse_ragged(names, file_format, label)
                raise _unreadable(error, names, file_format, label) from None
        try:
            relation = _latin1_where_needed(con, names)
            relation = _checked_csv(con, relation, names, file_format, "latin-1", label)
            return fetch(_select(relation, columns, label))
        except duckdb.Error as error:
            _refuse_ragged(names, file_format, label)
            raise _unreadable(error, names, file_format, label) from None
    finally:
        con.close()


def _relation(
    con: duckdb.DuckDBPyConnection, names: list[str], file_format: str, encoding: str
) -> duckdb.DuckDBPyRelation:
    several = len(names) > 1
    if file_format == "parquet":
        return con.sql(
            "select * from read_parquet(?, union_by_name = ?)", params=[names, several]
        )
    return con.sql(_CSV, params=[names, encoding, several])


def _checked_csv(
    con: duckdb.DuckDBPyConnection,
    relation: duckdb.DuckDBPyRelation,
    names: list[str],
    file_format: str,
    encoding: str,
    label: str,
) -> duckdb.DuckDBPyRelation:
    """A CSV's relation after two checks on what DuckDB guessed: that it took the
    file's own header (a ragged row can make it read the file as one column, or take
    a later line as the header), and whether the numbers use decimal commas."""
    if file_format != "csv":
        return relation
    shapes = [_header(name, encoding) for name in names]
    if any(shape is None for shape in shapes):
        return relation  # compressed: DuckDB's reading stands
    headers = [[h.strip() for h in shape[1]] for shape in shapes if shape]
    columns = [c.strip() for c in relation.columns]
    expected = list(dict.fromkeys(h for header in headers for h in header))
    if sorted(columns) != sorted(expected):
        _refuse_ragged(names, file_format, label)
    separators = {shape[0] for shape in shapes if shape}
    if len(separators) != 1 or (encoding != "utf-8" and len(names) > 1):
        # Files with different separators, or a glob read in two encodings: read as
        # DuckDB reads them, and a column of decimal commas stays text.
        return relation
    (separator,) = separators
    if separator not in (";", "\t") or not _decimal_comma_columns(relation):
        return relation
    warnings.warn(
        f"read {label} as {'semicolon' if separator == ';' else 'tab'}-separated "
        "with decimal commas (4,5 is four and a half)",
        QualitasWarning,
        stacklevel=4,
    )
    return con.sql(
        _CSV_DECIMAL, params=[names, encoding, len(names) > 1, separator, ","]
    )


def _decimal_comma_columns(relation: duckdb.DuckDBPyRelation) -> bool:
    """Whether some text column holds only numbers with decimal commas (and whole
    numbers): the file's own evidence, never a guess from one cell."""
    text = [
        c
        for c, t in zip(relation.columns, relation.types, strict=True)
        if str(t) == "VARCHAR"
    ]
    for column in text:
        quoted = '"' + column.replace('"', '""') + '"'
        found = relation.aggregate(
            f"bool_or(regexp_full_match({quoted}, '[+-]?[0-9]+,[0-9]+')), "
            f"bool_and({quoted} is null or regexp_full_match({quoted}, "
            "'[+-]?[0-9]+(,[0-9]+)?'))"
        ).fetchall()
        commas, all_numbers = found[0] if found else (False, False)
        if commas and all_numbers:
            return True
    return False


def _header(name: str, encoding: str) -> tuple[str, list[str]] | None:
    """The separator and cells of a plain CSV's first line (None if compressed)."""
    if name.lower().endswith((".gz", ".zst")):
        return None
    with open(name, encoding=encoding, errors="replace", newline="") as f:
        first = f.readline().lstrip("\ufeff")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    separator = max(counts, key=lambda sep: counts[sep])
    if not counts[separator]:
        return None
    return separator, next(csv.reader([first.rstrip("\r\n")], delimiter=separator))


def _refuse_ragged(names: list[str], file_format: str, label: str) -> None:
    """A QualitasError naming the first row with more cells than its header, if any.
    Only run when DuckDB's reading looks wrong, so a good file is read once."""
    if file_format != "csv":
        return
    for name in names:
        shape = _header(name, "utf-8")
        if shape is None:
            continue
        separator, header = shape
        with open(name, encoding="utf-8", errors="replace", newline="") as f:
            for number, cells in enumerate(csv.reader(f, delimiter=separator), 1):
                if len(cells) > len(header) and any(
                    c.strip() for c in cells[len(header) :]
                ):
                    raise QualitasError(
                        f"row {number} of {_which(name, names, label)} has "
                        f"{len(cells)} cells but the header has {len(header)}: check "
                        "for a comma in a text cell or a number written with a "
                        "decimal comma"
                    )


# sample_size = -1: infer column types from every row (see the module docstring).
# The encoding is given in SQL: DuckDB's Python read_csv refuses any but UTF-8.
_CSV = (
    "select * from read_csv(?, header = true, sample_size = -1, encoding = ?,"
    " union_by_name = ?)"
)
# The same, with the separator given and decimal commas understood.
_CSV_DECIMAL = (
    "select * from read_csv(?, header = true, sample_size = -1, encoding = ?,"
    " union_by_name = ?, delim = ?, decimal_separator = ?)"
)


def _latin1_where_needed(
    con: duckdb.DuckDBPyConnection, names: list[str]
) -> duckdb.DuckDBPyRelation:
    # Reading a UTF-8 file as Latin-1 would turn its £ into Â£, so in a glob the UTF-8
    # files keep UTF-8 and the two groups are joined by column name.
    if len(names) == 1:
        return _relation(con, names, "csv", "latin-1")
    is_utf8 = {n: _is_utf8(con, n) for n in names}
    utf8 = [n for n in names if is_utf8[n]]
    latin1 = [n for n in names if not is_utf8[n]]
    if not utf8:
        return _relation(con, latin1, "csv", "latin-1")
    return con.sql(
        f"{_CSV} union all by name {_CSV}",
        params=[utf8, "utf-8", len(utf8) > 1, latin1, "latin-1", len(latin1) > 1],
    )


def _select(
    relation: duckdb.DuckDBPyRelation, columns: Sequence[str] | None, label: str
) -> duckdb.DuckDBPyRelation:
    if columns is None:
        return relation
    require_columns(columns, relation.columns, label)
    return relation.select(
        ", ".join('"' + c.replace('"', '""') + '"' for c in dict.fromkeys(columns))
    )


def require_columns(wanted: Sequence[str], have: Sequence[str], where: str) -> None:
    """Raise a QualitasError naming the ``wanted`` columns missing from ``where``."""
    missing = [c for c in dict.fromkeys(wanted) if c not in have]
    if missing:
        raise QualitasError(
            f"column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
            f"not found in {where}; it has {', '.join(map(repr, have))}"
        )


def _which(name: str, names: list[str], label: str) -> str:
    """One file of the read, for a message."""
    return label if len(names) == 1 else f"{name} in {label}"


def _is_encoding(error: Exception) -> bool:
    text = str(error).lower()
    return "encod" in text or "unicode" in text


def _is_utf8(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    # Through DuckDB rather than Python, so that compressed files are checked too.
    import duckdb

    try:
        con.sql(
            f"select count(*) from ({_CSV})", params=[[name], "utf-8", False]
        ).fetchall()
    except duckdb.Error as error:
        return not _is_encoding(error)
    return True


def _unreadable(
    error: Exception, names: list[str], file_format: str, label: str
) -> QualitasError:
    lines = [line.strip() for line in str(error).strip().splitlines()]
    first = lines[0] if lines and lines[0] else type(error).__name__
    # In a glob, say which file: DuckDB's CSV errors name it on a line of their own.
    where = next((line for line in lines if line.startswith("file = ")), "")
    if len(names) > 1 and where:
        label = _which(where.removeprefix("file = "), names, label)
    return QualitasError(f"cannot read {label} as {NAMES[file_format]}: {first}")
