"""CSV and Parquet read one way, whether one file into pandas or a glob into Arrow."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from qualitas.errors import QualitasError
from qualitas.io import read_table
from qualitas.io.files import read_files_arrow
from qualitas.io.sources import parse_source, read_arrow

LATE_TEXT = (
    "\n".join(
        ["month,value"]
        + [f"2024-01-{d:02d},{d}" for d in range(1, 29)] * 1000
        + ["2024-02-01,n/a"]
    )
    + "\n"
)


def test_read_table_and_read_arrow_infer_the_same_types(tmp_path):
    path = tmp_path / "late.csv"
    path.write_text(LATE_TEXT)
    frame = read_table(path)
    table = read_arrow(parse_source(str(path)), ["month", "value"])
    assert table.to_pandas()["value"].tolist() == frame["value"].tolist()
    assert str(table.schema.field("value").type) == "string"
    assert str(table.schema.field("month").type) == "date32[day]"


def test_a_glob_reads_latin1_files_as_latin1_and_utf8_files_as_utf8(tmp_path):
    (tmp_path / "a.csv").write_bytes("ward,cost\nA,£5\n".encode())
    (tmp_path / "b.csv").write_bytes("ward,cost\nB,£7\n".encode("latin-1"))
    table = read_arrow(parse_source(str(tmp_path / "*.csv")), ["ward", "cost"])
    rows = sorted(zip(*table.to_pydict().values(), strict=True))
    assert rows == [("A", "£5"), ("B", "£7")]


def test_an_empty_file_in_a_glob_is_named(tmp_path):
    (tmp_path / "a.csv").write_text("ward,falls\nA,3\n")
    (tmp_path / "b.csv").write_bytes(b"")
    with pytest.raises(QualitasError, match=r"b\.csv in '.*\*\.csv' is empty"):
        read_arrow(parse_source(str(tmp_path / "*.csv")), ["ward", "falls"])


def test_a_parquet_file_with_no_columns_is_refused(tmp_path):
    path = tmp_path / "nothing.parquet"
    pd.DataFrame(index=range(2)).to_parquet(path)
    with pytest.raises(
        QualitasError, match=r"cannot read nothing\.parquet as Parquet: .*column"
    ):
        read_files_arrow([path], "parquet", label="nothing.parquet")


def test_read_table_reads_a_gzipped_csv_as_batch_does(tmp_path):
    path = tmp_path / "falls.csv.gz"
    path.write_bytes(gzip.compress(b"ward,falls\nA,3\nB,5\n"))
    assert read_table(path)["falls"].tolist() == [3, 5]
    assert read_arrow(parse_source(str(path)), ["falls"])["falls"].to_pylist() == [
        3,
        5,
    ]


def test_an_empty_parquet_file_is_called_empty(tmp_path):
    path = tmp_path / "empty.parquet"
    path.write_bytes(b"")
    with pytest.raises(QualitasError, match=r"empty\.parquet is empty"):
        read_table(path)


def test_decimal_commas_in_a_semicolon_file_are_read_with_a_warning(tmp_path):
    import pytest

    from qualitas.errors import QualitasWarning
    from qualitas.io.files import read_files_pandas

    path = tmp_path / "ae.csv"
    path.write_text("trust;period;value\nA;2025-01;4,5\nA;2025-02;5,25\nA;2025-03;6\n")
    with pytest.warns(QualitasWarning, match="semicolon-separated with decimal commas"):
        frame = read_files_pandas([path], "csv", label="ae.csv")
    assert frame["value"].tolist() == [4.5, 5.25, 6.0]  # never 45 or 525


def test_a_quoted_decimal_comma_in_a_comma_file_is_never_a_bigger_number(tmp_path):
    from qualitas.io.files import read_files_pandas

    path = tmp_path / "ae.csv"
    path.write_text('trust,period,value\nA,2025-01,"4,5"\nA,2025-02,5\n')
    frame = read_files_pandas([path], "csv", label="ae.csv")
    assert frame["value"].tolist() == ["4,5", "5"]  # text: the engine refuses it


@pytest.mark.parametrize(
    ("body", "row"),
    [
        ("trust,period,value\nA,2025-01,4,5\nA,2025-02,5\n", 2),
        ("trust,period,value\nA,2025-01,4\nA,2025-02,5,1\n", 3),
        (
            "trust,period,value\nA,2025-01,4\nA,2025-02,5\nA,2025-03,5,1\nA,2025-04,6\n",
            4,
        ),
    ],
    ids=["first-row", "last-row", "middle-row"],
)
def test_a_row_with_an_extra_cell_is_named(tmp_path, body, row):
    from qualitas.errors import QualitasError
    from qualitas.io.files import read_files_pandas

    path = tmp_path / "ae.csv"
    path.write_text(body)
    with pytest.raises(
        QualitasError, match=f"row {row} of ae.csv has 4 cells but the header has 3"
    ):
        read_files_pandas([path], "csv", label="ae.csv")


def test_a_glob_of_semicolon_files_with_decimal_commas_is_read_as_such(tmp_path):
    from qualitas.errors import QualitasWarning

    for month, value in (("01", "4,5"), ("02", "5,25")):
        (tmp_path / f"ae_{month}.csv").write_text(
            f"trust;period;value\nA;2025-{month};{value}\n"
        )
    paths = sorted(tmp_path.glob("ae_*.csv"))
    with pytest.warns(QualitasWarning, match="decimal commas"):
        table = read_files_arrow(paths, "csv", label="ae_*.csv")
    assert sorted(table.column("value").to_pylist()) == [4.5, 5.25]


def test_a_ragged_file_in_a_glob_is_named(tmp_path):
    (tmp_path / "a.csv").write_text("trust,period,value\nA,2025-01,4\n")
    (tmp_path / "b.csv").write_text("trust,period,value\nA,2025-02,4,5\nA,2025-03,6\n")
    paths = sorted(tmp_path.glob("*.csv"))
    with pytest.raises(QualitasError, match=r"row 2 of .*b\.csv in ae has 4 cells"):
        read_files_arrow(paths, "csv", label="ae")
