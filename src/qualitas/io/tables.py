"""Read a table of measure data from CSV, Parquet or Excel into pandas.

CSV and Parquet go through DuckDB, which is fast on national extracts and detects
dates and numbers by looking at the whole file (not a sample, so a text value on the
last row cannot break the read). Excel goes through pandas and openpyxl.
Problems come back as :class:`QualitasError` with a message a user can act on.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "falls.csv").write_text("month,ward,falls\\n2024-04-01,A,3\\n2024-05-01,A,5\\n")
>>> read_table(folder / "falls.csv").dtypes["falls"]
dtype('int64')
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qualitas.errors import QualitasError

CSV = (".csv", ".txt", ".tsv")
PARQUET = (".parquet", ".pq")
EXCEL = (".xlsx", ".xlsm")
SUFFIXES: tuple[str, ...] = CSV + PARQUET + EXCEL


def read_table(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read ``path`` (CSV, Parquet or Excel, chosen by its suffix) into a DataFrame.

    ``sheet`` names the Excel worksheet to read (default: the first).
    """
    path = Path(path)
    if not path.exists():
        raise QualitasError(f"file not found: {path}")
    if path.is_dir():
        raise QualitasError(f"{path} is a folder; give a CSV, Parquet or Excel file")
    suffix = path.suffix.lower()
    if suffix in CSV:
        frame = _read_csv(path)
    elif suffix in PARQUET:
        frame = _read_parquet(path)
    elif suffix in EXCEL:
        frame = _read_excel(path, sheet)
    elif suffix == ".xls":
        raise QualitasError(
            f"{path.name} is an old-style .xls workbook; save it as .xlsx or CSV and try again"
        )
    else:
        raise QualitasError(
            f"cannot read {path.name}: qualitas reads {', '.join(SUFFIXES)} files"
        )
    if len(frame.columns) == 0:
        raise QualitasError(f"{path.name} has no columns")
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    import duckdb

    if path.stat().st_size == 0:
        raise QualitasError(f"{path.name} is empty")
    last_error: Exception | None = None
    # Files saved by Excel on Windows are often not UTF-8; Latin-1 reads them (the £
    # sign and accented names come out right) without ever failing to decode.
    for encoding in ("utf-8", "latin-1"):
        try:
            with duckdb.connect() as con:
                relation = con.execute(
                    "select * from read_csv(?, sample_size = -1, encoding = ?, header = true)",
                    [str(path), encoding],
                )
                return relation.df()
        except duckdb.Error as exc:
            last_error = exc
            if "encod" not in str(exc).lower() and "unicode" not in str(exc).lower():
                break
    raise QualitasError(f"cannot read {path.name} as CSV: {_first_line(last_error)}")


def _read_parquet(path: Path) -> pd.DataFrame:
    import duckdb

    try:
        with duckdb.connect() as con:
            return con.execute("select * from read_parquet(?)", [str(path)]).df()
    except duckdb.Error as exc:
        raise QualitasError(
            f"cannot read {path.name} as Parquet: {_first_line(exc)}"
        ) from None


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    import zipfile

    try:
        return pd.read_excel(
            path, sheet_name=0 if sheet is None else sheet, engine="openpyxl"
        )
    except (ValueError, KeyError) as exc:
        if sheet is not None and "not found" in str(exc).lower():
            raise QualitasError(f"{path.name} has no worksheet {sheet!r}") from None
        raise QualitasError(
            f"cannot read {path.name} as Excel: {_first_line(exc)}"
        ) from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise QualitasError(
            f"cannot read {path.name} as Excel: the file is not an .xlsx workbook ({_first_line(exc)})"
        ) from None


def _first_line(exc: Exception | None) -> str:
    text = str(exc).strip() if exc is not None else "unknown error"
    return text.splitlines()[0] if text else type(exc).__name__
