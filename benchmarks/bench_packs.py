"""Board pack benchmark (issue 6 target: 60 measures in at most 20 s).

A pack of 60 measures × 36 months (XmR charts with targets, narratives and linked
projects) built from scratch: the charts drawn as PNG by vl-convert, then the PDF
(WeasyPrint) and the PowerPoint (python-pptx). Prints the time of each step, the
total for each format with the charts included (what a first download costs) and
without (what a second download costs when the meeting's charts are kept).
"""

from __future__ import annotations

import datetime as dt
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


def main() -> None:
    from qualitas.reports.packs import pack_pdf, pack_pptx, render_charts

    started = time.perf_counter()
    pack = sample_pack()
    built = time.perf_counter() - started

    t = time.perf_counter()
    charts = render_charts([m.chart for m in pack.measures])
    drawn = time.perf_counter() - t
    t = time.perf_counter()
    pdf = pack_pdf(pack, charts)
    pdf_s = time.perf_counter() - t
    t = time.perf_counter()
    pptx = pack_pptx(pack, charts)
    pptx_s = time.perf_counter() - t

    print(f"{N_MEASURES} measures × {N_MONTHS} months")
    print(f"  engine and chart specs        {built:6.2f} s")
    print(
        f"  charts drawn (vl-convert)     {drawn:6.2f} s  ({drawn / N_MEASURES * 1000:.0f} ms per chart)"
    )
    print(f"  PDF laid out (WeasyPrint)     {pdf_s:6.2f} s  ({len(pdf) / 1e6:.1f} MB)")
    print(
        f"  PowerPoint (python-pptx)      {pptx_s:6.2f} s  ({len(pptx) / 1e6:.1f} MB)"
    )
    for name, seconds in (
        ("PDF", built + drawn + pdf_s),
        ("PowerPoint", built + drawn + pptx_s),
    ):
        verdict = "within" if seconds <= TARGET_SECONDS else "OVER"
        print(
            f"  {name} from scratch: {seconds:5.2f} s ({verdict} the {TARGET_SECONDS:.0f} s target)"
        )
    print(f"  both formats, charts drawn once: {built + drawn + pdf_s + pptx_s:5.2f} s")


if __name__ == "__main__":
    main()
