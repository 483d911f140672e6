"""`qualitas batch` reads CSV and Parquet as `qualitas spc` does: the whole file for
types, Latin-1 CSVs from Excel, and short errors that name the file."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualitas.cli.main import app

ARGS = ["--value", "falls", "--period", "month", "--by", "ward"]


def batch(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["batch", *map(str, args)])
    return result.exit_code, " ".join(result.output.split())


def months(n: int = 15) -> list[str]:
    return [f"{d:%Y-%m-%d}" for d in pd.date_range("2023-01-01", periods=n, freq="MS")]


def test_batch_reads_a_latin1_csv_saved_by_excel(tmp_path):
    rows = [f"{m},St Mary’s £ ward,{i % 4}" for i, m in enumerate(months())]
    path = tmp_path / "falls.csv"
    text = "\n".join(["month,ward,falls", *rows]) + "\n"
    path.write_bytes(text.replace("’", "'").encode("latin-1"))
    code, output = batch("--input", path, *ARGS, "--output", tmp_path / "out")
    assert code == 0, output
    icons = pd.read_parquet(tmp_path / "out" / "icons.parquet")
    assert icons["ward"].tolist() == ["St Mary's £ ward"]


def test_batch_reads_a_csv_whose_last_row_has_text_in_a_number_column(tmp_path):
    rows = [f"{m},A,{i % 4}" for i, m in enumerate(months())] * 2000
    path = tmp_path / "falls.csv"
    path.write_text("\n".join(["month,ward,falls", *rows, "2024-04-01,A,n/a"]) + "\n")
    code, output = batch("--input", path, *ARGS, "--output", tmp_path / "out")
    # The column is text, so the chart says the values must be numbers; the read
    # itself does not fail on row 30,002 as it would with a sample of rows.
    assert code == 1
    assert "cannot read" not in output
    assert "falls" in output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty.csv' is empty"),
        ("broken.parquet", b"not parquet", "broken.parquet' as Parquet: "),
    ],
)
def test_batch_names_a_file_it_cannot_read(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    code, output = batch("--input", path, *ARGS, "--output", tmp_path / "out")
    assert code == 1
    assert message in output
    assert "Possible Solution" not in output
