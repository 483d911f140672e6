"""Loading published statistics for a measure: every organisation in one go, checked
like any upload, and the measure marked as published."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from qualitas.web.measures import published
from qualitas.web.measures.models import ImportBatch, Measure, Observation
from qualitas.web.organisations.models import Organisation
from tests.web import factories as f


@pytest.fixture
def owner(db):
    system = f.SystemFactory(name="North ICB", ods_code="QNN")
    measure = f.MeasureFactory(
        code="ae-4-hour",
        organisation=system,
        unit="% within 4 hours",
        multiplier=100,
        direction=Measure.Direction.INCREASE,
    )
    analyst = f.MembershipFactory(organisation=system, role="analyst").user
    analyst.username = "aisha"
    analyst.save()
    board = f.MembershipFactory(organisation=system, role="board_member").user
    return {"system": system, "measure": measure, "analyst": analyst, "board": board}


def _rows(*codes: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "organisation": [c for c in codes for _ in range(2)],
            "period": ["2024-01-01", "2024-02-01"] * len(codes),
            "numerator": ["900", "880"] * len(codes),
            "denominator": ["1000", "1000"] * len(codes),
        }
    )


def test_a_published_load_adds_new_organisations_and_publishes_the_measure(owner):
    m = owner["measure"]
    batch = published.load_published(
        by=owner["analyst"],
        measure=m,
        frame=_rows("RXA", "RXB", "RXC"),
        filename="national.csv",
        names={"RXA": "Trust Alpha"},
    )
    assert batch.status == ImportBatch.Status.APPLIED
    assert batch.rows == 6
    new = Organisation.objects.filter(ods_code__in=["RXA", "RXB", "RXC"])
    assert new.count() == 3
    assert all(o.parent_id is None and o.kind == "trust" for o in new)
    assert Organisation.objects.get(ods_code="RXA").name == "Trust Alpha"
    assert Observation.objects.filter(measure=m).count() == 6
    m.refresh_from_db()
    assert m.sharing == Measure.Sharing.PUBLISHED


def test_a_bad_row_refuses_the_whole_load_naming_row_and_column(owner):
    frame = _rows("RXA", "RXB")
    frame.loc[3, "numerator"] = "1200"  # more than the denominator
    frame.loc[1, "organisation"] = "not a code!"
    with pytest.raises(published.Refused, match="row 3, organisation"):
        published.load_published(
            by=owner["analyst"], measure=owner["measure"], frame=frame, filename="x"
        )
    frame.loc[1, "organisation"] = "RXA"
    with pytest.raises(published.Refused, match="row 5, numerator"):
        published.load_published(
            by=owner["analyst"], measure=owner["measure"], frame=frame, filename="x"
        )
    # Nothing changed: no organisation, no figure, the measure not published.
    assert not Organisation.objects.filter(ods_code__in=["RXA", "RXB"]).exists()
    assert not Observation.objects.exists()
    owner["measure"].refresh_from_db()
    assert owner["measure"].sharing == Measure.Sharing.OWN
    assert ImportBatch.objects.filter(status="rejected").count() == 2


def test_only_the_owner_of_the_definition_may_publish(owner):
    with pytest.raises(PermissionDenied):
        published.load_published(
            by=owner["board"],
            measure=owner["measure"],
            frame=_rows("RXA"),
            filename="x",
        )
    outsider = f.MembershipFactory(role="administrator").user
    with pytest.raises(PermissionDenied):
        published.load_published(
            by=outsider, measure=owner["measure"], frame=_rows("RXA"), filename="x"
        )
    assert not Observation.objects.exists()


def test_one_command_loads_the_shipped_national_data(owner):
    call_command("load_published", "ae-4-hour", by="aisha")
    m = owner["measure"]
    m.refresh_from_db()
    assert m.sharing == Measure.Sharing.PUBLISHED
    orgs = Observation.objects.filter(measure=m).values("organisation").distinct()
    assert orgs.count() == 140  # every type 1 department's trust in the file
    named = Organisation.objects.get(ods_code="RAE")
    assert named.name == "Bradford Teaching Hospitals NHS Foundation Trust"


def test_the_command_loads_a_file_and_says_why_it_refuses(owner, tmp_path):
    path = tmp_path / "national.csv"
    frame = _rows("RXA", "RXB").assign(organisation_name="Trust X")
    frame.to_csv(path, index=False)
    call_command("load_published", "ae-4-hour", str(path), by="aisha")
    assert Organisation.objects.get(ods_code="RXB").name == "Trust X"
    with pytest.raises(CommandError, match="may not publish"):
        call_command(
            "load_published", "ae-4-hour", str(path), by=owner["board"].username
        )
    with pytest.raises(CommandError, match="no measure"):
        call_command("load_published", "ae-4-hour-x", by="aisha")
    f.MeasureFactory(code="falls", organisation=owner["system"])
    with pytest.raises(CommandError, match="ships no published data"):
        call_command("load_published", "falls", by="aisha")


def test_the_shipped_proms_bring_their_spread_for_comparing_means(owner):
    hip = f.MeasureFactory(
        code="hip-health-gain",
        organisation=owner["system"],
        aggregation=Measure.Aggregation.MEAN,
        unit="Oxford Hip Score points",
        multiplier=1,
    )
    call_command("load_published", "hip-health-gain", by="aisha")
    hip.refresh_from_db()
    assert hip.record_sd == pytest.approx(7.82793)
    rows = Observation.objects.filter(measure=hip, denominator__isnull=False)
    assert rows.count() > 100
    one = rows.first()
    assert one.numerator == pytest.approx(one.value * one.denominator, rel=1e-4)
