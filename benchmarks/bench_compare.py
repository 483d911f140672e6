"""The compare page (issue 15 item 6): 150 organisations × 36 months, published.

Server time per request (the Django test client, through middleware, view, engine
and template) for a trust's board member comparing with England: the chosen
month's funnel with the opportunity, the funnel of every month (one engine call)
and every organisation's z-score over time as XmR (one engine call). Median of warm
runs; target at most 300 ms. Runs on a fresh SQLite file in a temporary folder, or
on the database named by BENCH_DATABASE_URL.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.bench_web import _setup_django

N_ORGS, N_MONTHS, WARM_RUNS = 150, 36, 15
TARGET_MS = 300


def _world(rng: np.random.Generator):
    from qualitas.web.accounts.models import User
    from qualitas.web.measures.models import Measure, Observation, Target
    from qualitas.web.organisations.models import Membership, Organisation

    system = Organisation.objects.create(
        ods_code="QCB", name="Bench Compare ICB", kind="system"
    )
    trusts = [
        Organisation.objects.create(
            ods_code=f"C{i:03d}",
            name=f"Bench Trust {i}",
            kind="trust",
            parent=system if i < 8 else None,
        )
        for i in range(N_ORGS)
    ]
    measure = Measure.objects.create(
        code="bench-ae-4-hour",
        name="A&E 4-hour",
        operational_definition="bench",
        domain="timely",
        measure_type="process",
        unit="% within 4 hours",
        direction="increase",
        organisation=system,
        owner="Owner",
        data_source="bench",
        aggregation="ratio",
        multiplier=100.0,
        sharing="published",
    )
    Target.objects.create(
        measure=measure, starts=pd.Timestamp("2020-01-01").date(), value=95.0
    )
    periods = pd.date_range("2022-01-01", periods=N_MONTHS, freq="MS").date
    den = rng.integers(3000, 20000, size=(N_ORGS, N_MONTHS))
    num = rng.binomial(den, rng.uniform(0.7, 0.95, size=(N_ORGS, 1)))
    Observation.objects.bulk_create(
        (
            Observation(
                measure=measure,
                organisation=trusts[k],
                period=periods[j],
                numerator=float(num[k, j]),
                denominator=float(den[k, j]),
                value=num[k, j] / den[k, j] * 100,
            )
            for k in range(N_ORGS)
            for j in range(N_MONTHS)
        ),
        batch_size=2000,
    )
    user = User.objects.create_user("bench-board", password="bench-password-long")
    Membership.objects.create(user=user, organisation=trusts[0], role="board_member")
    return measure, user


def bench_compare_page(measure, user) -> None:
    from django.test import Client

    client = Client()
    client.force_login(user)
    url = f"/measures/{measure.code}/compare/"
    query = {"peers": "england", "benchmark": "target", "unit_cost": "150"}
    first = time.perf_counter()
    response = client.get(url, query)
    cold = time.perf_counter() - first
    assert response.status_code == 200, response.status_code
    assert b'id="funnel-chart"' in response.content
    times = []
    for _ in range(WARM_RUNS):
        started = time.perf_counter()
        client.get(url, query)
        times.append(time.perf_counter() - started)
    median = statistics.median(times) * 1000
    print(
        f"compare page, {N_ORGS} organisations x {N_MONTHS} months: "
        f"first {cold * 1000:.0f} ms, warm median {median:.0f} ms "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) "
        f"[target <= {TARGET_MS} ms: {'met' if median <= TARGET_MS else 'NOT met'}]"
    )
    # Where the time goes, for the record.
    from qualitas.web.measures import comparison as cmp

    started = time.perf_counter()
    built = cmp.build(user, measure, cmp.Choice(peers="england", benchmark="target"))
    middle = time.perf_counter()
    cmp.over_time(built, user)
    assert len(built.rows) == N_ORGS, len(built.rows)
    assert built.across is not None
    assert len(built.across.summaries) == N_MONTHS
    print(
        f"  of which the chosen funnel and opportunity: {(middle - started) * 1000:.0f} ms; "
        f"every month's funnel and the positions: {(time.perf_counter() - middle) * 1000:.0f} ms"
    )


def main() -> None:
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory() as folder:
        _setup_django(Path(folder))
        from django.db import connection

        print(f"database: {connection.vendor}")
        measure, user = _world(rng)
        bench_compare_page(measure, user)


if __name__ == "__main__":
    main()
