"""Reading measure tables from CSV, Parquet and Excel, with clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from qualitas.errors import QualitasError
from qualitas.io import read_table

FRAME = pd.DataFrame(
    {
        "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        "ward": ["007", "007", "A&E"],
        "falls": [3, 5, 4],
    }
)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_each_format_reads_the_same_table(tmp_path, suffix):
    path = tmp_path / f"falls{suffix}"
    if suffix == ".csv":
        FRAME.to_csv(path, index=False, date_format="%Y-%m-%d")
    elif suffix == ".parquet":
        FRAME.to_parquet(path, index=False)
    else:
        FRAME.to_excel(path, index=False)
    frame = read_table(path)
    assert list(frame.columns) == ["month", "ward", "falls"]
    assert pd.to_datetime(frame["month"]).tolist() == FRAME["month"].tolist()
    assert frame["ward"].tolist() == [
        "007",
        "007",
        "A&E",
    ]  # codes keep their leading zeros
    assert frame["falls"].tolist() == [3, 5, 4]


def test_text_late_in_a_csv_column_does_not_break_the_read(tmp_path):
    rows = (
        ["month,value"]
        + [f"2024-01-{d:02d},{d}" for d in range(1, 29)] * 1000
        + ["2024-02-01,n/a"]
    )
    path = tmp_path / "late.csv"
    path.write_text("\n".join(rows) + "\n")
    frame = read_table(path)
    assert frame["value"].iloc[-1] == "n/a"


def test_latin1_csv_from_excel_reads(tmp_path):
    path = tmp_path / "costs.csv"
    path.write_bytes("ward,cost\nSt Mary’s,£5\n".replace("’", "'").encode("latin-1"))
    frame = read_table(path)
    assert frame["cost"].tolist() == ["£5"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "file not found"),
        ("empty.csv", b"", "is empty"),
        ("data.json", b"{}", "qualitas reads .csv"),
        ("old.xls", b"x", ".xls workbook"),
        ("broken.xlsx", b"not a zip", "not an .xlsx workbook"),
        ("broken.parquet", b"not parquet", "cannot read broken.parquet as Parquet"),
    ],
)
def test_unreadable_files_give_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(QualitasError, match=message):
        read_table(path)


def test_missing_worksheet_is_named(tmp_path):
    path = tmp_path / "book.xlsx"
    FRAME.to_excel(path, index=False, sheet_name="Falls")
    assert len(read_table(path, sheet="Falls")) == 3
    with pytest.raises(QualitasError, match="no worksheet 'Pressure ulcers'"):
        read_table(path, sheet="Pressure ulcers")
