"""The two kinds of feedback qualitas gives about input data.

Errors stop the calculation and say what to fix; warnings let it go on but tell the user
something they would want to know (a short baseline, a missing month).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class QualitasError(ValueError):
    """Input that qualitas cannot use, with a message that says what to fix."""


class QualitasWarning(UserWarning):
    """Input that qualitas can use, but whose results need care."""


def describe_rows(rows: Sequence[int] | np.ndarray, limit: int = 5) -> str:
    """Name the first few offending rows, 1-based as in a spreadsheet (header = row 1).

    >>> describe_rows([0, 4, 9])
    'rows 2, 6, 11'
    >>> describe_rows(list(range(10)), limit=3)
    'rows 2, 3, 4 and 7 more'
    """
    shown = [str(int(r) + 2) for r in rows[:limit]]
    text = ("row " if len(rows) == 1 else "rows ") + ", ".join(shown)
    if len(rows) > limit:
        text += f" and {len(rows) - limit} more"
    return text
