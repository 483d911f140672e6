"""Web platform benchmarks (issue 4 targets).

1. The integrated quality report for 200 measures × 36 months: server time per
   request (the Django test client, through middleware, view, engine and template),
   median of warm runs. Target: at most 300 ms.
2. Importing 100,000 observation rows from a CSV file: read, checked row by row and
   applied in one transaction. Target: at most 10 s. Re-importing the same rows (every
   row replaces an earlier value) is timed too.

Runs on a fresh SQLite file in a temporary folder, or on the database named by
BENCH_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/bench).
"""

from __future__ import annotations

import io
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_MEASURES, N_MONTHS, WARM_RUNS = 200, 36, 15
IMPORT_ROWS = 100_000


def _setup_django(folder: Path) -> None:
    os.environ["QUALITAS_ENV"] = "test"
    os.environ["DJANGO_SETTINGS_MODULE"] = "qualitas.web.settings"
    os.environ["DATABASE_URL"] = (
        os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    )
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


def _world(rng: np.random.Generator):
    from qualitas.web.accounts.models import User
    from qualitas.web.measures.models import Measure, Observation, Target
    from qualitas.web.organisations.models import Membership, Organisation

    system = Organisation.objects.create(
        ods_code="QBE", name="Bench ICB", kind="system"
    )
    trusts = [
        Organisation.objects.create(
            ods_code=f"R{i:02d}", name=f"Bench Trust {i}", kind="trust", parent=system
        )
        for i in range(16)
    ]
    domains = [
        "safe",
        "effective",
        "patient_centred",
        "timely",
        "efficient",
        "equitable",
    ]
    measures = Measure.objects.bulk_create(
        Measure(
            code=f"m{i:03d}",
            name=f"Measure {i}",
            operational_definition="bench",
            domain=domains[i % 6],
            measure_type="outcome",
            unit="%",
            direction=("increase", "decrease", "neutral")[i % 3],
            organisation=system,
            owner="Owner",
            committee=("Quality", "Finance", "People")[i % 3],
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
    periods = pd.date_range("2022-01-01", periods=N_MONTHS, freq="MS").date
    den = rng.integers(500, 5000, size=(N_MEASURES, N_MONTHS))
    num = rng.binomial(den, rng.uniform(0.2, 0.8, size=(N_MEASURES, 1)))
    Observation.objects.bulk_create(
        (
            Observation(
                measure=measures[i],
                organisation=trusts[0],
                period=periods[j],
                numerator=float(num[i, j]),
                denominator=float(den[i, j]),
                value=num[i, j] / den[i, j] * 100,
            )
            for i in range(N_MEASURES)
            for j in range(N_MONTHS)
        ),
        batch_size=2000,
    )
    user = User.objects.create_user("bench", password="bench-password-long")
    Membership.objects.create(user=user, organisation=system, role="analyst")
    return system, trusts, measures, user


def bench_report(trust, user) -> None:
    from django.test import Client

    client = Client()
    client.force_login(user)
    url = f"/board/{trust.ods_code}/"
    first = time.perf_counter()
    response = client.get(url)
    cold = time.perf_counter() - first
    assert response.status_code == 200, response.status_code
    assert response.content.count(b'class="priority-') == N_MEASURES
    times = []
    for _ in range(WARM_RUNS):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    median = statistics.median(times) * 1000
    print(
        f"integrated report, {N_MEASURES} measures x {N_MONTHS} months: first {cold * 1000:.0f} ms, "
        f"warm median {median:.0f} ms (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) "
        f"[target <= 300 ms: {'met' if median <= 300 else 'NOT met'}]"
    )
    # Where the time goes, for the record.
    from qualitas.web.board import report
    from qualitas.web.measures.models import Measure

    measures = list(Measure.objects.all())
    started = time.perf_counter()
    report.build(trust, measures)
    print(
        f"  of which query, engine and rows (report.build): {(time.perf_counter() - started) * 1000:.0f} ms"
    )


def bench_import(system, trusts, measures, user, rng: np.random.Generator) -> None:
    from qualitas.web.measures import services
    from qualitas.web.measures.models import Observation

    months = pd.date_range("2019-01-01", periods=36, freq="MS").strftime("%Y-%m")
    grid = pd.MultiIndex.from_product(
        [[m.code for m in measures], [t.ods_code for t in trusts[1:]], months]
    ).to_frame(index=False)
    grid = grid.iloc[:IMPORT_ROWS]
    grid.columns = ["measure", "organisation", "period"]
    grid["denominator"] = rng.integers(100, 10000, size=len(grid))
    grid["numerator"] = rng.binomial(grid["denominator"].to_numpy(), 0.4)
    buffer = io.StringIO()
    grid.to_csv(buffer, index=False)
    data = buffer.getvalue().encode()
    before = Observation.objects.count()

    for label in ("new rows", "same rows again (all updates)"):
        started = time.perf_counter()
        batch = services.check_file(
            by=user, organisation=system, filename="bench.csv", data=data
        )
        checked = time.perf_counter()
        assert batch.status == "previewed", batch.errors[:3]
        batch = services.apply_import(by=user, batch=batch)
        done = time.perf_counter()
        total = done - started
        print(
            f"import {len(grid):,} rows ({len(data) / 1e6:.1f} MB CSV), {label}: {total:.2f} s "
            f"(check {checked - started:.2f} s, apply {done - checked:.2f} s; {batch.added:,} added, {batch.updated:,} updated) "
            f"[target <= 10 s: {'met' if total <= 10 else 'NOT met'}]"
        )
    assert Observation.objects.count() == before + len(grid)


def main() -> None:
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory() as folder:
        _setup_django(Path(folder))
        from django.db import connection

        print(f"database: {connection.vendor}")
        system, trusts, measures, user = _world(rng)
        bench_report(trusts[0], user)
        bench_import(system, trusts, measures, user, rng)


if __name__ == "__main__":
    main()
