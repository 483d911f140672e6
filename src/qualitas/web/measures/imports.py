"""Reading and checking measure data from files and the API, before anything is saved.

A file goes through two stages. ``read_table`` turns the bytes into a table of text
cells, or refuses the whole file (too big, not UTF-8, a spreadsheet with formulas,
wrong columns). ``check`` then looks at every row at once, with array operations, and
lists every problem by row and column (unknown measure, text in a number, a period
given twice...). Only a table with no problems can be applied, and it is applied
whole or not at all (:mod:`qualitas.web.measures.services`).

Row numbers are as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

REQUIRED = ("measure", "organisation", "period")
NUMBERS = ("value", "numerator", "denominator")
OPTIONAL = ("unit", "breakdown", "stratum")
KNOWN = (*REQUIRED, *NUMBERS, *OPTIONAL)
# Other spellings people use for the same columns.
ALIASES = {
    "measure_code": "measure",
    "org": "organisation",
    "org_code": "organisation",
    "ods_code": "organisation",
    "organization": "organisation",
    "month": "period",
    "date": "period",
    "group": "stratum",
}
MAX_ERRORS_KEPT = 200
FORMULA_START = ("=", "+", "@")
PERIOD_PATTERN = r"^\d{4}-\d{1,2}(-\d{1,2})?$"


class FileRefused(Exception):
    """The whole file cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class RowError:
    row: int  # as in a spreadsheet: header is row 1
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Lookup:
    """What the rows may refer to, from the database."""

    measures: dict[
        str, dict[str, Any]
    ]  # code -> {id, aggregation, multiplier, breakdowns}
    organisations: dict[str, int]  # ODS code (upper case) -> id, all organisations
    allowed: set[int]  # organisation ids the rows may be for
    units: dict[tuple[int, str], int]  # (organisation id, unit name lower case) -> id
    scope_name: str = ""


@dataclass
class Checked:
    """The outcome of ``check``: clean rows ready to apply, or the errors."""

    rows: int
    frame: pd.DataFrame  # measure_id, organisation_id, unit_id, period, breakdown, stratum, value, numerator, denominator
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.rows > 0


# --- stage 1: bytes to a table of text ---------------------------------------------


def read_table(data: bytes, filename: str, *, max_bytes: int) -> pd.DataFrame:
    """The file as text cells with our column names, or FileRefused."""
    if len(data) > max_bytes:
        raise FileRefused(too_big_message(len(data), max_bytes))
    if not data.strip():
        raise FileRefused("The file is empty.")
    name = filename.lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        table = _read_xlsx(data)
    elif name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileRefused(
            "Old Excel files (.xls) are not accepted. Save the sheet as an Excel workbook "
            "(.xlsx) or as CSV UTF-8."
        )
    else:
        table = _read_csv(data)
    return name_columns(table)


def too_big_message(size: int, limit: int) -> str:
    return (
        f"The file is {_size(size)}, more than the limit of {_size(limit)}. "
        "Split it into smaller files, for example one per year."
    )


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _read_csv(data: bytes) -> pd.DataFrame:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise FileRefused(
            f"The file is not UTF-8 text: byte 0x{data[e.start]:02X} on line {line} cannot be "
            "read. In Excel, use Save As and choose 'CSV UTF-8 (Comma delimited)'."
        ) from None
    if "\x00" in text:
        raise FileRefused(
            "The file contains binary data; upload a CSV or an .xlsx workbook."
        )
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.ParserError as e:
        match = re.search(r"line (\d+), saw (\d+)", str(e))
        if match:
            raise FileRefused(
                f"Row {match.group(1)} has {match.group(2)} cells but the header has fewer. "
                "Check for an unquoted comma in a text cell."
            ) from None
        raise FileRefused(f"The file could not be read as CSV: {e}") from None
    except pd.errors.EmptyDataError:
        raise FileRefused("The file has no header row.") from None


def _read_xlsx(data: bytes) -> pd.DataFrame:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, KeyError, OSError, ValueError) as e:
        raise FileRefused(
            f"The file could not be read as an Excel workbook ({e})."
        ) from None
    sheet = book.worksheets[0]
    rows: list[list[Any]] = []
    formulas: list[str] = []
    for cells in sheet.iter_rows():
        row = []
        for cell in cells:
            if cell.data_type == "f":
                formulas.append(f"{cell.coordinate} ({str(cell.value)[:40]})")
            row.append(cell.value)
        rows.append(row)
    book.close()
    if formulas:
        shown = ", ".join(formulas[:5]) + (
            f" and {len(formulas) - 5} more" if len(formulas) > 5 else ""
        )
        raise FileRefused(
            f"The sheet contains spreadsheet formulas: {shown}. Formulas are not loaded, "
            "because their results are not stored reliably in the file. Copy the cells "
            "and use Paste Special > Values, then upload again."
        )
    while rows and all(_blank(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise FileRefused("The first sheet of the workbook is empty.")
    header = [("" if v is None else str(v)) for v in rows[0]]
    width = len(header)
    while width and header[width - 1] == "":
        width -= 1
    body = [[_cell_text(v) for v in (r + [None] * width)[:width]] for r in rows[1:]]
    return pd.DataFrame(body, columns=header[:width], dtype=str)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _cell_text(v: Any) -> str:
    """Excel cell values as the text a CSV would hold."""
    import datetime as dt

    if v is None:
        return ""
    if isinstance(v, dt.datetime | dt.date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def name_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Our column names, or FileRefused naming the wrong and missing ones."""
    names = []
    for col in table.columns:
        n = re.sub(r"[\s\-]+", "_", str(col).strip().lower())
        names.append(ALIASES.get(n, n))
    problems = []
    unknown = [
        (orig, n)
        for orig, n in zip(table.columns, names, strict=True)
        if n not in KNOWN
    ]
    for orig, n in unknown:
        if str(orig).startswith("Unnamed:") or not str(orig).strip():
            problems.append("a column has no heading")
            continue
        guess = difflib.get_close_matches(n, KNOWN, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        problems.append(f"unknown column '{orig}'{hint}")
    dupes = sorted({n for n in names if names.count(n) > 1 and n in KNOWN})
    problems += [f"column '{n}' appears more than once" for n in dupes]
    missing = [c for c in REQUIRED if c not in names]
    problems += [f"missing column '{c}'" for c in missing]
    if "value" not in names and not {"numerator", "denominator"} <= set(names):
        problems.append(
            "missing column 'value' (or both 'numerator' and 'denominator')"
        )
    if problems:
        raise FileRefused(
            "The columns are not right: "
            + "; ".join(dict.fromkeys(problems))
            + ". The file needs the columns measure, organisation, period and value "
            "(or numerator and denominator); unit, breakdown and stratum are optional."
        )
    table = table.copy()
    table.columns = names
    for col in KNOWN:
        if col not in table.columns:
            table[col] = ""
    table = table[list(KNOWN)].fillna("").astype(str)
    for col in KNOWN:
        table[col] = table[col].str.strip()
    # Rows with nothing in them (spreadsheets often end with some) are not data.
    blank = (table == "").all(axis=1).to_numpy()
    table.index = np.arange(2, len(table) + 2)  # spreadsheet row numbers
    return table[~blank]


def records_table(records: list[Any]) -> pd.DataFrame:
    """JSON API rows (a list of objects) as the same table of text cells."""
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise FileRefused("'observations' must be a list of objects.")
    if not records:
        raise FileRefused("'observations' is empty.")
    cols = list(dict.fromkeys(k for r in records for k in r))
    table = pd.DataFrame.from_records(records, columns=cols)
    for col in table.columns:
        table[col] = table[col].map(
            lambda v: "" if v is None else (repr(v) if isinstance(v, float) else str(v))
        )
    table = name_columns(table)
    table.index = np.arange(1, len(table) + 1)  # API rows are numbered from 1
    return table


# --- stage 2: every row checked at once --------------------------------------------


class _Errors:
    """Collects errors per check; keeps the first few messages of each kind."""

    def __init__(self, row_numbers: np.ndarray) -> None:
        self.rows = row_numbers
        self.found: list[tuple[np.ndarray, str, list[str]]] = []
        self.bad = np.zeros(len(row_numbers), dtype=bool)

    def add(self, mask: np.ndarray, column: str, message: Any) -> None:
        """``message`` is a string or a function from row positions to messages."""
        where = np.flatnonzero(mask)
        if not len(where):
            return
        self.bad[where] = True
        shown = where[:MAX_ERRORS_KEPT]
        texts = (
            [message] * len(shown) if isinstance(message, str) else list(message(shown))
        )
        self.found.append((where, column, texts))

    @property
    def count(self) -> int:
        return sum(len(w) for w, _, _ in self.found)

    def listed(self) -> list[RowError]:
        out = []
        for where, column, texts in self.found:
            for pos, text in zip(where[:MAX_ERRORS_KEPT], texts, strict=False):
                out.append(RowError(int(self.rows[pos]), column, text))
        out.sort(
            key=lambda e: (e.row, KNOWN.index(e.column) if e.column in KNOWN else 99)
        )
        return out[:MAX_ERRORS_KEPT]


def check(table: pd.DataFrame, lookup: Lookup) -> Checked:
    """Every row checked against the register, with all problems listed."""
    n = len(table)
    rows = table.index.to_numpy()
    err = _Errors(rows)
    if n == 0:
        return Checked(
            rows=0,
            frame=_empty_frame(),
            errors=[RowError(2, "", "The file has a header but no rows of data.")],
            error_count=1,
        )

    # Formulas typed into a CSV (Excel workbooks are refused earlier).
    for col in KNOWN:
        text = table[col]
        looks = text.str.startswith(FORMULA_START).to_numpy()
        if looks.any():  # '+5' is a number, not a formula
            looks[looks] = ~_numeric_text(text[looks])
        err.add(
            looks,
            col,
            lambda pos, t=text, c=col: (
                f"'{t.iloc[p][:30]}' in {c} looks like a spreadsheet formula; give the value itself"
                for p in pos
            ),
        )
    formula_rows = err.bad.copy()

    # Measures.
    codes = table["measure"].str.lower()
    m_known = codes.isin(lookup.measures.keys()).to_numpy()
    err.add(
        ~m_known & (codes != "").to_numpy() & ~formula_rows,
        "measure",
        lambda pos: (
            f"unknown measure '{table['measure'].iloc[p]}'"
            + _suggest(codes.iloc[p], lookup.measures)
            for p in pos
        ),
    )
    err.add((codes == "").to_numpy(), "measure", "measure is empty")
    measure_id = codes.map({k: v["id"] for k, v in lookup.measures.items()})
    aggregation = codes.map({k: v["aggregation"] for k, v in lookup.measures.items()})
    multiplier = codes.map(
        {k: v["multiplier"] for k, v in lookup.measures.items()}
    ).astype(float)

    # Organisations: known, and ones these data may be for.
    ods = table["organisation"].str.upper()
    org_id = ods.map(lookup.organisations)
    exists = org_id.notna().to_numpy()
    err.add((ods == "").to_numpy(), "organisation", "organisation is empty")
    err.add(
        ~exists & (ods != "").to_numpy() & ~formula_rows,
        "organisation",
        lambda pos: (
            f"unknown organisation '{table['organisation'].iloc[p]}' (give its ODS code)"
            for p in pos
        ),
    )
    allowed = org_id.isin(list(lookup.allowed)).to_numpy()
    err.add(
        exists & ~allowed,
        "organisation",
        lambda pos: (
            f"organisation {ods.iloc[p]} is not part of {lookup.scope_name or 'the organisation you are loading for'}"
            for p in pos
        ),
    )

    # Units, looked up within their organisation.
    unit_text = table["unit"]
    has_unit = (unit_text != "").to_numpy()
    unit_keys = list(
        zip(org_id.fillna(-1).astype(int), unit_text.str.lower(), strict=True)
    )
    unit_id = pd.Series(
        [lookup.units.get(k) for k in unit_keys] if has_unit.any() else [None] * n,
        index=table.index,
        dtype="float",
    )
    err.add(
        has_unit & unit_id.isna().to_numpy() & exists,
        "unit",
        lambda pos: (
            f"{ods.iloc[p]} has no unit called '{unit_text.iloc[p]}'" for p in pos
        ),
    )

    # Periods: 2024-03 or 2024-03-01 (any day: the month is what counts).
    ptext = table["period"]
    shape = ptext.str.fullmatch(PERIOD_PATTERN).to_numpy()
    parts = ptext.where(shape, "1900-01").str.split("-", expand=True)
    if parts.shape[1] < 3:
        parts[2] = None
    year = pd.to_numeric(parts[0], errors="coerce").to_numpy()
    month = pd.to_numeric(parts[1], errors="coerce").to_numpy()
    day = pd.to_numeric(parts[2], errors="coerce").fillna(1).to_numpy()
    period = pd.to_datetime(
        pd.DataFrame({"year": year, "month": np.clip(month, 1, 12), "day": 1}),
        errors="coerce",
    )
    valid_day = (
        pd.to_datetime(
            pd.DataFrame(
                {
                    "year": year,
                    "month": np.clip(month, 1, 12),
                    "day": np.clip(day, 1, 31),
                }
            ),
            errors="coerce",
        )
        .notna()
        .to_numpy()
    )
    good_period = (
        shape
        & (month >= 1)
        & (month <= 12)
        & (year >= 1900)
        & (year <= 2200)
        & valid_day
    )
    err.add((ptext == "").to_numpy(), "period", "period is empty")
    err.add(
        ~good_period & (ptext != "").to_numpy() & ~formula_rows,
        "period",
        lambda pos: (
            f"'{ptext.iloc[p]}' is not a period; write a month as 2024-03 or a date as 2024-03-01"
            for p in pos
        ),
    )

    # Numbers: text in a number column is an error, blanks are missing.
    nums = {}
    for col in NUMBERS:
        text = table[col]
        cleaned = text.str.replace(",", "", regex=False)
        values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)
        given = (text != "").to_numpy()
        bad = given & (np.isnan(values) | np.isinf(values))
        err.add(
            bad & ~formula_rows,
            col,
            lambda pos, t=text, c=col: (
                f"'{t.iloc[p][:30]}' in {c} is not a number" for p in pos
            ),
        )
        values[bad] = np.nan
        nums[col] = values
    value, num, den = nums["value"], nums["numerator"], nums["denominator"]
    has_value, has_num, has_den = ~np.isnan(value), ~np.isnan(num), ~np.isnan(den)
    is_ratio = (aggregation == "ratio").to_numpy()
    clean_numbers = np.ones(n, dtype=bool)
    for col in NUMBERS:
        clean_numbers &= ~((table[col] != "").to_numpy() & np.isnan(nums[col]))
    err.add(
        clean_numbers & has_num & ~has_den,
        "denominator",
        "denominator is missing (a numerator needs one)",
    )
    err.add(
        clean_numbers & has_den & ~has_num,
        "numerator",
        "numerator is missing (a denominator needs one)",
    )
    err.add(
        clean_numbers & has_den & (den <= 0),
        "denominator",
        "denominator must be more than 0",
    )
    err.add(
        clean_numbers & has_num & (num < 0), "numerator", "numerator cannot be negative"
    )
    err.add(
        clean_numbers & m_known & is_ratio & ~(has_num & has_den),
        "numerator",
        lambda pos: (
            f"measure {codes.iloc[p]} is a rate: give its numerator and denominator"
            for p in pos
        ),
    )
    err.add(clean_numbers & m_known & ~is_ratio & ~has_value, "value", "value is empty")
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = num / den * multiplier.to_numpy()
    both = clean_numbers & has_value & has_num & has_den & (den > 0) & is_ratio
    mismatch = both & ~np.isclose(value, computed, rtol=1e-6, atol=1e-9)
    err.add(
        mismatch,
        "value",
        lambda pos: (
            f"value {value[p]:g} does not match numerator ÷ denominator × {multiplier.iloc[p]:g} = {computed[p]:.6g}"
            for p in pos
        ),
    )
    final_value = np.where(is_ratio & has_num & has_den, computed, value)

    # Breakdowns: both or neither, and one the measure declares.
    bd, st = table["breakdown"], table["stratum"]
    has_bd, has_st = (bd != "").to_numpy(), (st != "").to_numpy()
    err.add(has_bd & ~has_st, "stratum", "a breakdown needs a stratum (the group)")
    err.add(
        ~has_bd & has_st, "breakdown", "a stratum needs a breakdown (e.g. ethnicity)"
    )
    declared = {
        k: {b.lower(): b for b in v["breakdowns"]} for k, v in lookup.measures.items()
    }
    canonical = pd.Series(
        [
            declared.get(c, {}).get(b.lower()) if b else ""
            for c, b in zip(codes, bd, strict=True)
        ],
        index=table.index,
        dtype=object,
    )
    err.add(
        has_bd & m_known & canonical.isna().to_numpy(),
        "breakdown",
        lambda pos: (
            f"measure {codes.iloc[p]} has no breakdown '{bd.iloc[p]}'"
            + (
                f" (it has: {', '.join(lookup.measures[codes.iloc[p]]['breakdowns'])})"
                if lookup.measures[codes.iloc[p]]["breakdowns"]
                else " (it has none)"
            )
            for p in pos
        ),
    )

    frame = pd.DataFrame(
        {
            "measure_id": measure_id.to_numpy(dtype=float),
            "organisation_id": org_id.to_numpy(dtype=float),
            "unit_id": unit_id.to_numpy(dtype=float),
            "period": period.to_numpy(),
            "breakdown": canonical.fillna("").to_numpy(dtype=object),
            "stratum": st.to_numpy(dtype=object),
            "value": final_value,
            "numerator": np.where(has_num & has_den, num, np.nan),
            "denominator": np.where(has_num & has_den, den, np.nan),
        },
        index=table.index,
    )

    # The same series and period twice in one file.
    key_ok = m_known & exists & good_period
    keys = frame.loc[
        key_ok,
        ["measure_id", "organisation_id", "unit_id", "period", "breakdown", "stratum"],
    ]
    dup = keys.duplicated(keep=False)
    if dup.any():
        first = keys[dup].groupby(list(keys.columns), dropna=False, sort=False).ngroup()
        first_row = (
            pd.Series(keys[dup].index, index=keys[dup].index)
            .groupby(first.to_numpy())
            .transform("min")
        )
        mask = np.zeros(n, dtype=bool)
        later = first_row.index[first_row.index != first_row.to_numpy()]
        mask[np.searchsorted(rows, later)] = True
        first_of = dict(zip(first_row.index, first_row.to_numpy(), strict=True))
        err.add(
            mask,
            "period",
            lambda pos: (
                f"{ptext.iloc[p]} for {table['measure'].iloc[p]} at {ods.iloc[p]}"
                f"{' (' + unit_text.iloc[p] + ')' if unit_text.iloc[p] else ''}"
                f"{' / ' + st.iloc[p] if st.iloc[p] else ''} is already in row {first_of[rows[p]]}"
                for p in pos
            ),
        )

    if err.count:
        return Checked(
            rows=n, frame=_empty_frame(), errors=err.listed(), error_count=err.count
        )
    frame["measure_id"] = frame["measure_id"].astype(np.int64)
    frame["organisation_id"] = frame["organisation_id"].astype(np.int64)
    return Checked(rows=n, frame=frame.reset_index(drop=True))


def _numeric_text(text: pd.Series) -> np.ndarray:
    """Cells such as '+5' are numbers, not formulas."""
    return pd.to_numeric(text, errors="coerce").notna().to_numpy()


def _suggest(code: str, known: dict[str, Any]) -> str:
    guess = difflib.get_close_matches(code, list(known), n=1)
    return f" (did you mean '{guess[0]}'?)" if guess else ""


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "measure_id": pd.Series(dtype=np.int64),
            "organisation_id": pd.Series(dtype=np.int64),
            "unit_id": pd.Series(dtype=float),
            "period": pd.Series(dtype="datetime64[ns]"),
            "breakdown": pd.Series(dtype=object),
            "stratum": pd.Series(dtype=object),
            "value": pd.Series(dtype=float),
            "numerator": pd.Series(dtype=float),
            "denominator": pd.Series(dtype=float),
        }
    )


def to_bytes(frame: pd.DataFrame) -> bytes:
    """Checked rows as Parquet, to wait between preview and apply."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def from_bytes(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(bytes(data)))
