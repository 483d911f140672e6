"""Where the statistics run: ``local`` (this process, the default) or ``spark``.

Every engine runs the same kernels from :mod:`qualitas.spc`, so results are the same
on each. pyspark is imported only when the Spark engine is asked for.

>>> get_engine("local").name
'local'
"""

from __future__ import annotations

from typing import Any

from qualitas.engines.base import Engine, Tables, Written
from qualitas.errors import QualitasError

ENGINES = ("local", "spark")


def get_engine(name: str, **options: Any) -> Engine:
    """The engine called ``name``, built with ``options`` (see each engine's class)."""
    if name == "local":
        from qualitas.engines.local import LocalEngine

        return LocalEngine(**options)
    if name == "spark":
        from qualitas.engines.spark import SparkEngine

        return SparkEngine(**options)
    raise QualitasError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "Tables", "Written", "get_engine"]
