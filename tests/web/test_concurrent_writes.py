"""Many people and pipelines writing to one measure at the same moment, against a real
threaded server: no 500s, and exactly the rows they sent.

Each writer runs in its own thread and talks HTTP to ``live_server``: API posts, file
uploads (check, then apply) and entry-form saves, twenty at once, all to one measure at
one trust. Every writer sends a month of its own and (but the form writers, which save
one month a post, send it in a second post) the same shared month, so on PostgreSQL
overlapping writers race for the same row. Writers queue for each other (SQLite's
write lock, PostgreSQL's lock on the series), so every one succeeds at the first
attempt: neither a 500 nor a 503 ("busy, try again"). The web tests run on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from qualitas.web.accounts.services import create_api_token
from qualitas.web.measures.models import ImportBatch, Observation
from tests.web import factories as f
from tests.web.live_http import Answer, Browser, send

WRITERS = 20
SHARED = dt.date(2019, 12, 1)


def _month(i: int) -> dt.date:
    return dt.date(2020 + i // 12, i % 12 + 1, 1)


@pytest.fixture
def scene(transactional_db):
    system = f.SystemFactory(ods_code="QCC")
    trust = f.OrganisationFactory(ods_code="RCC", parent=system)
    measure = f.MeasureFactory(code="falls-live", organisation=system)
    analyst = f.MembershipFactory(organisation=trust, role="analyst").user
    _, token = create_api_token(by=analyst, name="pipeline")
    return {"trust": trust, "measure": measure, "analyst": analyst, "token": token}


def _sent(call, statuses: list[int]) -> Answer:
    answer = call()
    statuses.append(answer.status)
    return answer


def _api_writer(base, person, scene, i, statuses):
    rows = [
        {
            "measure": scene["measure"].code,
            "organisation": "RCC",
            "period": p.isoformat(),
            "numerator": i + 1,
            "denominator": 100,
        }
        for p in (_month(i), SHARED)
    ]
    body = json.dumps({"organisation": "RCC", "observations": rows}).encode()
    answer = _sent(
        lambda: send(
            "POST",
            base + "/api/v1/observations",
            body=body,
            headers={
                "Authorization": f"Bearer {scene['token']}",
                "Content-Type": "application/json",
            },
        ),
        statuses,
    )
    assert answer.status == 201, answer.body[:300]


def _upload_writer(base, person, scene, i, statuses):
    person.get("/data/upload/")
    csv = (
        "measure,organisation,period,numerator,denominator\n"
        f"{scene['measure'].code},RCC,{_month(i):%Y-%m},{i + 1},100\n"
        f"{scene['measure'].code},RCC,{SHARED:%Y-%m},{i + 1},100\n"
    ).encode()
    checked = _sent(
        lambda: person.post_file(
            "/data/upload/", {"organisation": "RCC"}, "file", f"w{i}.csv", csv
        ),
        statuses,
    )
    assert checked.status == 302, checked.body[:300]
    batch_page = checked.headers["Location"]
    person.get(batch_page)
    applied = _sent(lambda: person.post(batch_page + "apply/", {}), statuses)
    assert applied.status == 302, applied.body[:300]


def _entry_writer(base, person, scene, i, statuses):
    page = f"/measures/{scene['measure'].code}/at/RCC/entry/"
    person.get(page)
    for period in (_month(i), SHARED):
        saved = _sent(
            lambda p=period: person.post(
                page,
                {"period": f"{p:%Y-%m}", "numerator": str(i + 1), "denominator": "100"},
            ),
            statuses,
        )
        assert saved.status == 302, saved.body[:300]


def test_twenty_simultaneous_writers_get_no_errors_and_leave_exactly_their_rows(
    live_server, scene
):
    kinds = [_api_writer, _upload_writer, _entry_writer]
    statuses: list[list[int]] = [[] for _ in range(WRITERS)]
    failures: list[BaseException] = []
    start = threading.Barrier(WRITERS)
    # Sessions are made here: a thread that touches the database through Django
    # keeps a connection the server's threads would then lack.
    people = [Browser(live_server.url, scene["analyst"]) for _ in range(WRITERS)]

    def run(i):
        try:
            start.wait()
            kinds[i % 3](live_server.url, people[i], scene, i, statuses[i])
        except BaseException as e:  # reported below, with the writer's number
            failures.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)

    every = [s for per_writer in statuses for s in per_writer]
    assert 500 not in every
    assert 503 not in every
    assert not failures, failures[0]
    rows = Observation.objects.filter(
        measure=scene["measure"], organisation=scene["trust"]
    )
    assert rows.count() == WRITERS + 1
    assert sorted(rows.exclude(period=SHARED).values_list("period", flat=True)) == [
        _month(i) for i in range(WRITERS)
    ]
    for i in range(WRITERS):
        own = rows.get(period=_month(i))
        assert (own.numerator, own.denominator) == (i + 1, 100)
    shared = rows.get(period=SHARED)
    assert shared.numerator in {i + 1 for i in range(WRITERS)}
    uploads = ImportBatch.objects.filter(source=ImportBatch.Source.UPLOAD)
    assert uploads.count() == len(range(1, WRITERS, 3))
    assert set(uploads.values_list("status", flat=True)) == {"applied"}
