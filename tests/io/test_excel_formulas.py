"""Excel formula cells: read as the result Excel saved with them; refused, naming
the cells, when no result was saved (rather than read as missing values)."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest
from typer.testing import CliRunner

from qualitas.cli.main import app
from qualitas.errors import QualitasError
from qualitas.io import read_table


def workbook(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Falls"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


ROWS = [
    ["month", "falls", "double"],
    ["2024-01-01", 2, "=B2*2"],
    ["2024-02-01", 3, "=B3*2"],
]


def test_formulas_without_saved_results_are_refused(tmp_path):
    # openpyxl, like many programs, writes formulas without their results.
    path = workbook(tmp_path / "falls.xlsx", ROWS)
    with pytest.raises(
        QualitasError,
        match=r"falls.xlsx has formulas with no saved result in cells C2, C3: open "
        r"the workbook in Excel and save it",
    ):
        read_table(path)


def test_the_named_sheet_is_the_one_checked(tmp_path):
    path = workbook(tmp_path / "falls.xlsx", ROWS)
    with pytest.raises(QualitasError, match=r"cells C2, C3"):
        read_table(path, sheet="Falls")


def test_formulas_with_saved_results_are_read_as_those_results(tmp_path):
    path = workbook(tmp_path / "saved.xlsx", ROWS)
    # Store results as Excel does when it saves: <v>4</v> beside the formula.
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(
        r"<f>B(\d)\*2</f><v\s*/?>(</v>)?",
        lambda m: f"<f>B{m.group(1)}*2</f><v>{2 * (int(m.group(1)))}</v>",
        sheet,
    )
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert read_table(path)["double"].tolist() == [4, 6]


def test_the_command_line_says_which_cells(tmp_path):
    path = workbook(tmp_path / "falls.xlsx", ROWS)
    result = CliRunner().invoke(
        app,
        [
            "spc",
            str(path),
            "--value",
            "double",
            "--period",
            "month",
            "--out",
            str(tmp_path / "points.csv"),
        ],
    )
    assert result.exit_code == 1
    assert "no saved result in cells C2, C3" in result.output
