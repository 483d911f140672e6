"""Searching what projects learnt, abandoned ideas included, within what each person
may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from qualitas.web.projects import learning
from qualitas.web.projects.models import ChangeIdea, PDSACycle
from tests.web.projects import factories as pf


@pytest.fixture
def abandoned(pworld):
    idea = pworld["untested"]
    pf.CycleFactory(
        change_idea=idea,
        number=1,
        title="Pads for four patients",
        stage=PDSACycle.Stage.DONE,
        prediction_recorded_at=timezone.now(),
        started_on=dt.date(2024, 4, 1),
        ended_on=dt.date(2024, 4, 8),
        result="Alarms sounded 140 times in a week",
        outcome="no",
        decision="abandon",
        decision_reason="Alarm fatigue: staff stopped responding.",
        decided_on=dt.date(2024, 4, 9),
    )
    ChangeIdea.objects.filter(pk=idea.pk).update(status="abandoned")
    return pworld


def _kinds(hits):
    return sorted((h.kind, h.title) for h in hits)


def test_search_finds_aims_ideas_and_pdsa_learning(abandoned):
    user = abandoned["people"]["colleague"]
    _, hits = learning.search(user, "fall")
    assert ("aim", "Fewer falls on Ward 5") in _kinds(hits)
    _, hits = learning.search(user, "call bell")
    cycle = next(h for h in hits if h.kind == "cycle")
    assert ("Learning", "Night staff found the call bell out of reach.") in cycle.fields


def test_abandoned_ideas_are_found_with_why(abandoned):
    user = abandoned["people"]["colleague"]
    terms, hits = learning.search(user, "fatigue")
    assert terms == ["fatigue"]
    idea = next(h for h in hits if h.kind == "idea")
    assert idea.title == "Sensor alarms"
    assert idea.abandoned
    assert "Alarm fatigue" in idea.why
    _, only = learning.search(user, "", only_abandoned=True)
    assert [h.title for h in only] == ["Sensor alarms"]


def test_every_word_must_match(abandoned):
    user = abandoned["people"]["colleague"]
    assert learning.search(user, "alarms fatigue")[1]
    assert not learning.search(user, "alarms sepsis")[1]


def test_different_endings_of_a_word_match(abandoned):
    user = abandoned["people"]["colleague"]
    for text in ("alarm", "alarms", "Alarms", "ALARM"):
        assert any(h.title == "Sensor alarms" for h in learning.search(user, text)[1])


def test_people_only_find_what_they_may_see(abandoned):
    assert learning.search(abandoned["people"]["outsider"], "falls")[1] == []
    assert learning.search(abandoned["people"]["patient_partner"], "falls")[1] == []
    # A partner with summary access finds the aim and ideas but not PDSA details.
    _, hits = learning.search(abandoned["people"]["partner_summary"], "fatigue")
    idea = next(h for h in hits if h.kind == "idea")
    assert idea.why == ""
    assert all(h.kind != "cycle" for h in hits)


def test_the_search_page_marks_the_words(abandoned, client):
    client.force_login(abandoned["people"]["colleague"])
    response = client.get(reverse("projects:learning"), {"q": "fatigue"})
    html = response.content.decode()
    assert "<mark>fatigue</mark>" in html
    assert "Abandoned" in html
    partial = client.get(
        reverse("projects:learning"), {"q": "fatigue"}, HTTP_HX_REQUEST="true"
    )
    assert "<html" not in partial.content.decode()
    assert "<mark>fatigue</mark>" in partial.content.decode()


def test_stems_drop_common_words_and_endings():
    assert learning.stems("The falls and the alarms") == ["fall", "alarm"]
    assert learning.stems("a an of") == []


@given(st.text(max_size=200))
def test_marking_keeps_the_text_in_order(text):
    pieces = learning.mark(text, ["fall"], width=10_000)
    assert "".join(p for p, _ in pieces) == text
    assert all(p.lower().startswith("fall") for p, hit in pieces if hit)
