"""A system meeting's board pack: the system report (every measure × every
organisation) as a section of the PDF and as slides, with user text kept as text."""

from __future__ import annotations

import datetime as dt
import io

from qualitas.reports.packs import (
    Pack,
    PackGridCell,
    PackGridRow,
    PackSystemGrid,
    pack_pdf,
    pack_pptx,
)
from qualitas.reports.packs.pdf import pack_html
from tests.reports.poppler import page_count, page_text, require_poppler

HOSTILE = '<script>alert(1)</script> & "Trust"'


def _grid(n_rows: int = 3, n_orgs: int = 3) -> PackSystemGrid:
    orgs = (*(f"Org {j}" for j in range(n_orgs - 1)), HOSTILE)
    rows = []
    for i in range(n_rows):
        cells = [
            PackGridCell(
                variation="concern_high" if i == 0 and j == 0 else "common_cause",
                assurance="fail" if j == 1 else None,
                value=f"{i}.{j}",
                target="2.0" if j == 1 else "",
                variation_text="words",
                assurance_text="words",
            )
            for j in range(n_orgs - 1)
        ]
        cells.append(PackGridCell(note="No data"))
        rows.append(
            PackGridRow(
                name=f"Grid measure {i}",
                unit="%",
                group="Special cause concern" if i == 0 else "Other measures",
                cells=tuple(cells),
            )
        )
    return PackSystemGrid(organisations=orgs, rows=tuple(rows))


def _pack(grid: PackSystemGrid | None) -> Pack:
    return Pack(
        title="ICB Quality Committee",
        organisation="Test ICB",
        meeting_date=dt.date(2025, 5, 8),
        data_cut="March 2025",
        measures=(),
        system=grid,
    )


def test_the_pdf_has_a_system_report_page_after_the_summary(tmp_path):
    require_poppler()
    with_grid = tmp_path / "grid.pdf"
    with_grid.write_bytes(pack_pdf(_pack(_grid()), []))
    without = tmp_path / "plain.pdf"
    without.write_bytes(pack_pdf(_pack(None), []))
    assert page_count(with_grid) == page_count(without) + 1
    text = page_text(with_grid, 3)
    assert "System report: 3 measures across 3 organisations" in text
    for i in range(3):
        assert f"Grid measure {i}" in text
    assert "Org 0" in text
    assert "No data" in text
    assert "1.1 / 2.0" in text
    assert "Special cause concern" in text
    assert "System report" not in page_text(without, 2)


def test_the_pdf_keeps_organisation_names_as_text():
    html, images = pack_html(_pack(_grid()), [])
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Trust&quot;" in html
    # One picture per icon kind, however many cells show it.
    assert set(images) == {
        "icon-variation-concern_high",
        "icon-variation-common_cause",
        "icon-assurance-fail",
    }


def test_the_slides_page_the_grid_by_measures_and_organisations():
    from pptx import Presentation

    deck = Presentation(io.BytesIO(pack_pptx(_pack(_grid(n_rows=10, n_orgs=10)), [])))
    grid_slides = [
        s
        for s in deck.slides
        if any(
            sh.has_text_frame and sh.text_frame.text.startswith("System report")
            for sh in s.shapes
        )
    ]
    # 10 measures by 10 organisations, 8 by 8 on a slide: 2 × 2 slides.
    assert len(grid_slides) == 4
    tables = [sh.table for s in grid_slides for sh in s.shapes if sh.has_table]
    assert len(tables) == 4
    first = tables[0]
    assert first.cell(0, 1).text == "Org 0"
    assert first.cell(1, 0).text == "Grid measure 0"
    names = {t.cell(0, c).text for t in tables for c in range(1, len(t.columns))}
    assert HOSTILE in names
    assert len(names) == 10
    notes = grid_slides[0].notes_slide.notes_text_frame.text
    assert "Grid measure 0 at Org 0: 0.0; words; words." in notes
    plain = Presentation(io.BytesIO(pack_pptx(_pack(None), [])))
    assert len(deck.slides) == len(plain.slides) + 4
