"""Small requests cannot tie up a server (issue 11, finding 3): a body too large is
refused from its Content-Length before it is read; columns, rows and an .xlsx's
declared size are checked before parsing, in linear time."""

from __future__ import annotations

import io
import re
import socket
import time
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualitas.web.measures.imports import FileRefused, Limits, read_table
from qualitas.web.measures.models import ImportBatch
from tests.web.factories import MembershipFactory

MB = 1024 * 1024


@pytest.fixture
def analyst(world, settings):
    # Checked while the request waits, not by the background worker: the time
    # measured is the server's whole work on the file.
    settings.QUALITAS_BACKGROUND_IMPORT_BYTES = 100 * MB
    return MembershipFactory(organisation=world["system"], role="analyst").user


def _upload(client, name: str, data: bytes):
    # The first request of a test process loads every view and template; the time
    # measured is the upload's own.
    client.get(reverse("data:upload"))
    started = time.perf_counter()
    response = client.post(
        reverse("data:upload"),
        {"organisation": "QAA", "file": SimpleUploadedFile(name, data)},
    )
    return response, time.perf_counter() - started


def _rejected_with(message: str) -> None:
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportBatch.Status.REJECTED
    assert message in batch.errors[0]["message"]


def test_a_csv_of_200000_columns_is_refused_in_under_two_seconds(
    world, analyst, client_for
):
    header = ",".join(f"c{i}" for i in range(200_000))
    data = (header + "\n" + ",".join("1" * 200_000) + "\n").encode()
    assert len(data) > MB
    response, seconds = _upload(client_for(analyst), "wide.csv", data)
    assert response.status_code == 302
    assert seconds < 2
    _rejected_with("The file has 200,000 columns; at most 50 are read")


def _declaring(rows: int, columns: int, *, real_cell: bool = False) -> bytes:
    """A small workbook whose sheet claims ``rows`` × ``columns`` (and, with
    ``real_cell``, has a cell there with no declared size at all)."""
    book = openpyxl.Workbook()
    book.active.append(["measure", "organisation", "period", "value"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    last = openpyxl.utils.get_column_letter(columns) + str(rows)
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                if real_cell:
                    data = re.sub(rb"<dimension [^>]*/>", b"", data)
                    data = data.replace(
                        b"</sheetData>",
                        f'<row r="{rows}"><c r="{last}" t="n"><v>1</v></c></row>'
                        "</sheetData>".encode(),
                    )
                else:
                    data = re.sub(
                        rb'<dimension ref="[^"]*"/>',
                        f'<dimension ref="A1:{last}"/>'.encode(),
                        data,
                    )
            dst.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("real_cell", [False, True], ids=["declared", "real-cell"])
def test_a_small_xlsx_claiming_3000_rows_by_16384_columns_is_refused_quickly(
    world, analyst, client_for, real_cell
):
    data = _declaring(3000, 16384, real_cell=real_cell)
    assert len(data) < 6000
    response, seconds = _upload(client_for(analyst), "huge.xlsx", data)
    assert response.status_code == 302
    assert seconds < 2
    _rejected_with("16,384 columns" if not real_cell else "rows of data")


def test_a_50_mb_body_is_refused_without_being_read(world, analyst):
    from django.test import Client

    client = Client()
    client.force_login(analyst)

    class Unreadable(io.RawIOBase):
        read_from = False

        def readable(self):
            return True

        def readinto(self, buffer):
            Unreadable.read_from = True
            raise AssertionError("the body was read")

    body = Unreadable()
    response = client.generic(
        "POST",
        reverse("data:upload"),
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * MB),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert not Unreadable.read_from
    assert "more than the limit" in response.content.decode()
    api = client.generic(
        "POST",
        reverse("api:load"),
        content_type="application/json",
        CONTENT_LENGTH=str(50 * MB),
        **{"wsgi.input": body},
    )
    assert api.status_code == 413
    assert "more than the limit" in api.json()["error"]


def test_a_server_answers_a_50_mb_upload_before_the_body_is_sent(live_server):
    # Only the headers go out: the answer must come without waiting for the body.
    host, port = live_server.thread.host, live_server.thread.port
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(
            (
                "POST /data/upload/ HTTP/1.1\r\n"
                f"Host: {host}\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {50 * MB}\r\n\r\n"
            ).encode()
        )
        started = time.perf_counter()
        answer = conn.recv(200).decode()
        assert time.perf_counter() - started < 2
    assert answer.startswith("HTTP/1.1 413")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    columns=st.integers(1, 120),
    rows=st.integers(0, 40),
    max_columns=st.integers(4, 60),
    max_rows=st.integers(1, 30),
    separator=st.sampled_from([",", ";", "\t"]),
)
def test_limits_on_columns_and_rows_hold_for_any_shape(
    columns, rows, max_columns, max_rows, separator
):
    names = ["measure", "organisation", "period", "value"]
    header = (names + [f"x{i}" for i in range(columns)])[: max(columns, 4)]
    lines = [separator.join(header)] + [
        separator.join(
            ["falls", "RAA", "2025-01", "1"][: len(header)] + [""] * (len(header) - 4)
        )
        for _ in range(rows)
    ]
    data = ("\n".join(lines) + "\n").encode()
    limits = Limits(max_bytes=MB, max_rows=max_rows, max_columns=max_columns)
    try:
        read = read_table(data, "a.csv", limits=limits)
    except FileRefused as refused:
        message = str(refused)
        if len(header) > max_columns:
            assert f"The file has {len(header):,} columns" in message
        elif rows > max_rows:
            assert f"more than {max_rows:,} rows" in message
        else:
            assert "The columns are not right" in message  # x0... are unknown
        return
    assert len(header) <= max_columns
    assert rows <= max_rows
    assert len(read.table) == rows


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b"measure,organisation,period,value\n" + b"falls,RAA,2025-01,1\n" * 11,
            "a.csv",
            "more than 10 rows",
        ),
        (",".join(["measure"] * 5000).encode() + b"\n", "a.csv", "5,000 columns"),
    ],
    ids=["rows", "columns"],
)
def test_limits_table(data, name, message):
    with pytest.raises(FileRefused, match=message):
        read_table(data, name, limits=Limits(max_bytes=MB, max_rows=10))


def test_duplicate_column_check_is_linear():
    # The check must not be quadratic in the number of columns: a 200,000-column
    # header took 25 minutes before, and these 80,000 about four; now about one
    # second (the bound leaves room for a busy machine).
    import pandas as pd

    from qualitas.web.measures.imports import name_columns

    # (pandas itself is slow to make a frame with many repeated names: not timed.)
    table = pd.DataFrame(
        columns=["measure", "organisation", "period", "value"] * 20_000
    )
    started = time.perf_counter()
    with pytest.raises(FileRefused, match="appears more than once"):
        name_columns(table)
    assert time.perf_counter() - started < 15


def test_a_file_that_would_need_too_much_memory_is_refused_before_parsing():
    data = b"measure,organisation,period,value\n" + b"falls,RAA,2025-01,1\n" * 5000
    limits = Limits(max_bytes=MB, max_memory=MB)  # 5,001 rows × 4 columns ≈ 2 MB
    with pytest.raises(FileRefused, match=r"would need about 1\.9 MB of memory"):
        read_table(data, "a.csv", limits=limits)
    workbook = _declaring(20_000, 40)
    with pytest.raises(FileRefused, match="20,000 rows of 40 columns"):
        read_table(workbook, "a.xlsx", limits=Limits(max_bytes=MB, max_memory=MB))


def test_reading_stops_at_the_time_limit():
    data = b"measure,organisation,period,value\n" + b"falls,RAA,2025-01,1\n" * 10
    with pytest.raises(FileRefused, match="took more than 0 seconds"):
        read_table(data, "a.csv", limits=Limits(max_bytes=MB, seconds=0))
