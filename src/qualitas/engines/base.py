"""What an engine must do: run a chart request on a table and hand back three tables.

An engine decides *where* the statistics run (this process, a Spark cluster); the
statistics themselves are always the kernels of :mod:`qualitas.spc`, so every engine
gives the same numbers and labels. The same spec and parity tests run on each engine
(tests/conftest.py); known gaps are declared in :mod:`qualitas.engines.capabilities`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import pandas as pd

T = TypeVar("T")

# Called as progress(rows_done, rows_total) while an engine writes its results.
Progress = Callable[[int, int], None]

TABLES = ("points", "summary", "icons")


@dataclass(frozen=True)
class Tables(Generic[T]):
    """An engine's answer: one row per point, per series and segment (or phase), and
    per series (icons; None for charts that have no icons)."""

    points: T
    summary: T
    icons: T | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Written:
    """What :meth:`Engine.write` wrote: row counts per table (0 for a table the chart
    does not have), warnings, and the path of each table written."""

    series: int
    points: int
    summary: int
    icons: int
    warnings: tuple[str, ...]
    paths: dict[str, str]


class Engine(ABC):
    """Runs requests from :mod:`qualitas.spc` (``ChartRequest``, ``FunnelRequest``) on tables."""

    name: ClassVar[str]

    @abstractmethod
    def run(self, data: Any, request: Any) -> Tables[Any]:
        """Compute ``request`` for every series in ``data``, a table this engine
        reads (pandas or Arrow for every engine; Spark tables for Spark)."""

    @abstractmethod
    def to_pandas(self, tables: Tables[Any]) -> Tables[pd.DataFrame]:
        """The results as pandas, with the rows in series and period order and the
        column types of the local engine."""

    @abstractmethod
    def write(
        self,
        data: Any,
        request: Any,
        directory: str,
        *,
        progress: Progress | None = None,
    ) -> Written:
        """Compute ``request`` and write its tables as Parquet in ``directory``
        (``points.parquet``, ``summary.parquet`` and, if the chart has icons,
        ``icons.parquet``)."""

    def compute(self, frame: pd.DataFrame, request: Any) -> Tables[pd.DataFrame]:
        """Run on a pandas DataFrame and return pandas: what tests and notebooks use."""
        return self.to_pandas(self.run(frame, request))
