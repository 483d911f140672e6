"""Data in: every kind of bad file gets a clear message and changes nothing; good files
are applied whole, and re-uploading the same periods updates them and says so."""

from __future__ import annotations

import io

import openpyxl
import pytest

from qualitas.web.audit.models import AuditEvent
from qualitas.web.measures import services
from qualitas.web.measures.imports import FileRefused, Limits, read_table
from qualitas.web.measures.models import ImportBatch, Observation

HEADER = "measure,organisation,period,numerator,denominator\n"
LIMIT = 1024 * 1024


def _check(
    world, text: str | bytes, filename: str = "data.csv", user: str = "owner_analyst"
):
    from tests.web.factories import MembershipFactory

    analyst = MembershipFactory(organisation=world["system"], role="analyst").user
    data = text.encode() if isinstance(text, str) else text
    return analyst, services.check_file(
        by=analyst, organisation=world["system"], filename=filename, data=data
    )


def _messages(batch) -> str:
    return " | ".join(f"{e['row']}:{e['column']}:{e['message']}" for e in batch.errors)


def _snapshot():
    return sorted(
        Observation.objects.values_list(
            "measure_id",
            "organisation_id",
            "period",
            "value",
            "numerator",
            "denominator",
            "stratum",
        )
    )


@pytest.fixture
def before(world):
    return _snapshot()


def test_a_good_file_is_previewed_then_applied_whole(world, before):
    analyst, batch = _check(
        world, HEADER + "falls,RAA,2025-01,40,9000\nfalls,RBB,2025-01-01,50,9100\n"
    )
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert (batch.rows, batch.added, batch.updated) == (2, 2, 0)
    assert _snapshot() == before  # nothing changes at preview
    services.apply_import(by=analyst, batch=batch)
    new = Observation.objects.get(
        organisation__ods_code="RAA", period="2025-01-01", breakdown=""
    )
    assert new.numerator == 40
    assert new.denominator == 9000
    assert new.value == pytest.approx(40 / 9000 * 1000)
    assert len(_snapshot()) == len(before) + 2


def test_reuploading_the_same_periods_updates_them_and_says_so(world, before):
    analyst, batch = _check(
        world, HEADER + "falls,RAA,2023-01,99,9000\nfalls,RAA,2025-02,10,9000\n"
    )
    assert (batch.added, batch.updated) == (1, 1)
    applied = services.apply_import(by=analyst, batch=batch)
    assert (applied.added, applied.updated) == (1, 1)
    assert (
        Observation.objects.get(
            organisation__ods_code="RAA", period="2023-01-01", breakdown=""
        ).numerator
        == 99
    )
    event = AuditEvent.objects.get(action="import.applied")
    assert "1 replacing earlier values" in event.summary
    # The value it replaced is kept in the audit log.
    replaced = event.before["replaced"]
    assert replaced["period"] == ["2023-01-01"]
    assert replaced["numerator"] != [99.0]  # the earlier value, not the new one
    assert len(replaced["value"]) == 1
    assert len(_snapshot()) == len(before) + 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            HEADER + "falls,RAA,2025-01,forty,9000\n",
            "2:numerator:'forty' in numerator is not a number",
        ),
        (HEADER + "nosuch,RAA,2025-01,4,9000\n", "2:measure:unknown measure 'nosuch'"),
        (HEADER + "fals,RAA,2025-01,4,9000\n", "did you mean 'falls'?"),
        (HEADER + "falls,XXX,2025-01,4,9000\n", "unknown organisation 'XXX'"),
        (HEADER + "falls,RZZ,2025-01,4,9000\n", "organisation RZZ is not part of"),
        (HEADER + "falls,RAA,Marhc 2025,4,9000\n", "'Marhc 2025' is not a period"),
        (HEADER + "falls,RAA,2025-13,4,9000\n", "'2025-13' is not a period"),
        (HEADER + "falls,RAA,2025-01,4,0\n", "denominator must be more than 0"),
        (HEADER + "falls,RAA,2025-01,4,\n", "denominator is missing"),
        (
            HEADER + "falls,RAA,2025-01,=SUM(A1:A3),9000\n",
            "looks like a spreadsheet formula",
        ),
        (
            HEADER + "falls,RAA,2025-01,4,9000\nfalls,RAA,2025-01-15,5,9000\n",
            "3:period:2025-01-15 for falls at RAA is already in row 2",
        ),
        (
            "measure,organisation,period,value\nfalls,RAA,2025-01,\n",
            "measure falls is a rate: give its numerator and denominator, or its "
            "value alone",
        ),
        (
            "measure,organisation,period,numerator,denominator,breakdown,stratum\nfalls,RAA,2025-01,4,9000,sex,Female\n",
            "has no breakdown 'sex' (it has: ethnicity)",
        ),
    ],
    ids=[
        "text-in-number",
        "unknown-measure",
        "suggests-measure",
        "unknown-org",
        "other-system",
        "bad-period",
        "month-13",
        "zero-denominator",
        "missing-denominator",
        "formula-in-csv",
        "duplicate-period",
        "rate-needs-parts",
        "unknown-breakdown",
    ],
)
def test_bad_rows_are_listed_and_nothing_changes(world, before, body, expected):
    _, batch = _check(world, body)
    assert batch.status == ImportBatch.Status.REJECTED
    assert expected in _messages(batch)
    assert batch.pending is None
    assert _snapshot() == before


def test_one_bad_row_stops_the_good_ones_too(world, before):
    good = "".join(f"falls,RAA,2025-{m:02d},4,9000\n" for m in range(1, 13))
    _, batch = _check(world, HEADER + good + "falls,RAA,2026-01,x,9000\n")
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.error_count == 1
    assert batch.errors[0]["row"] == 14
    assert _snapshot() == before


def test_every_error_is_counted_even_when_only_the_first_are_kept(world):
    rows = "".join(f"falls,RAA,2026-01-{d:02d},x,9000\n" for d in range(1, 29)) * 10
    _, batch = _check(world, HEADER + rows)
    assert batch.error_count >= 280
    assert len(batch.errors) == 200


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (
            b"measure,organisation,valu\nfalls,RAA,4\n",
            "a.csv",
            "unknown column 'valu' (did you mean 'value'?)",
        ),
        (b"measure,value\nfalls,4\n", "a.csv", "missing column 'organisation'"),
        (
            b"measure,organisation,period\nfalls,RAA,2025-01\n",
            "a.csv",
            "missing column 'value' (or both 'numerator' and 'denominator')",
        ),
        (
            "measure,organisation,period,value\nfalls,RAA,2025-01,4\nCaf\u00e9,RAA,2025-02,5\n".encode(
                "latin-1"
            ),
            "a.csv",
            "not UTF-8 text: byte 0xE9 on line 3",
        ),
        (b"", "a.csv", "The file is empty"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "old.xls",
            "Old Excel files (.xls) are not accepted",
        ),
        (b"x" * (LIMIT + 1), "big.csv", "more than the limit of 1.0 MB"),
    ],
    ids=[
        "wrong-column",
        "missing-column",
        "no-value",
        "not-utf8",
        "empty",
        "old-excel",
        "oversize",
    ],
)
def test_unusable_files_are_refused_with_a_reason(data, filename, expected):
    with pytest.raises(FileRefused) as e:
        read_table(data, filename, limits=Limits(max_bytes=LIMIT))
    assert expected in str(e.value)


def _xlsx(rows, formula_cell=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for r in rows:
        sheet.append(r)
    if formula_cell:
        sheet[formula_cell] = "=D2*2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_excel_with_formulas_is_refused(world, before):
    data = _xlsx(
        [
            ["measure", "organisation", "period", "numerator", "denominator"],
            ["falls", "RAA", "2025-01", 4, 9000],
        ],
        "D3",
    )
    _, batch = _check(world, data, "data.xlsx")
    assert batch.status == ImportBatch.Status.REJECTED
    assert "formulas: D3 (=D2*2)" in batch.errors[0]["message"]
    assert "Paste Special > Values" in batch.errors[0]["message"]
    assert _snapshot() == before


def test_excel_values_and_dates_are_read(world):
    import datetime as dt

    data = _xlsx(
        [
            ["Measure", "Organisation", "Period", "Numerator", "Denominator"],
            ["falls", "RAA", dt.datetime(2025, 3, 1), 4, 9000.0],
            [None, None, None, None, None],
        ]
    )
    analyst, batch = _check(world, data, "data.xlsx")
    assert batch.status == ImportBatch.Status.PREVIEWED, _messages(batch)
    assert batch.rows == 1
    services.apply_import(by=analyst, batch=batch)
    assert Observation.objects.filter(
        organisation__ods_code="RAA", period="2025-03-01", numerator=4
    ).exists()


def test_oversize_upload_is_recorded_but_not_read(world, settings, before):
    from tests.web.factories import MembershipFactory

    settings.QUALITAS_MAX_UPLOAD_BYTES = 100
    analyst = MembershipFactory(organisation=world["system"], role="analyst").user
    batch = services.check_upload(
        by=analyst,
        organisation=world["system"],
        filename="big.csv",
        size=150,
        chunks=iter([b"a" * 100, b"b" * 50]),
    )
    assert batch.status == ImportBatch.Status.REJECTED
    assert "more than the limit" in batch.errors[0]["message"]
    import hashlib

    assert batch.file_hash == hashlib.sha256(b"a" * 100 + b"b" * 50).hexdigest()
    assert _snapshot() == before


def test_units_and_breakdowns_are_loaded(world):
    body = (
        "measure,organisation,period,numerator,denominator,unit,breakdown,stratum\n"
        "falls,RAA,2025-01,4,900,Ward 5,,\n"
        "falls,RAA,2025-01,4,900,,Ethnicity,Mixed\n"
    )
    analyst, batch = _check(world, body)
    assert batch.status == ImportBatch.Status.PREVIEWED, _messages(batch)
    services.apply_import(by=analyst, batch=batch)
    assert (
        Observation.objects.filter(unit__name="Ward 5", period="2025-01-01").count()
        == 1
    )
    assert (
        Observation.objects.get(stratum="Mixed").breakdown == "ethnicity"
    )  # the register's spelling


def test_unknown_unit_is_an_error(world):
    _, batch = _check(
        world,
        "measure,organisation,period,numerator,denominator,unit\nfalls,RAA,2025-01,4,900,Ward 99\n",
    )
    assert "RAA has no unit called 'Ward 99'" in _messages(batch)


def test_a_batch_can_be_applied_only_once(world):
    analyst, batch = _check(world, HEADER + "falls,RAA,2025-05,4,9000\n")
    services.apply_import(by=analyst, batch=batch)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already been applied"):
        services.apply_import(by=analyst, batch=batch)


def test_discarding_changes_nothing(world, before):
    analyst, batch = _check(world, HEADER + "falls,RAA,2025-05,4,9000\n")
    services.discard_import(by=analyst, batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DISCARDED
    assert batch.pending is None
    assert _snapshot() == before
