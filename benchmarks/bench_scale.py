"""Scale: XmR for 10^4 to 10^6 series x 48 months, Parquet to Parquet, end to end.

Each run happens in a fresh Python process that reads the input Parquet file, computes
every series and writes points, summary and icons as Parquet; it reports its wall time
and peak resident memory (ru_maxrss, so the figure includes everything the process
ever held). The Spark run uses local[2] on the same machine; its time excludes starting
the JVM and its Python workers, which a cluster pays once, and its memory is reported for the Python driver
and for the JVM (whose Python workers are its children) separately.

Targets (issue 7): local 10^6 x 48 in at most 60 s and 16 GB; Spark local[2] at
10^5 x 48 within 5 times the local time.

    python -m benchmarks scale            # everything (about two minutes)
    QUALITAS_BENCH_SIZES=4,5 python -m benchmarks scale   # 10^4 and 10^5 only

Inputs are generated once into QUALITAS_BENCH_DIR (default: the system temp folder).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.memory import peak_gb

MONTHS = 48
SPARK_SERIES = 10**5
TARGET_SECONDS = 60.0
TARGET_GB = 16.0
SPARK_RATIO_TARGET = 5.0


def main() -> None:
    sizes = [int(s) for s in os.environ.get("QUALITAS_BENCH_SIZES", "4,5,6").split(",")]
    folder = Path(
        os.environ.get(
            "QUALITAS_BENCH_DIR", Path(tempfile.gettempdir()) / "qualitas-bench"
        )
    )
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"XmR, {MONTHS} monthly points per series, Parquet in and out; inputs in {folder}"
    )
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"{'engine':<14}{'series':>10}{'points':>12}{'seconds':>9}{'µs/point':>10}"
        f"{'CPU s':>8}{'peak GB':>9}"
    )
    local: dict[int, dict] = {}
    for power in sizes:
        n = 10**power
        source = make_input(folder, n)
        result = child("local", source, folder / f"out-local-{power}")
        local[n] = result
        report("local", n, result)
        if n == 10**6:
            ok = result["seconds"] <= TARGET_SECONDS and result["peak_gb"] <= TARGET_GB
            print(
                f"  target {TARGET_SECONDS:.0f} s and {TARGET_GB:.0f} GB at 10^6 series: "
                f"{'met' if ok else 'MISSED'}"
            )
    if os.environ.get("QUALITAS_BENCH_SPARK", "1") != "0" and _has_spark():
        source = make_input(folder, SPARK_SERIES)
        result = child("spark", source, folder / "out-spark")
        report("spark local[2]", SPARK_SERIES, result)
        print(
            f"  Spark session start {result['startup']:.1f} s and a first, warming run "
            f"{result['first']:.1f} s (not included); peak of the JVM and its Python "
            f"workers {result['jvm_peak_gb']:.2f} GB (driver above)"
        )
        if SPARK_SERIES not in local:
            local[SPARK_SERIES] = child("local", source, folder / "out-local-5")
        ratio = result["seconds"] / local[SPARK_SERIES]["seconds"]
        cold = result["first"] / local[SPARK_SERIES]["seconds"]
        cpu_ratio = result["cpu"] / local[SPARK_SERIES]["cpu"]
        print(
            f"  Spark/local ratio at {SPARK_SERIES:,} series: {ratio:.1f} in time, "
            f"{cpu_ratio:.1f} in CPU "
            f"(target at most {SPARK_RATIO_TARGET:.0f}: {'met' if ratio <= SPARK_RATIO_TARGET else 'MISSED'}); "
            f"first run {cold:.1f}"
        )


def report(engine: str, n: int, result: dict) -> None:
    points = n * MONTHS
    print(
        f"{engine:<14}{n:>10,}{points:>12,}{result['seconds']:>9.2f}"
        f"{result['seconds'] / points * 1e6:>10.3f}{result['cpu']:>8.1f}{result['peak_gb']:>9.2f}",
        flush=True,
    )


def make_input(folder: Path, n_series: int) -> Path:
    """n_series x 48 months of a key, a month and a value: sorted by series, as
    national extracts usually are. About 1 in 50 series has a shift."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / f"xmr-{n_series}x{MONTHS}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng(20240401)
    months = np.arange("2020-04", "2024-04", dtype="datetime64[M]").astype(
        "datetime64[D]"
    )
    assert len(months) == MONTHS
    schema = pa.schema(
        [("org", pa.string()), ("month", pa.date32()), ("value", pa.float64())]
    )
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        step = 100_000
        for lo in range(0, n_series, step):
            k = min(step, n_series - lo)
            names = np.char.add(
                "S", np.char.zfill(np.arange(lo, lo + k).astype(str), 7)
            )
            level = rng.uniform(20, 2000, k)
            value = rng.normal(
                np.repeat(level, MONTHS), np.repeat(level * 0.08, MONTHS)
            )
            shifted = np.repeat(rng.random(k) < 0.02, MONTHS) & np.tile(
                np.arange(MONTHS) >= 30, k
            )
            value = np.where(shifted, value * 1.3, value).round(1)
            writer.write_table(
                pa.table(
                    {
                        "org": np.repeat(names, MONTHS),
                        "month": np.tile(months, k),
                        "value": value,
                    },
                    schema=schema,
                )
            )
    tmp.rename(path)
    return path


def child(engine: str, source: Path, output: Path) -> dict:
    """Run one size in a fresh process and return its report (the output files
    are deleted afterwards; the inputs are kept for the next run)."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_scale",
            engine,
            str(source),
            str(output),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    shutil.rmtree(output, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"{engine} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _has_spark() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print(
            "Spark: pyspark is not installed; pip install -e '.[spark]' to include it"
        )
        return False
    return True


def _peak_gb(who: int) -> float:
    # VmHWM, not ru_maxrss: the latter carries the parent's peak across exec.
    return (
        peak_gb()
        if who == resource.RUSAGE_SELF
        else resource.getrusage(who).ru_maxrss / 2**20
    )


def _tree(pid: int) -> tuple[float, float]:
    """Peak resident memory (GB) and CPU seconds of a process plus its descendants.
    The memory is the sum of each process's peak: an upper bound on their peak
    together."""
    total_kb = 0
    ticks = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        proc = Path(f"/proc/{current}")
        try:
            status = (proc / "status").read_text()
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            children = (proc / "task" / str(current) / "children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total_kb += int(line.split()[1])
        ticks += sum(int(x) for x in stat[11:15])  # utime, stime, cutime, cstime
        todo += [int(c) for c in children]
    return total_kb / 2**20, ticks / os.sysconf("SC_CLK_TCK")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run_local(source: str, output: str) -> dict:
    from qualitas.engines.local import LocalEngine
    from qualitas.io.sources import parse_source, read_arrow
    from qualitas.spc import XmrRequest

    request = XmrRequest(value="value", period="month", by=("org",))
    if os.path.getsize(source) < 2**26:
        # Warm up as the Spark run does (not at 10^6 series, where one run is long
        # enough to need no warming and two would double the benchmark).
        warm = read_arrow(parse_source(source), ["org", "month", "value"])
        LocalEngine().write(warm, request, output)
        del warm
    cpu = _cpu_seconds()
    started = time.perf_counter()
    table = read_arrow(parse_source(source), ["org", "month", "value"])
    read = time.perf_counter() - started
    written = LocalEngine().write(table, request, output)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu": _cpu_seconds() - cpu,
        "read": read,
        "points": written.points,
        "peak_gb": _peak_gb(resource.RUSAGE_SELF),
    }


def _run_spark(source: str, output: str) -> dict:
    from qualitas.engines.spark import SparkEngine, local_session
    from qualitas.spc import XmrRequest

    request = XmrRequest(value="value", period="month", by=("org",))
    started = time.perf_counter()
    session = local_session("local[2]", shuffle_partitions=2, driver_memory="6g")
    engine = SparkEngine(session)
    # Start the JVM and the Python workers (which import qualitas) on a few rows, as
    # a long-running cluster would have done already.
    engine.write(engine.read_files([source], "parquet").limit(480), request, output)
    startup = time.perf_counter() - started
    # A first full run warms the JVM's code paths (shuffle, Parquet) and starts a
    # Python worker per core; it is reported, and the second run is the one timed.
    first_started = time.perf_counter()
    engine.write(engine.read_files([source], "parquet"), request, output)
    first = time.perf_counter() - first_started
    jvm_pid = session.sparkContext._gateway.proc.pid  # type: ignore[union-attr]
    cpu = _cpu_seconds() + _tree(jvm_pid)[1]
    started = time.perf_counter()
    written = engine.write(engine.read_files([source], "parquet"), request, output)
    seconds = time.perf_counter() - started
    driver = _peak_gb(resource.RUSAGE_SELF)
    jvm, jvm_cpu = _tree(jvm_pid)
    session.stop()
    return {
        "seconds": seconds,
        "cpu": _cpu_seconds() + jvm_cpu - cpu,
        "startup": startup,
        "first": first,
        "points": written.points,
        "peak_gb": driver,
        "jvm_peak_gb": jvm,
    }


if __name__ == "__main__":
    kind, source_path, output_path = sys.argv[1:4]
    runner = _run_local if kind == "local" else _run_spark
    print(json.dumps(runner(source_path, output_path)))
