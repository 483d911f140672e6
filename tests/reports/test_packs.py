"""Board packs as PDF and PowerPoint: every page and slide is there, shows its
content, and keeps user text as text; the files reopen."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from qualitas.charts import style, xmr_charts
from qualitas.reports.packs import (
    Pack,
    PackAction,
    PackDecision,
    PackMeasure,
    PackProject,
    pack_pdf,
    pack_pptx,
    print_spec,
    render_charts,
)
from qualitas.reports.packs.pdf import css_string, pack_html
from qualitas.spc import xmr
from tests.reports.poppler import (
    coloured_share,
    ink_share,
    page_count,
    page_images,
    page_text,
    require_poppler,
)

CONCERN_ORANGE = tuple(
    int(style.VARIATION_COLOUR["concern_high"][i : i + 2], 16) for i in (1, 3, 5)
)


def _pack(n: int = 3, **extra) -> Pack:
    months = pd.date_range("2023-01-01", periods=20, freq="MS")
    rng = np.random.default_rng(3)
    values = rng.normal(10, 1, (n, 20))
    values[0, -7:] += 6  # measure 0 ends in a shift upwards: concern (lower is better)
    data = pd.DataFrame(
        {
            "m": np.repeat(np.arange(n), 20),
            "month": np.tile(months, n),
            "v": values.ravel(),
        }
    )
    result = xmr(
        data, value="v", period="month", by="m", direction="decrease", target=9.0
    )
    specs = xmr_charts(result, show_icons=False, width=640, height=260)
    measures = []
    for row in result.icons.itertuples(index=False):
        i = int(row.m)
        measures.append(
            PackMeasure(
                name=f"Falls on ward {i + 1}",
                unit="per 1,000 bed days",
                domain="Safe",
                period=f"{row.period:%b %Y}",
                value=f"{row.value:.1f}",
                target="9.0",
                mean=f"{row.cl:.1f}",
                lower_limit=f"{row.lcl:.1f}",
                upper_limit=f"{row.ucl:.1f}",
                variation=str(row.variation),
                assurance=None if pd.isna(row.assurance) else str(row.assurance),
                variation_text=f"variation {row.variation}",
                assurance_text=f"assurance {row.assurance}",
                chart=specs[i],
                chart_tells_us=f"Chart words for ward {i + 1}.",
                doing=f"Doing words for ward {i + 1}.",
                projects=(
                    PackProject(
                        f"Safer nights {i + 1}", "Testing changes", "Halve falls"
                    ),
                ),
            )
        )
    fields = {
        "title": "Quality and Safety Committee",
        "organisation": "Example Trust",
        "meeting_date": dt.date(2025, 5, 8),
        "data_cut": "August 2024",
        "measures": tuple(measures),
        "decisions": (PackDecision("Commission a falls review", "Falls on ward 1"),),
        "actions": (
            PackAction(
                "Present the review",
                "Chief Nurse",
                dt.date(2025, 6, 1),
                "Open",
                "8 May 2025",
            ),
            PackAction(
                "Old action", "COO", dt.date(2025, 1, 1), "Overdue", "9 Jan 2025"
            ),
        ),
    }
    fields.update(extra)
    return Pack(**fields)


@pytest.fixture(scope="module")
def pack_and_charts():
    pack = _pack()
    return pack, render_charts([m.chart for m in pack.measures])


def test_the_pdf_has_a_cover_a_summary_a_page_per_measure_and_the_actions(
    pack_and_charts, tmp_path
):
    require_poppler()
    pack, charts = pack_and_charts
    path = tmp_path / "pack.pdf"
    path.write_bytes(pack_pdf(pack, charts))
    assert page_count(path) == 1 + 1 + 3 + 1
    cover = page_text(path, 1)
    assert "Quality and Safety Committee" in cover
    assert "8 May 2025" in cover
    assert "August 2024" in cover
    summary = page_text(path, 2)
    for i in (1, 2, 3):
        assert f"Falls on ward {i}" in summary
    for page, i in ((3, 1), (4, 2), (5, 3)):
        text = page_text(path, page)
        assert f"Falls on ward {i}" in text
        assert f"Chart words for ward {i}." in text
        assert f"Doing words for ward {i}." in text
        assert f"Safer nights {i}" in text
        assert "Page " in text
        assert " of 6" in text
    actions = page_text(path, 6)
    assert "Commission a falls review" in actions
    assert "Present the review" in actions
    assert "Overdue" in actions

    images = page_images(path, tmp_path)
    assert len(images) == 6
    assert all(ink_share(im) > 0.01 for im in images), "a page is blank"
    # The chart is drawn: the first measure's page shows the orange of its concern
    # points, which a steady measure's page does not.
    assert coloured_share(images[2], CONCERN_ORANGE) > coloured_share(
        images[4], CONCERN_ORANGE
    )
    assert coloured_share(images[2], CONCERN_ORANGE) > 0.0005


def test_the_pdf_keeps_user_text_as_text_and_fetches_nothing(pack_and_charts, tmp_path):
    require_poppler()
    pack, charts = pack_and_charts
    hostile = (
        '<img src="http://example.invalid/x.png"><script>alert(1)</script> & "quotes"'
    )
    first = dataclasses.replace(
        pack.measures[0], chart_tells_us=hostile, name="A <b>bold</b> name"
    )
    evil = dataclasses.replace(
        pack,
        measures=(first, *pack.measures[1:]),
        organisation='Trust "} body { display: none }',
    )
    html, images = pack_html(evil, charts)
    assert "<script>" not in html
    assert '<img src="http' not in html
    assert set(images) >= {"chart-0", "chart-1", "chart-2"}
    path = tmp_path / "evil.pdf"
    path.write_bytes(pack_pdf(evil, charts))
    text = page_text(path, 3)
    assert "<script>alert(1)</script>" in text
    assert "A <b>bold</b> name" in text
    assert 'Trust "} body { display: none }' in page_text(path, 2)


def test_css_strings_cannot_end_early():
    assert css_string('a"b') == '"a\\22 b"'
    assert css_string("</style>") == '"\\3c \\2f style\\3e "'


def test_the_powerpoint_reopens_with_every_slide_and_its_content(pack_and_charts):
    from pptx import Presentation

    pack, charts = pack_and_charts
    deck = Presentation(io.BytesIO(pack_pptx(pack, charts)))
    slides = list(deck.slides)
    # cover, summary, three measures, decisions, actions
    assert len(slides) == 7

    def texts(slide) -> str:
        return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)

    def table_text(slide) -> str:
        return "\n".join(
            cell.text
            for s in slide.shapes
            if s.has_table
            for row in s.table.rows
            for cell in row.cells
        )

    assert "Quality and Safety Committee" in texts(slides[0])
    summary = table_text(slides[1])
    assert all(f"Falls on ward {i}" in summary for i in (1, 2, 3))
    pictures = [s for s in slides[1].shapes if s.shape_type == 13]
    assert len(pictures) == 3 + 3  # a variation and an assurance icon per row
    for i, slide in enumerate(slides[2:5], start=1):
        body = texts(slide)
        assert f"Falls on ward {i}" in body
        assert f"Chart words for ward {i}." in body
        assert f"Safer nights {i}" in body
        chart = [s for s in slide.shapes if s.shape_type == 13 and s.width > 5_000_000]
        assert len(chart) == 1, "one large chart picture per measure slide"
        assert chart[0].image.blob == charts[i - 1]
        assert f"Doing words for ward {i}." in slide.notes_slide.notes_text_frame.text
    assert "Commission a falls review" in texts(slides[5])
    assert "Present the review" in table_text(slides[6])


def test_long_narratives_are_shortened_on_the_slide_and_given_in_full_in_the_notes():
    from pptx import Presentation

    long_text = " ".join(f"word{i}" for i in range(400))
    pack = _pack(1)
    m = dataclasses.replace(pack.measures[0], chart_tells_us=long_text)
    pack = dataclasses.replace(pack, measures=(m,), actions=(), decisions=())
    deck = Presentation(io.BytesIO(pack_pptx(pack, [None])))
    slide = list(deck.slides)[2]
    shown = "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert "word399" not in shown
    assert "…" in shown
    assert long_text in slide.notes_slide.notes_text_frame.text
    assert "No chart" in shown


def test_many_measures_span_several_summary_slides_and_pdf_pages(tmp_path):
    require_poppler()
    from pptx import Presentation

    pack = _pack(20, actions=(), decisions=())
    empty = [None] * 20
    deck = Presentation(io.BytesIO(pack_pptx(pack, empty)))
    titles = [
        s.shapes[1].text_frame.text
        for s in deck.slides
        if "Summary"
        in "".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
    ]
    assert len(titles) == 3  # 9 rows a slide
    path = tmp_path / "many.pdf"
    path.write_bytes(pack_pdf(pack, empty))
    assert page_count(path) >= 1 + 2 + 20


def test_print_specs_drop_tooltips_and_keep_the_marks(pack_and_charts):
    pack, _ = pack_and_charts
    spec = pack.measures[0].chart
    printed = print_spec(spec)
    assert "tooltip" not in str(printed)
    assert (
        printed["hconcat"][0]["layer"][-1]["mark"]["type"]
        == spec["hconcat"][0]["layer"][-1]["mark"]["type"]
    )
    assert "description" in spec  # the original is untouched


def test_charts_drawn_in_two_processes_match_those_drawn_in_one(pack_and_charts):
    pack, charts = pack_and_charts
    specs = [m.chart for m in pack.measures]
    assert render_charts(specs, workers=2) == charts
    assert render_charts([None, specs[0]], workers=1) == [None, charts[0]]
