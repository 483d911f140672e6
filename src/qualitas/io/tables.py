"""Read a table of measure data from CSV, Parquet or Excel into pandas.

CSV and Parquet go through DuckDB by :mod:`qualitas.io.files`, as `qualitas batch`
reads them: fast on national extracts, with dates and numbers detected from the whole
file and Excel's Latin-1 CSVs read right. Excel goes through pandas and openpyxl.
Problems come back as :class:`QualitasError` with a message a user can act on.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "falls.csv").write_text("month,ward,falls\\n2024-04-01,A,3\\n2024-05-01,A,5\\n")
>>> read_table(folder / "falls.csv").dtypes["falls"]
dtype('int64')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from qualitas.errors import QualitasError
from qualitas.io.files import FORMATS, format_of, read_files_pandas

EXCEL = (".xlsx", ".xlsm")
SUFFIXES: tuple[str, ...] = (*FORMATS, *EXCEL)


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
    file_format = format_of(path)
    if file_format is not None:
        frame = read_files_pandas([path], file_format, label=path.name)
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


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    import zipfile

    try:
        frame = pd.read_excel(
            path, sheet_name=0 if sheet is None else sheet, engine="openpyxl"
        )
        _refuse_formulas_without_results(path, 0 if sheet is None else sheet)
        return frame
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


def _refuse_formulas_without_results(path: Path, sheet: str | int) -> None:
    """A formula cell is read as the result Excel saved with it. A workbook written
    by a program rather than saved by Excel (or saved with calculation off) has
    formulas with no saved result, which would be read as missing values without a
    word: refuse them, naming the cells, as the web upload does."""
    import openpyxl

    def cells(data_only: bool) -> Any:
        book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
        try:
            worksheet = (
                book[sheet] if isinstance(sheet, str) else book.worksheets[sheet]
            )
            for row in worksheet.iter_rows():
                yield from row
        finally:
            book.close()

    formulas = {
        c.coordinate
        for c in cells(data_only=False)
        if getattr(c, "data_type", "") == "f"
    }
    if not formulas:
        return
    empty = [
        c.coordinate
        for c in cells(data_only=True)
        if getattr(c, "coordinate", None) in formulas and c.value is None
    ]
    if empty:
        shown = ", ".join(empty[:5]) + (
            f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        )
        raise QualitasError(
            f"{path.name} has formulas with no saved result in cell"
            f"{'s' if len(empty) > 1 else ''} {shown}: open the workbook in Excel "
            "and save it (which stores the results), or copy the cells and paste "
            "them as values"
        )


def _first_line(exc: Exception | None) -> str:
    text = str(exc).strip() if exc is not None else "unknown error"
    return text.splitlines()[0] if text else type(exc).__name__
