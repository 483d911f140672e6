"""Reading measure data and writing results that are safe to open.

`read_table` reads one file a person points at (CSV, Parquet, Excel) into pandas;
`sources` reads what a batch run points at (files and globs through DuckDB, SQL tables
through SQLAlchemy) into Arrow for the engines. Both read CSV and Parquet with the one
reader in `files`, so a file gives the same columns, types and errors either way.

>>> from qualitas.io import read_table, write_csv
"""

from qualitas.io.export import neutralise_formulas, write_csv
from qualitas.io.tables import SUFFIXES, read_table

__all__ = ["SUFFIXES", "neutralise_formulas", "read_table", "write_csv"]
