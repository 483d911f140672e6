"""The system report (issue 15 item 6): 10 organisations × 60 measures × 36 months.

Server time per request (the Django test client, through middleware, view, engine
and template) for an ICB analyst, who sees every cell: median of warm runs. Target:
at most 500 ms. Runs on a fresh SQLite file in a temporary folder, or on the
database named by BENCH_DATABASE_URL.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.bench_web import _setup_django

N_ORGS, N_MEASURES, N_MONTHS, WARM_RUNS = 10, 60, 36, 15
TARGET_MS = 500


def _world(rng: np.random.Generator):
    from qualitas.web.accounts.models import User
    from qualitas.web.measures.models import Measure, Observation, Target
    from qualitas.web.organisations.models import Membership, Organisation

    system = Organisation.objects.create(
        ods_code="QSR", name="Bench System ICB", kind="system"
    )
    trusts = [
        Organisation.objects.create(
            ods_code=f"S{i:02d}", name=f"Bench Trust {i}", kind="trust", parent=system
        )
        for i in range(N_ORGS)
    ]
    domains = ["safe", "effective", "patient_centred", "timely", "efficient"]
    measures = Measure.objects.bulk_create(
        Measure(
            code=f"s{i:03d}",
            name=f"Measure {i}",
            operational_definition="bench",
            domain=domains[i % len(domains)],
            measure_type="outcome",
            unit="%",
            direction=("increase", "decrease", "neutral")[i % 3],
            organisation=system,
            owner="Owner",
            data_source="bench",
            aggregation="ratio",
            multiplier=100.0,
        )
        for i in range(N_MEASURES)
    )
    Target.objects.bulk_create(
        Target(measure=m, starts=pd.Timestamp("2020-01-01").date(), value=50.0)
        for m in measures[::2]
    )
    # A few trusts with targets of their own, as real systems have.
    Target.objects.bulk_create(
        Target(
            measure=m,
            organisation=trusts[i % N_ORGS],
            starts=pd.Timestamp("2020-01-01").date(),
            value=45.0,
        )
        for i, m in enumerate(measures[::5])
    )
    periods = pd.date_range("2022-01-01", periods=N_MONTHS, freq="MS").date
    den = rng.integers(500, 5000, size=(N_MEASURES, N_ORGS, N_MONTHS))
    num = rng.binomial(den, rng.uniform(0.2, 0.8, size=(N_MEASURES, N_ORGS, 1)))
    Observation.objects.bulk_create(
        (
            Observation(
                measure=measures[i],
                organisation=trusts[k],
                period=periods[j],
                numerator=float(num[i, k, j]),
                denominator=float(den[i, k, j]),
                value=num[i, k, j] / den[i, k, j] * 100,
            )
            for i in range(N_MEASURES)
            for k in range(N_ORGS)
            for j in range(N_MONTHS)
        ),
        batch_size=2000,
    )
    user = User.objects.create_user("bench-icb", password="bench-password-long")
    Membership.objects.create(user=user, organisation=system, role="analyst")
    return system, user


def bench_system_report(system, user) -> None:
    from django.test import Client

    client = Client()
    client.force_login(user)
    url = f"/board/system/{system.ods_code}/"
    first = time.perf_counter()
    response = client.get(url)
    cold = time.perf_counter() - first
    assert response.status_code == 200, response.status_code
    cells = response.content.count(b'<td class="cell priority-')
    assert cells == N_ORGS * N_MEASURES, cells
    times = []
    for _ in range(WARM_RUNS):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    median = statistics.median(times) * 1000
    print(
        f"system report, {N_ORGS} organisations x {N_MEASURES} measures x {N_MONTHS} months: "
        f"first {cold * 1000:.0f} ms, warm median {median:.0f} ms "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) "
        f"[target <= {TARGET_MS} ms: {'met' if median <= TARGET_MS else 'NOT met'}]"
    )
    # Where the time goes, for the record.
    from qualitas.web.board import system as system_report
    from qualitas.web.measures.models import Measure

    measures = list(Measure.objects.filter(organisation=system))
    started = time.perf_counter()
    system_report.build(
        system, measures, readable=system_report.everything(system, measures)
    )
    print(
        f"  of which query, engine and cells (system.build): {(time.perf_counter() - started) * 1000:.0f} ms"
    )


def main() -> None:
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory() as folder:
        _setup_django(Path(folder))
        from django.db import connection

        print(f"database: {connection.vendor}")
        system, user = _world(rng)
        bench_system_report(system, user)


if __name__ == "__main__":
    main()
