"""Per-segment sums, means, variances and medians equal exact per-segment arithmetic."""

from __future__ import annotations

import math
import statistics
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qualitas.spc.reductions import (
    grouped_mean,
    grouped_sum,
    grouped_variance,
    segment_median,
)
from qualitas.spc.segments import build

numbers = st.one_of(
    st.integers(-50, 50).map(float),
    # Data with a dynamic range below 2**80 or so: a value 10**-260 beside 10**6 could
    # tip an exact tie between two doubles, and it is lost in the low parts.
    st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-6),
    st.just(math.nan),
)
blocks = st.lists(st.lists(numbers, min_size=1, max_size=12), min_size=1, max_size=8)


def flatten(groups):
    values = np.array([v for g in groups for v in g], dtype=np.float64)
    ids = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    return values, ids


def exact(group):
    return [Fraction(v) for v in group if not math.isnan(v)]


@settings(max_examples=300, deadline=None)
@given(blocks)
def test_sums_and_means_are_correctly_rounded(groups):
    values, ids = flatten(groups)
    sums = grouped_sum(values, ids, len(groups))
    means = grouped_mean(values, ids, len(groups))
    for i, group in enumerate(groups):
        kept = exact(group)
        assert sums[i] == float(sum(kept, Fraction(0)))
        if kept:
            assert means[i] == float(sum(kept, Fraction(0)) / len(kept))
        else:
            assert math.isnan(means[i])


@settings(max_examples=300, deadline=None)
@given(blocks)
def test_variances_are_correctly_rounded(groups):
    values, ids = flatten(groups)
    means = grouped_mean(values, ids, len(groups))
    n = np.bincount(ids, weights=~np.isnan(values), minlength=len(groups))
    variances = grouped_variance(values, means[ids], ids, len(groups), n)
    for i, group in enumerate(groups):
        kept = exact(group)
        if len(kept) < 2:
            assert math.isnan(variances[i])
            continue
        # Deviations from the rounded mean, as R takes them (to 1e-15 of exact).
        m = Fraction(float(means[i]))
        expected = sum(((x - m) ** 2 for x in kept), Fraction(0)) / (len(kept) - 1)
        assert math.isclose(
            variances[i], float(expected), rel_tol=4e-16, abs_tol=1e-300
        )


@settings(max_examples=300, deadline=None)
@given(blocks, st.integers(0, 300))
def test_medians_match_the_statistics_module(groups, long_block):
    if long_block:  # one long segment: the sort-by-key path rather than the matrix
        groups = [*groups, [float(v % 17) for v in range(long_block)]]
    values, ids = flatten(groups)
    starts = np.r_[np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]), len(ids)]
    seg = build(np.array([0, len(ids)]), np.isin(np.arange(len(ids)), starts[1:-1]))
    keep = np.ones(len(values), dtype=bool)
    medians = segment_median(values, keep, seg)
    for i, group in enumerate(groups):
        kept = [v for v in group if not math.isnan(v)]
        if kept:
            assert medians[i] == statistics.median(kept)
        else:
            assert math.isnan(medians[i])
