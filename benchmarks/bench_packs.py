"""Board pack benchmark (issue 6 target: 60 measures in at most 20 s).

A pack of 60 measures × 36 months (XmR charts with targets, narratives and linked
projects) built from scratch: the charts drawn as PNG by vl-convert, then the PDF
(WeasyPrint) and the PowerPoint (python-pptx). Prints the time of each step, the
total for each format with the charts included (what a first download costs) and
without (what a second download costs when the meeting's charts are kept).
"""

from __future__ import annotations

import datetime as dt
import os
import time

import numpy as np
import pandas as pd

N_MEASURES, N_MONTHS = 60, 36
TARGET_SECONDS = 20.0


def sample_pack(n: int = N_MEASURES, months: int = N_MONTHS, seed: int = 6):
    """A realistic pack of ``n`` measures with generated data and narrative."""
    from qualitas.charts import words as chart_words
    from qualitas.charts import xmr_charts
    from qualitas.reports.packs import Pack, PackAction, PackMeasure, PackProject
    from qualitas.spc import xmr

    rng = np.random.default_rng(seed)
    periods = pd.date_range("2022-04-01", periods=months, freq="MS")
    values = rng.normal(50, 5, (n, months))
    values[: n // 4, -8:] += 12  # a quarter with a shift at the end
    data = pd.DataFrame(
        {
            "measure": np.repeat(np.arange(n), months),
            "period": np.tile(periods, n),
            "value": values.ravel(),
        }
    )
    targets = {i: float(t) for i, t in enumerate(rng.uniform(40, 60, n))}
    result = xmr(
        data,
        value="value",
        period="period",
        by="measure",
        target=targets,
        direction="decrease",
    )
    specs = xmr_charts(result, width=640, height=260, show_icons=False)
    measures = []
    for row in result.icons.itertuples(index=False):
        i = int(row.measure)
        spec = specs[i]
        spec.pop("title", None)
        assurance = None if pd.isna(row.assurance) else str(row.assurance)
        measures.append(
            PackMeasure(
                name=f"Measure {i + 1}: harm events per 1,000 bed days",
                unit="per 1,000 bed days",
                domain="Safe",
                period=f"{row.period:%b %Y}",
                value=f"{row.value:,.1f}",
                target=f"{row.target:,.1f}",
                mean=f"{row.mean:,.1f}",
                lower_limit=f"{row.lpl:,.1f}",
                upper_limit=f"{row.upl:,.1f}",
                variation=str(row.variation),
                assurance=assurance,
                variation_text=chart_words.variation_text(str(row.variation)),
                assurance_text=chart_words.assurance_text(assurance, "decrease"),
                chart=spec,
                chart_tells_us="The last eight months sit above the mean: a shift. "
                "The process will not meet the target without a change." * 2,
                doing="The falls bundle is being tested on two wards; results are "
                "reviewed weekly by the ward teams and the QI lead.",
                projects=(
                    PackProject(
                        "Safer nights on Ward 5",
                        "Active",
                        "Halve falls by March",
                        "3.0",
                    ),
                ),
            )
        )
    return Pack(
        title="Quality and Safety Committee",
        organisation="Benchmark Teaching Hospitals NHS Trust",
        meeting_date=dt.date(2025, 5, 8),
        data_cut="March 2025",
        measures=tuple(measures),
        actions=tuple(
            PackAction(
                f"Action {k}",
                "Chief Nurse",
                dt.date(2025, 6, 1),
                "Open",
                "10 April 2025",
            )
            for k in range(12)
        ),
    )


def _timed(fn, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process and its finished children)."""
    started, cpu = time.perf_counter(), _cpu()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started, _cpu() - cpu


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    from qualitas.reports.packs import pack_pdf, pack_pptx, render_charts

    load = os.getloadavg()[0]
    render_charts([sample_pack(1).measures[0].chart], workers=1)  # warm vl-convert
    pack, built, built_cpu = _timed(sample_pack)
    charts, drawn, drawn_cpu = _timed(render_charts, [m.chart for m in pack.measures])
    pdf, pdf_s, pdf_cpu = _timed(pack_pdf, pack, charts)
    pptx, pptx_s, pptx_cpu = _timed(pack_pptx, pack, charts)

    print(f"{N_MEASURES} measures × {N_MONTHS} months")
    print(f"load average before: {load:.1f} on {os.cpu_count()} cores")
    print(f"{'step':<34}{'wall s':>8}{'CPU s':>8}")
    rows = [
        ("engine and chart specs", built, built_cpu),
        ("charts drawn (vl-convert)", drawn, drawn_cpu),
        ("PDF laid out (WeasyPrint)", pdf_s, pdf_cpu),
        ("PowerPoint (python-pptx)", pptx_s, pptx_cpu),
    ]
    for name, wall, cpu in rows:
        print(f"  {name:<32}{wall:>8.2f}{cpu:>8.2f}")
    print(
        f"  {drawn / N_MEASURES * 1000:.0f} ms per chart; PDF {len(pdf) / 1e6:.1f} MB, "
        f"PowerPoint {len(pptx) / 1e6:.1f} MB"
    )
    for name, seconds in (
        ("PDF", built + drawn + pdf_s),
        ("PowerPoint", built + drawn + pptx_s),
    ):
        verdict = "within" if seconds <= TARGET_SECONDS else "OVER"
        print(
            f"  {name} from scratch: {seconds:5.2f} s wall "
            f"({verdict} the {TARGET_SECONDS:.0f} s target)"
        )
    print(f"  both formats, charts drawn once: {built + drawn + pdf_s + pptx_s:5.2f} s")
    print(
        f"  a second download (charts kept with the meeting): PDF {pdf_s:.2f} s, "
        f"PowerPoint {pptx_s:.2f} s"
    )
    print(f"(load average after: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
