"""Reading and checking measure data from files and the API, before anything is saved.

A file goes through two stages. ``read_table`` turns the bytes into a table of text
cells, or refuses the whole file (too big, too many rows or columns, not UTF-8, a
damaged workbook, a spreadsheet with formulas, wrong columns); the limits are checked
before the work they bound. ``check`` then looks at every row at once, with array
operations, and lists every problem of every row by column (unknown measure, text in a
number, a negative count, a future month, a period given twice...), using the rules of
:mod:`qualitas.io.validation` that the entry form and the command line share. Only a
table with no problems can be applied, and it is applied whole or not at all
(:mod:`qualitas.web.measures.services`).

Row numbers are as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qualitas.io import validation

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
MAX_ERRORS_KEPT = validation.MAX_KEPT
MAX_COLUMNS = 50  # the data need at most 9; more is a mistake or an attack
FORMULA_START = ("=", "+", "@")


class FileRefused(Exception):
    """The whole file cannot be used; the message says why and what to do."""


# One problem in a row: the row as in a spreadsheet (header is row 1), or the API
# record's number.
RowError = validation.Problem


@dataclass
class Lookup:
    """What the rows may refer to, from the database."""

    measures: dict[str, dict[str, Any]]  # code -> {id, rules, breakdowns}
    organisations: dict[str, int]  # ODS code (upper case) -> id, all organisations
    allowed: set[int]  # organisation ids the rows may be for
    units: dict[tuple[int, str], int]  # (organisation id, unit name lower case) -> id
    scope_name: str = ""
    # For wide files: measure names (lower case) -> code, and the organisation rows
    # without one are for (its ODS code).
    names: dict[str, str] = field(default_factory=dict)
    organisation: str = ""


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


@dataclass(frozen=True)
class Limits:
    """How much of a file is read before it is refused. Each is checked before the
    work it bounds is done, so a small file that declares a huge sheet, or a CSV of a
    million columns, is refused in a moment and never held in memory."""

    max_bytes: int
    max_rows: int = 100_000
    max_columns: int = MAX_COLUMNS
    seconds: float = 30.0
    # An .xlsx is a zip: its sheets may unpack to far more than the file's size.
    unpacked_per_byte: int = 20
    # Memory checking a file may take, estimated from its rows and columns before it
    # is parsed (about 100 bytes a cell, measured: 87 MB for 100,000 rows of 9).
    max_memory: int = 512 * 1024 * 1024

    def check_memory(self, rows: int, columns: int) -> None:
        need = rows * columns * BYTES_PER_CELL
        if need > self.max_memory:
            raise FileRefused(
                f"Checking this file would need about {_size(need)} of memory "
                f"({rows:,} rows of {columns:,} columns), more than the "
                f"{_size(self.max_memory)} one import may use. Delete the columns "
                "qualitas does not read, or split the file into smaller ones."
            )


BYTES_PER_CELL = 100


@dataclass
class Read:
    """A file (or API body) as text cells, with how it was read."""

    table: pd.DataFrame  # our column names; index = row numbers as the user sees them
    style: validation.NumberStyle = field(default_factory=validation.NumberStyle)
    note: str = ""  # how it was read, in words, for the preview
    # Rows with more cells than the header: row number -> number of cells.
    extra_cells: dict[int, int] = field(default_factory=dict)
    separator: str = ""  # a CSV's
    header_width: int = 0
    # A wide file (one column per measure): its measure headings, in file order,
    # and whether it had an organisation column (if not, the rows are for the
    # organisation loading them).
    wide: list[str] = field(default_factory=list)
    organisation_given: bool = True


class _Clock:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise FileRefused(
                f"Reading the file took more than {self.seconds:g} seconds, so it "
                "was stopped. Split it into smaller files, for example one per year."
            )


def read_table(data: bytes, filename: str, *, limits: Limits) -> Read:
    """The file as text cells with our column names, or FileRefused."""
    if len(data) > limits.max_bytes:
        raise FileRefused(too_big_message(len(data), limits.max_bytes))
    if not data.strip():
        raise FileRefused("The file is empty.")
    clock = _Clock(limits.seconds)
    name = filename.lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        read = _read_xlsx(data, limits, clock)
    elif name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileRefused(
            "Old Excel files (.xls) are not accepted. Save the sheet as an Excel workbook "
            "(.xlsx) or as CSV UTF-8."
        )
    else:
        read = _read_csv(data, limits, clock)
    if is_wide(read.table):
        read.table, read.wide, read.organisation_given = melt_wide(read.table)
    else:
        read.table = name_columns(read.table)
    clock.check()
    if read.separator:
        # Whether "4,5" is four and a half is decided by the file's own numbers.
        read.style = validation.number_style(
            pd.concat([read.table[c] for c in NUMBERS]), read.separator
        )
        read.note = validation.describe_reading(read.separator, read.style)
    # How the periods were read (UK day first, month names), for the preview.
    periods = validation.describe_periods(read.table["period"])
    if periods:
        read.note = f"{read.note} {periods}".strip()
    return read


def too_big_message(size: int, limit: int) -> str:
    return (
        f"The file is {_size(size)}, more than the limit of {_size(limit)}. "
        "Split it into smaller files, for example one per year."
    )


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _too_wide(columns: int, limits: Limits) -> FileRefused:
    return FileRefused(
        f"The file has {columns:,} columns; at most {limits.max_columns} are read "
        "(the data need 4 to 9: measure, organisation, period, value or numerator "
        "and denominator, and optionally unit, breakdown and stratum). Delete the "
        "other columns and upload it again."
    )


def _too_long(limits: Limits) -> FileRefused:
    return FileRefused(
        f"The file has more than {limits.max_rows:,} rows of data. Split it into "
        "smaller files, for example one per year."
    )


def _read_csv(data: bytes, limits: Limits, clock: _Clock) -> Read:
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
    # The limits are checked on the raw text, in linear time, before any parsing.
    end = text.find("\n")
    header_line = text if end < 0 else text[:end]
    sep = _separator(header_line)
    if header_line.count(sep) + 1 > limits.max_columns:
        raise _too_wide(header_line.count(sep) + 1, limits)
    lines = text.count("\n")
    if lines > limits.max_rows + 1:
        raise _too_long(limits)
    limits.check_memory(lines + 1, header_line.count(sep) + 1)
    csv.field_size_limit(limits.max_bytes)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error as e:
        raise FileRefused(f"The file could not be read as CSV: {e}") from None
    clock.check()
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise FileRefused("The file has no header row.")
    first = _header_row(rows)
    rows = rows[first:]
    header = rows[0]
    width = len(header)
    if width > limits.max_columns:
        raise _too_wide(width, limits)
    if len(rows) - 1 > limits.max_rows:
        raise _too_long(limits)
    # A row longer than the header is reported as such, rather than shifting its cells
    # into the wrong columns; its first cells are still checked under their headings.
    extra = {
        number: len(cells)
        for number, cells in enumerate(rows[1:], start=2)
        if len(cells) > width and any(c.strip() for c in cells[width:])
    }
    body = [
        cells if len(cells) == width else (cells + [""] * width)[:width]
        for cells in rows[1:]
    ]
    if first:
        extra = {number + first: cells for number, cells in extra.items()}
    table = pd.DataFrame(body, columns=header, dtype=str)
    table.index = np.arange(first + 2, first + len(table) + 2)
    return Read(table, extra_cells=extra, separator=sep, header_width=width)


def _separator(header: str) -> str:
    """The separator the header uses: headings never hold commas or semicolons, so
    the header shows the file's separator even where its numbers have commas."""
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_xlsx(data: bytes, limits: Limits, clock: _Clock) -> Read:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileRefused(_CORRUPT) from None
    if unpacked > limits.max_bytes * limits.unpacked_per_byte:
        raise FileRefused(
            f"The workbook unpacks to {_size(unpacked)}, more than this service reads "
            f"({_size(limits.max_bytes * limits.unpacked_per_byte)}). Save the data "
            "as CSV UTF-8, or split the workbook."
        )
    try:
        return _read_sheet(data, limits, clock)
    except FileRefused:
        raise
    except Exception:
        # openpyxl and the XML parsers under it raise many kinds of error for a
        # damaged file (zip, XML, key and type errors); each means the same to the
        # person uploading it.
        raise FileRefused(_CORRUPT) from None


_CORRUPT = (
    "The file could not be read as an Excel workbook: it may be damaged, or not "
    "really an .xlsx file. Open it in Excel and save it again as an Excel workbook "
    "(.xlsx), or save it as CSV UTF-8."
)


def _read_sheet(data: bytes, limits: Limits, clock: _Clock) -> Read:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        sheet = book.worksheets[0]
        # The size the sheet declares, checked before a cell is read: read-only
        # openpyxl pads every row out to the declared width.
        declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
        if declared_columns > limits.max_columns or declared_rows > limits.max_rows + 1:
            raise FileRefused(
                f"The sheet says it has {declared_rows:,} rows and "
                f"{declared_columns:,} columns; at most {limits.max_rows:,} rows of "
                f"data and {limits.max_columns} columns are read. Copy the data to a "
                "new sheet (so that the empty cells are left behind), or split it "
                "into smaller files."
            )
        limits.check_memory(declared_rows, declared_columns)
        # The declared size may be missing or wrong, so the real one is counted too;
        # cells past the column limit are not even made (openpyxl pads each row to
        # max_col), and one with a value just past it refuses the file.
        sheet.reset_dimensions()
        rows: list[list[Any]] = []
        formulas: list[str] = []
        for number, cells in enumerate(
            sheet.iter_rows(max_col=limits.max_columns + 1), start=1
        ):
            if number > limits.max_rows + 1:
                raise _too_long(limits)
            if number % 100 == 0:
                clock.check()
            row = []
            for cell in cells:
                if cell.value is None:
                    row.append(None)
                    continue
                if cell.column > limits.max_columns:
                    raise _too_wide(cell.column, limits)
                if cell.data_type == "f":
                    formulas.append(f"{cell.coordinate} ({str(cell.value)[:40]})")
                row.append(cell.value)
            rows.append(row)
    finally:
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
    first = _header_row(
        [[("" if v is None else str(v)) for v in r] for r in rows[:HEADER_SEARCH]]
    )
    rows = rows[first:]
    header = [("" if v is None else str(v)) for v in rows[0]]
    width = len(header)
    while width and header[width - 1] == "":
        width -= 1
    extra = {
        number: max(i for i, v in enumerate(r) if not _blank(v)) + 1
        for number, r in enumerate(rows[1:], start=2)
        if any(not _blank(v) for v in r[width:])
    }
    if first:
        extra = {number + first: cells for number, cells in extra.items()}
    body = [[_cell_text(v) for v in (r + [None] * width)[:width]] for r in rows[1:]]
    table = pd.DataFrame(body, columns=header[:width], dtype=str)
    table.index = np.arange(first + 2, first + len(table) + 2)
    return Read(
        table,
        style=validation.NumberStyle(source="xlsx"),
        note="Read from the first sheet of the workbook.",
        extra_cells=extra,
        header_width=width,
    )


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


HEADER_SEARCH = 10  # rows looked through for the header under a sheet's title


def _header_row(rows: list[list[str]]) -> int:
    """Which row is the header: the first, or (in a sheet with a title and notes
    above the data, as the Making Data Count tool's data sheet has) the first of the
    top few rows with a period heading (period, month, date) in it."""
    for i, cells in enumerate(rows[:HEADER_SEARCH]):
        if any(_our_name(c) == "period" for c in cells):
            return i
    return 0


def _our_name(heading: Any) -> str:
    n = re.sub(r"[\s\-]+", "_", str(heading).strip().lower())
    return ALIASES.get(n, n)


def is_wide(table: pd.DataFrame) -> bool:
    """Whether a table is laid out with one column per measure (dates down the
    side, as warehouses and the Making Data Count tool lay data out): a period
    column, no measure column and no value, numerator or denominator column."""
    names = {_our_name(c) for c in table.columns}
    return "period" in names and "measure" not in names and not names & set(NUMBERS)


def melt_wide(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str], bool]:
    """A wide table as long rows (one per filled cell), each keeping its row number
    as the file shows it; the measure cell holds the column's heading until
    :func:`check` maps it to a measure. Blank cells are months with no figure.

    Returns the long table, the measure headings and whether an organisation
    column was given."""
    kept = {c: _our_name(c) for c in table.columns}
    fixed = {c: n for c, n in kept.items() if n in ("period", "organisation", "unit")}
    headings = [
        str(c) for c in table.columns if c not in fixed and str(c).strip() != ""
    ]
    seen = Counter(h.strip().lower() for h in headings)
    dupes = sorted(h for h, times in seen.items() if times > 1)
    if dupes:
        raise FileRefused(
            "The columns are not right: "
            + "; ".join(f"column '{h}' appears more than once" for h in dupes)
            + ". In a file with one column per measure, each measure has one column."
        )
    if not headings:
        raise FileRefused(
            "The file has a period column but no measure columns: give one column "
            "per measure (headed with its code or name), or the columns measure, "
            "organisation, period and value."
        )
    base = table[list(fixed)].rename(columns=fixed).fillna("").astype(str)
    parts = []
    for h in headings:
        cells = table[h].fillna("").astype(str).str.strip()
        filled = (cells != "").to_numpy()
        part = base[filled].copy()
        part["measure"] = h.strip()
        part["value"] = cells[filled]
        parts.append(part)
    long = pd.concat(parts) if parts else base.iloc[:0]
    for col in KNOWN:
        if col not in long.columns:
            long[col] = ""
    long = long[list(KNOWN)].fillna("").astype(str)
    for col in KNOWN:
        long[col] = long[col].str.strip()
    # In the file's row order, then column order: problems are listed as read.
    order = np.argsort(long.index.to_numpy(), kind="stable")
    return (
        long.iloc[order],
        [h.strip() for h in headings],
        "organisation" in (fixed.values()),
    )


def name_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Our column names, or FileRefused naming the wrong and missing ones."""
    # Spreadsheets saved with a separator at the end of every line have an empty last
    # heading over empty cells: not a column.
    empty = {
        i
        for i, col in enumerate(table.columns)
        if not str(col).strip() and not table.iloc[:, i].fillna("").str.strip().any()
    }
    if empty:
        table = table.iloc[:, [i for i in range(table.shape[1]) if i not in empty]]
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
    # Counted in one pass: a file may have many columns.
    seen = Counter(names)
    dupes = sorted(n for n, times in seen.items() if times > 1 and n in KNOWN)
    problems += [f"column '{n}' appears more than once" for n in dupes]
    missing = [c for c in REQUIRED if c not in seen]
    problems += [f"missing column '{c}'" for c in missing]
    if "value" not in seen and not {"numerator", "denominator"} <= set(seen):
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
    return table[~blank]  # keeps the row numbers the reader gave


def records_table(records: list[Any], *, max_rows: int, organisation: str = "") -> Read:
    """JSON API rows (a list of objects) as the same table of text cells.

    Numbers should be JSON numbers; text that holds a number is read as the number
    it spells with a decimal point ("42", "4.5"), and text with a comma is refused
    rather than guessed at. Rows may mix kinds (a count's value beside a rate's
    numerator and denominator), and a row without an organisation is for
    ``organisation``, the one the request names once.
    """
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise FileRefused("'observations' must be a list of objects.")
    if not records:
        raise FileRefused("'observations' is empty.")
    if len(records) > max_rows:
        raise FileRefused(
            f"'observations' has {len(records):,} rows; send at most {max_rows:,} "
            "in one request."
        )
    width = len({k for r in records for k in r})
    if width > MAX_COLUMNS:
        raise FileRefused(
            f"The observations have {width:,} different fields; at most "
            f"{MAX_COLUMNS} are read."
        )
    cols = list(dict.fromkeys(k for r in records for k in r))
    table = pd.DataFrame.from_records(records, columns=cols)
    for col in table.columns:
        table[col] = table[col].map(_json_text)
    if organisation:
        named = [
            c
            for c in table.columns
            if ALIASES.get(str(c).strip().lower(), str(c).strip().lower())
            == "organisation"
        ]
        if not named:
            table["organisation"] = organisation
        elif len(named) == 1:
            table[named[0]] = table[named[0]].where(
                table[named[0]].str.strip() != "", organisation
            )
    table = name_columns(table)
    table.index = np.arange(1, len(table) + 1)  # API rows are numbered from 1
    return Read(table, style=validation.NumberStyle(source="api"))


def _json_text(v: Any) -> str:
    # A field one row leaves out (a count row has no numerator when a rate row in
    # the same request has one) comes out of the table as NaN: blank, not text.
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, bool):  # true is not the number 1
        return str(v).lower()
    if isinstance(v, float):
        return repr(v)
    return str(v)


# --- stage 2: every row checked at once --------------------------------------------


def check(read: Read, lookup: Lookup, *, today: dt.date) -> Checked:
    """Every row checked against the register and the measures' rules, with all
    problems of every row listed."""
    table = read.table
    if len(table) == 0:
        return Checked(
            rows=0,
            frame=_empty_frame(),
            errors=[RowError(2, "", "The file has a header but no rows of data.")],
            error_count=1,
        )
    # A row with more cells than headings is reported as that alone: its cells may
    # be under the wrong headings, so anything else said about it would mislead.
    longer = table.index.isin(list(read.extra_cells))
    extra = validation.Problems(table.index.to_numpy()[longer], KNOWN)
    extra.add(
        np.ones(int(longer.sum()), dtype=bool),
        "",
        lambda pos: (
            f"row {row} has {read.extra_cells[row]} cells but the header has "
            f"{read.header_width or 'fewer'}: check for a comma in a text cell or a "
            "number, or a cell typed past the last column"
            for row in extra.rows[pos]
        ),
    )
    if read.wide:
        checked = _check_wide(read, table[~longer], lookup, today)
    else:
        checked = _check_rows(table[~longer], lookup, read.style, today)
    if not extra.count:
        return checked
    errors = sorted(
        [*checked.errors, *extra.listed()],
        key=lambda e: (e.row, KNOWN.index(e.column) if e.column in KNOWN else -1),
    )
    return Checked(
        rows=len(table),
        frame=_empty_frame(),
        errors=errors[:MAX_ERRORS_KEPT],
        error_count=checked.error_count + extra.count,
    )


def measure_for_heading(heading: str, lookup: Lookup) -> str | None:
    """The code of the measure a wide file's column heading names: its code or its
    name, in any case and spacing."""
    key = " ".join(heading.lower().split())
    if key in lookup.measures:
        return key
    return lookup.names.get(key)


def _check_wide(
    read: Read, table: pd.DataFrame, lookup: Lookup, today: dt.date
) -> Checked:
    """A wide file's rows: each heading mapped to one measure (said in the
    preview), then every column's cells checked by the same rules as a long file's,
    with problems named by the file's own column heading."""
    mapping = {h: measure_for_heading(h, lookup) for h in read.wide}
    problems = []
    for h, code in mapping.items():
        if code is None:
            guess = difflib.get_close_matches(
                " ".join(h.lower().split()),
                [*lookup.measures, *lookup.names],
                n=1,
            )
            hint = ""
            if guess:
                hint = f" (did you mean '{lookup.names.get(guess[0], guess[0])}'?)"
            problems.append(
                RowError(
                    1,
                    h,
                    f"column '{h}' is not one of your measures{hint}: head each "
                    "column with a measure's code or name",
                )
            )
    twice = Counter(c for c in mapping.values() if c)
    for h, code in mapping.items():
        if code and twice[code] > 1:
            others = [o for o, c in mapping.items() if c == code and o != h]
            problems.append(
                RowError(
                    1,
                    h,
                    f"column '{h}' and column '{others[0]}' are both measure {code}",
                )
            )
    if problems:
        return Checked(
            rows=len(table),
            frame=_empty_frame(),
            errors=problems[:MAX_ERRORS_KEPT],
            error_count=len(problems),
        )
    read.note = " ".join(
        [
            read.note,
            "Read as one column per measure: "
            + "; ".join(f"'{h}' is {c}" for h, c in mapping.items())
            + ".",
        ]
    ).strip()
    table = table.copy()
    if not read.organisation_given:
        table["organisation"] = lookup.organisation
    frames, errors, count = [], [], 0
    headings = table["measure"]
    for h, code in mapping.items():
        part = table[(headings == h).to_numpy()].copy()
        part["measure"] = code
        checked = _check_rows(part, lookup, read.style, today)
        frames.append(checked.frame)
        count += checked.error_count
        errors += [
            RowError(
                e.row, h if e.column in ("value", "measure") else e.column, e.message
            )
            for e in checked.errors
        ]
    if count:
        errors.sort(
            key=lambda e: (
                e.row,
                read.wide.index(e.column) if e.column in read.wide else -1,
            )
        )
        return Checked(
            rows=len(table),
            frame=_empty_frame(),
            errors=errors[:MAX_ERRORS_KEPT],
            error_count=count,
        )
    return Checked(rows=len(table), frame=pd.concat(frames, ignore_index=True))


def _check_rows(
    table: pd.DataFrame,
    lookup: Lookup,
    style: validation.NumberStyle,
    today: dt.date,
) -> Checked:
    n = len(table)
    rows = table.index.to_numpy()
    err = validation.Problems(rows, KNOWN)
    if n == 0:
        return Checked(rows=0, frame=_empty_frame())

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
    rules = codes.map({k: v["rules"] for k, v in lookup.measures.items()})
    kinds = rules.map(lambda r: r.kind, na_action="ignore").fillna("").to_numpy(str)
    frequency = (
        rules.map(lambda r: r.frequency, na_action="ignore").fillna("").to_numpy(str)
    )
    multiplier = (
        rules.map(lambda r: r.multiplier, na_action="ignore").astype(float).to_numpy()
    )
    parts_required = np.array(
        [isinstance(r, validation.Rules) and r.parts_required for r in rules],
        dtype=bool,
    )

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

    # Periods: real dates (2024-03 or 2024-03-15: the month is what counts, except for
    # daily, weekly and event measures, whose day counts), on the
    # measure's frequency, not in the future.
    ptext = table["period"]
    period = validation.parse_periods(
        ptext, err, skip=formula_rows, dated=np.isin(frequency, validation.DATED)
    )
    good_period = ~np.isnat(period)
    validation.check_periods(period, frequency, codes, err, today=today)

    # Numbers: read as the file writes them; blanks are missing.
    nums = {
        col: validation.parse_numbers(table[col], col, err, style, skip=formula_rows)
        for col in NUMBERS
    }
    unreadable = np.column_stack(
        [(table[col] != "").to_numpy() & np.isnan(nums[col]) for col in NUMBERS]
    )
    final_value = validation.check_values(
        kinds,
        multiplier,
        codes,
        nums["value"],
        nums["numerator"],
        nums["denominator"],
        err,
        unreadable=unreadable,
        skip=~m_known | formula_rows,
        value_decimals=validation.decimals_written(table["value"], style),
        parts_required=parts_required,
    )
    num, den = nums["numerator"], nums["denominator"]
    has_parts = ~np.isnan(num) & ~np.isnan(den)

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
            "period": period,
            "breakdown": canonical.fillna("").to_numpy(dtype=object),
            "stratum": st.to_numpy(dtype=object),
            "value": final_value,
            "numerator": np.where(has_parts, num, np.nan),
            "denominator": np.where(has_parts, den, np.nan),
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
