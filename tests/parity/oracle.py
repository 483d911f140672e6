"""Where the golden cases live and how to compare numbers with them.

The folder is ``QUALITAS_ORACLE_DIR`` when set, otherwise the repo's own copy in
``tests/parity/cases`` (copied from the reference packages' outputs, see its README).
Each chart family has a subfolder (``mdc/``, ``qicharts/``, ``funnel/``) with a case
index; tests are generated from that index, so a new case is a new test.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

REL_TOL = 1e-9  # the contract: numbers within 1e-9 relative of the reference


def oracle_dir() -> Path:
    configured = os.environ.get("QUALITAS_ORACLE_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).parent / "cases"


def assert_close(actual, expected, *, what: str, rel: float = REL_TOL) -> None:
    """Numbers equal within ``rel`` relative; NaN only where the reference has NaN.

    Values that are zero in the reference are compared with an absolute tolerance of
    ``rel`` times the largest magnitude in the column, since a relative error against
    zero means nothing.
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, f"{what}: {a.shape} values, expected {e.shape}"
    scale = np.nanmax(np.abs(e)) if np.isfinite(e).any() else 1.0
    ok = np.isclose(a, e, rtol=rel, atol=rel * scale * (e == 0), equal_nan=True)
    ok |= np.isnan(a) & np.isnan(e)
    if not ok.all():
        where = np.flatnonzero(~ok)[:5]
        raise AssertionError(
            f"{what}: {int((~ok).sum())} of {len(a)} differ; rows {where.tolist()}: "
            f"got {a[where].tolist()}, expected {e[where].tolist()}"
        )
