"""XmR engine speed: the peers workload side by side with the existing Python packages,
then 10^5 and 10^6 series × 48 points in one call.

The peers are timed by the shared harness (`QUALITAS_PEERS_DIR`, default
`../shared/bench/peers`) in its own virtualenv, `.venv-peers`, created on first use
(one peer, processbehavior, downgrades pandas, so peers never share our environment).
qualitas is timed in the same run on the same workload and checked against the
harness's NHSRplotthedots preset. The machine is noisy: we report medians and ratios.

Environment: QUALITAS_BENCH_ROUNDS (default 3), QUALITAS_BENCH_SKIP_PEERS=1 to skip
the peers, QUALITAS_BENCH_XMR_SIZES (default "100000,1000000" series).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PEERS_DIR = Path(
    os.environ.get("QUALITAS_PEERS_DIR", ROOT.parent / "shared" / "bench" / "peers")
)
PEERS_VENV = ROOT / ".venv-peers"
PEERS = (
    "abspc",
    "pyqicharts",
    "shewhart",
    "spychart",
    "processbehavior",
    "pycontrolcharts",
    "spc-plotly",
)
ROUNDS = int(os.environ.get("QUALITAS_BENCH_ROUNDS", "3"))
OUT = ROOT / "out" / "bench"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    peers = None if os.environ.get("QUALITAS_BENCH_SKIP_PEERS") else _run_peers()
    ours = _ours_on_peer_workload()
    _print_peer_table(ours, peers)
    sizes = [
        int(s)
        for s in os.environ.get("QUALITAS_BENCH_XMR_SIZES", "100000,1000000").split(",")
        if s
    ]
    print(
        "\nqualitas xmr, all rules + summary + icons, one call (N = 48 points per series)"
    )
    print(
        f"{'series':>10} {'points':>12} {'median s':>9} {'µs/point':>9} {'peak RSS':>10}  rounds"
    )
    for size in sizes:
        rounds = ROUNDS if size <= 100_000 else 1
        runs = [_scale_run(size) for _ in range(rounds)]
        secs = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        points = size * 48
        print(
            f"{size:>10,} {points:>12,} {secs:>9.2f} {secs / points * 1e6:>9.3f} {peak / 1024:>8.2f} GB  {rounds}",
            flush=True,
        )
    print("targets: ≤ 1 µs/point at 10^5 series; 10^6 series within 16 GB")


# --------------------------------------------------------------------------- peers
def _peers_python() -> Path | None:
    if not (PEERS_DIR / "bench.py").exists():
        print(f"peers harness not found at {PEERS_DIR}: set QUALITAS_PEERS_DIR")
        return None
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PEERS_VENV} for the peers (first run only)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "numpy", "pandas"], check=True)
        for (
            peer
        ) in PEERS:  # one by one: a peer that fails to install is reported as not run
            if subprocess.run([*pip, peer], check=False).returncode:
                print(f"  {peer} did not install")
    return python


def _run_peers() -> dict[str, dict] | None:
    python = _peers_python()
    if python is None:
        return None
    out = OUT / "peers"
    print(f"timing the peers with the shared harness ({ROUNDS} rounds)...", flush=True)
    cmd = [
        str(python),
        "bench.py",
        "run",
        "--rounds",
        str(ROUNDS),
        "--budget",
        "10",
        "--out",
        str(out),
    ]
    done = subprocess.run(
        cmd, cwd=PEERS_DIR, capture_output=True, text=True, check=False
    )
    if done.returncode:
        print(f"peer harness failed: {done.stderr[-800:]}")
        return None
    results = json.loads((out / "results.json").read_text())["results"]
    table = {}
    for r in results:
        if r and r.get("timing"):
            info = r["info"]
            table[f"{info['peer']} {info.get('version', '')}".strip()] = {
                "us": r["timing"]["us_per_point_median"],
                "range": (
                    r["timing"]["us_per_point_min"],
                    r["timing"]["us_per_point_max"],
                ),
                "series_exact_nhsr": r.get("cmp_nhsr", {})
                .get("flags", {})
                .get("series_exact"),
            }
    return table


# --------------------------------------------------------------------------- ours
def _ours_on_peer_workload() -> dict[str, float] | None:
    if not (PEERS_DIR / "workload.py").exists():
        return None
    sys.path.insert(0, str(PEERS_DIR))
    try:
        import compare as harness_compare  # type: ignore[import-not-found]
        import workload  # type: ignore[import-not-found]
        from adapters import Out  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(PEERS_DIR))
    from qualitas.spc import xmr

    wl = workload.generate()
    frame = wl.long_frame()
    direction = dict(zip(wl.series_id, wl.improvement, strict=True))
    target = {
        s: float(t)
        for s, t in zip(wl.series_id, wl.target, strict=True)
        if not np.isnan(t)
    }
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(max(ROUNDS, 5)):
            started = time.perf_counter()
            result = xmr(
                frame,
                value="value",
                period="period",
                by="series_id",
                direction=direction,
                target=target,
            )
            times.append(time.perf_counter() - started)
    points = result.points
    order = {s: i for i, s in enumerate(wl.series_id)}
    assert [order[s] for s in result.icons["series_id"]] == sorted(order.values())
    shape = (wl.S, wl.N)
    label = points["special_cause"].astype(str).to_numpy().reshape(shape)
    out = Out(
        mean=points["mean"].to_numpy().reshape(shape)[:, 0],
        lpl=points["lpl"].to_numpy().reshape(shape)[:, 0],
        upl=points["upl"].to_numpy().reshape(shape)[:, 0],
        flags={
            "outside": np.isin(label, ["above_upl", "below_lpl"]),
            "trend": np.isin(label, ["trend_up", "trend_down"]),
            "two3": np.isin(label, ["two_of_three_high", "two_of_three_low"]),
            "shift": np.isin(label, ["shift_high", "shift_low"]),
        },
        special=label != "none",
    )
    check = wl.subset(200)
    sub = Out(
        out.mean[:200],
        out.lpl[:200],
        out.upl[:200],
        {k: v[:200] for k, v in out.flags.items()},
        out.special[:200],
    )
    agreement = harness_compare.compare(
        check.values, sub, check.improvement, check.target, "nhsr"
    )
    seconds = statistics.median(times)
    return {
        "us": seconds / (wl.S * wl.N) * 1e6,
        "range": (min(times) / (wl.S * wl.N) * 1e6, max(times) / (wl.S * wl.N) * 1e6),
        "series_exact_nhsr": agreement["flags"]["series_exact"],
        "limits_nhsr": agreement["limits"].get("match", agreement["limits"]),
    }


def _print_peer_table(ours: dict | None, peers: dict | None) -> None:
    print(
        "\nPeers workload: S = 2,000 series × N = 48 points, same run, median µs per point"
    )
    if ours is None:
        print("  (peers harness not available: only the scale figures below)")
        return
    print(
        f"{'implementation':<28} {'µs/point':>9} {'range':>17} {'× slower than qualitas':>23} {'series = NHSR preset':>21}"
    )
    exact = ours["series_exact_nhsr"]
    print(
        f"{'qualitas xmr':<28} {ours['us']:>9.3f} {_range(ours['range']):>17} {'1':>23} {_pct(exact):>21}"
    )
    packages = {k: v for k, v in (peers or {}).items() if not _is_baseline(k)}
    baselines = {k: v for k, v in (peers or {}).items() if _is_baseline(k)}
    for title, rows in (
        ("Python SPC packages", packages),
        ("hand-written baselines of the harness (not packages)", baselines),
    ):
        if rows:
            print(f"  {title}:")
        for name, row in sorted(rows.items(), key=lambda kv: kv[1]["us"]):
            ratio = row["us"] / ours["us"]
            print(
                f"{name:<28} {row['us']:>9.2f} {_range(row['range']):>17} {ratio:>23,.1f} {_pct(row['series_exact_nhsr']):>21}"
            )
    if packages:
        gap = min(row["us"] for row in packages.values()) / ours["us"]
        print(
            f"qualitas is {gap:,.0f}× faster per point than the fastest package (target ≥ 100×)"
        )


def _is_baseline(name: str) -> bool:
    # The harness also times its own NumPy reference and a pandas groupby-apply loop.
    return name.startswith(("ref-", "pandas"))


def _range(r: tuple[float, float]) -> str:
    return f"{r[0]:.2f}–{r[1]:.2f}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f} %"


# --------------------------------------------------------------------------- scale
SCALE_CHILD = """
import sys, time, warnings
import numpy as np, pandas as pd
from qualitas.spc import xmr
S, N = int(sys.argv[1]), 48
rng = np.random.default_rng(7)
codes = np.repeat(np.arange(S, dtype=np.int32), N)
names = pd.Index([f"T{i:07d}" for i in range(S)])
level = rng.uniform(20, 200, S).repeat(N)
values = np.round(level + rng.normal(0, 1, S * N) * level * 0.05, 2)
frame = pd.DataFrame({
    "series": pd.Categorical.from_codes(codes, categories=names),
    "period": np.tile(pd.date_range("2021-01-01", periods=N, freq="MS").to_numpy(), S),
    "value": values,
})
target = {name: 100.0 for name in names[::3]}
warnings.simplefilter("ignore")
started = time.perf_counter()
result = xmr(frame, value="value", period="period", by="series", target=target)
seconds = time.perf_counter() - started
from benchmarks.memory import peak_gb
print(seconds, peak_gb() * 1024, len(result.points))
"""


def _scale_run(series: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", SCALE_CHILD, str(series)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak_mb, rows = done.stdout.split()
    assert int(rows) == series * 48
    return {"seconds": float(seconds), "peak_mb": float(peak_mb)}


if __name__ == "__main__":
    main()
