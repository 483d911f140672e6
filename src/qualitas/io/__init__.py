"""Reading measure data from files and writing results that are safe to open.

>>> from qualitas.io import read_table, write_csv
"""

from qualitas.io.export import neutralise_formulas, write_csv
from qualitas.io.tables import SUFFIXES, read_table

__all__ = ["SUFFIXES", "neutralise_formulas", "read_table", "write_csv"]
