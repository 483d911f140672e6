"""Run the benchmarks: `python -m benchmarks [NAME ...]` (all of them by default)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks


def main(argv: list[str]) -> None:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv] or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        raise SystemExit(f"unknown benchmark {unknown[0]!r}; known: {', '.join(names)}")
    for name in wanted:
        started = time.perf_counter()
        print(f"\n=== {name.removeprefix('bench_')} ===", flush=True)
        importlib.import_module(f"benchmarks.{name}").main()
        print(
            f"({name.removeprefix('bench_')} took {time.perf_counter() - started:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
