"""Write result tables as CSV that is safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` is run as a formula by
Excel and LibreOffice, so a series name typed by someone else could run a command on the
reader's machine (CSV injection). Such text cells get a leading apostrophe, which the
spreadsheet shows as plain text. Numbers, including negative numbers, are left alone.

>>> import pandas as pd
>>> safe = neutralise_formulas(pd.DataFrame({"ward": ["=HYPERLINK(1)", "-2.5"], "change": [-1.5, 2.0]}))
>>> safe["ward"].tolist(), safe["change"].tolist()
(["'=HYPERLINK(1)", '-2.5'], [-1.5, 2.0])

One cell at a time (the web's downloads), by the same rule:

>>> safe_cell("=HYPERLINK(1)"), safe_cell("-2.5"), safe_cell("-2+3"), safe_cell(-1.5)
("'=HYPERLINK(1)", '-2.5', "'-2+3", -1.5)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

# Characters that start a formula, and the control characters some spreadsheets strip
# before looking (so a tab followed by = is still a formula).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = r"^[+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][+-]?\d+)?%?$"
_IS_NUMBER = re.compile(_NUMBER)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` in which text cells (and column names) that a spreadsheet
    would run as formulas start with an apostrophe. Text that is just a number, such
    as ``-3.5``, is kept as it is."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_numeric_dtype(
            column.dtype
        ) or pd.api.types.is_datetime64_any_dtype(column.dtype):
            continue
        if pd.api.types.is_bool_dtype(column.dtype):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = pd.Series(column.cat.categories)
            if categories.map(lambda v: isinstance(v, str)).all():
                out[name] = column.cat.rename_categories(
                    _neutralise_text(categories.astype(str)).tolist()
                )
            continue
        is_text = column.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if is_text.any():
            text = column[is_text].astype(str)
            fixed = _neutralise_text(text)
            out[name] = column.astype(object)
            out.loc[is_text, name] = fixed.to_numpy()
    out.columns = [_neutralise_one(str(c)) for c in out.columns]
    return out


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet should receive it: text that would run as a formula
    gets a leading apostrophe; numbers, and text that is just a number, are kept."""
    if (
        isinstance(value, str)
        and value.startswith(TRIGGERS)
        and not _IS_NUMBER.match(value.strip())
    ):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` as UTF-8 CSV (with a byte-order mark, so Excel reads
    accents and £ correctly), dates as ISO dates, missing values as empty cells and
    formulas neutralised. Arrow's CSV writer does the writing: it is several times
    faster than pandas on national outputs of millions of rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    out = neutralise_formulas(frame)
    columns = {}
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            stamps = pd.to_datetime(column)
            present = stamps.dropna()
            if (present == present.dt.normalize()).all():
                columns[name] = pa.array(
                    stamps.dt.date, type=pa.date32(), from_pandas=True
                )
            else:
                columns[name] = pa.array(
                    stamps.dt.strftime("%Y-%m-%dT%H:%M:%S"),
                    type=pa.string(),
                    from_pandas=True,
                )
        elif isinstance(column.dtype, pd.CategoricalDtype):
            columns[name] = (
                pa.DictionaryArray.from_pandas(column).cast(
                    pa.dictionary(pa.int32(), pa.string())
                )
                if _text_categories(column)
                else pa.array(column.astype(object), from_pandas=True)
            )
        elif column.dtype == object:
            columns[name] = pa.array(
                column.map(
                    lambda v: (
                        v if v is None or isinstance(v, str) or pd.isna(v) else str(v)
                    )
                ),
                type=pa.string(),
                from_pandas=True,
            )
        else:
            columns[name] = pa.array(column.to_numpy(), from_pandas=True)
    table = pa.table(columns)
    with path.open("wb") as f:
        f.write("\ufeff".encode())
        pacsv.write_csv(
            table, f, write_options=pacsv.WriteOptions(quoting_style="needed")
        )
    return path


def _text_categories(column: pd.Series) -> bool:
    return bool(
        pd.Series(column.cat.categories).map(lambda v: isinstance(v, str)).all()
    )


def _neutralise_text(text: pd.Series) -> pd.Series:
    risky = text.str.startswith(TRIGGERS) & ~text.str.strip().str.match(_NUMBER)
    return text.where(~risky, "'" + text)


def _neutralise_one(value: str) -> str:
    return str(safe_cell(value))
