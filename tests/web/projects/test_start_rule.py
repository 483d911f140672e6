"""The rule that a test cannot start before its prediction was recorded, for any
moment and day: the refusal and the cycle page's words agree with each other."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from qualitas.web.projects.models import PDSACycle
from qualitas.web.projects.services import check_start

moments = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31)
).map(lambda d: d.replace(tzinfo=dt.UTC))
days = st.dates(min_value=dt.date(2019, 12, 25), max_value=dt.date(2031, 1, 5))


@given(recorded=moments, started=days)
def test_a_start_is_refused_exactly_when_it_is_before_the_prediction_day(
    recorded, started
):
    cycle = PDSACycle(prediction_recorded_at=recorded, started_on=started)
    prediction_day = timezone.localdate(recorded)  # in the site's time zone
    if started < prediction_day:
        with pytest.raises(ValidationError):
            check_start(cycle, started)
        assert cycle.prediction_order == "after"
    else:
        check_start(cycle, started)
        assert cycle.prediction_order in ("before", "same_day")
        # The page says "before" only when the prediction's day came first.
        assert (cycle.prediction_order == "before") == (prediction_day < started)


def test_around_midnight_the_day_is_the_site_s_not_utc_s():
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
    recorded = dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC)
    cycle = PDSACycle(prediction_recorded_at=recorded)
    assert cycle.earliest_start() == dt.date(2025, 7, 1)
    with pytest.raises(ValidationError, match="recorded on 1 July 2025"):
        check_start(cycle, dt.date(2025, 6, 30))
