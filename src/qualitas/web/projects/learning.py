"""Search across what projects have learnt: aims and problems, change ideas (abandoned
ones included, with why), and what PDSA cycles predicted, found and decided.

The search is deliberately portable: every word must appear (case-insensitively) in
one of a record's fields, which is a LIKE query on SQLite and PostgreSQL alike. Words
are cut to a simple stem (falls -> fall, screening -> screen), so different endings
of a word still match. Results are ranked by how often the words appear, titles
counting more.

>>> stems("Falls at night, screening studies")
['fall', 'night', 'screen', 'stud']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import Q
from django.urls import reverse

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import has_permission
from qualitas.web.projects.models import ChangeIdea, PDSACycle, Project

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "we",
        "were",
        "will",
        "with",
    ]
)
MAX_TERMS = 8
LIMIT = 60


def stems(text: str) -> list[str]:
    """The search words of ``text``, cut to simple stems, without common words."""
    out: list[str] = []
    for word in re.findall(r"[\w'-]+", text.lower()):
        word = word.strip("'-")
        if len(word) < 2 or word in STOP_WORDS:
            continue
        out.append(_stem(word))
    return list(dict.fromkeys(out))[:MAX_TERMS]


def _stem(word: str) -> str:
    for suffix, keep in (("ies", 4), ("ing", 5), ("ed", 5), ("es", 5), ("s", 4)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep - 1:
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: -len(suffix)]
    return word


@dataclass
class Hit:
    kind: str  # "aim", "idea" or "cycle"
    title: str
    project: Project
    url: str
    fields: list[tuple[str, str]]  # (label, text) shown with the words marked
    abandoned: bool = False
    why: str = ""
    score: float = 0.0
    status: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _where(fields: list[str], terms: list[str]) -> Q:
    return reduce(
        and_,
        (reduce(or_, (Q(**{f"{f}__icontains": t}) for f in fields)) for t in terms),
    )


def _score(terms: list[str], title: str, texts: list[str]) -> float:
    title, body = title.lower(), " ".join(texts).lower()
    return sum(3 * title.count(t) + body.count(t) for t in terms)


PROJECT_FIELDS = ["title", "aim_what", "problem", "priority"]
IDEA_FIELDS = ["title", "description"]
CYCLE_FIELDS = [
    "title",
    "question",
    "prediction",
    "what_happened",
    "result",
    "learning",
    "decision_reason",
]


def search(
    user: Any, text: str, *, only_abandoned: bool = False, limit: int = LIMIT
) -> tuple[list[str], list[Hit]]:
    """The words searched for, and what matched among projects the user may read."""
    terms = stems(text)
    if not terms and not only_abandoned:
        return terms, []
    visible = Project.objects.visible_to(user)
    hits: list[Hit] = []
    work = {}

    def may_see_work(project: Project) -> bool:
        if project.pk not in work:
            work[project.pk] = has_permission(
                user, Permission.VIEW_PROJECT_WORK, project
            )
        return work[project.pk]

    if not only_abandoned:
        projects = visible.filter(_where(PROJECT_FIELDS, terms)).select_related(
            "organisation", "unit"
        )
        for p in projects[:limit]:
            hits.append(
                Hit(
                    kind="aim",
                    title=p.title,
                    project=p,
                    url=reverse("projects:detail", args=[p.pk]),
                    fields=[("Aim", p.aim_sentence()), ("Problem", p.problem)],
                    score=_score(terms, p.title, [p.aim_what, p.problem, p.priority]),
                    status=p.get_status_display(),
                )
            )
    ideas = ChangeIdea.objects.filter(project__in=visible).select_related(
        "project", "project__organisation", "project__unit"
    )
    if terms:
        # An idea matches on its own words or on why its cycles abandoned it.
        ideas = ideas.filter(
            _where(IDEA_FIELDS, terms)
            | Q(
                pk__in=PDSACycle.objects.filter(
                    _where(["decision_reason", "learning"], terms)
                ).values("change_idea_id")
            )
        )
    if only_abandoned:
        ideas = ideas.filter(status=ChangeIdea.Status.ABANDONED)
    ideas = list(ideas.distinct()[:limit])
    reasons = _abandon_reasons([i.pk for i in ideas if i.status == "abandoned"])
    for idea in ideas:
        abandoned = idea.status == ChangeIdea.Status.ABANDONED
        why = reasons.get(idea.pk, "") if may_see_work(idea.project) else ""
        hits.append(
            Hit(
                kind="idea",
                title=idea.title,
                project=idea.project,
                url=reverse("projects:idea", args=[idea.project_id, idea.pk]),
                fields=[("Description", idea.description)]
                + ([("Why it was abandoned", why)] if why else []),
                abandoned=abandoned,
                why=why,
                score=_score(terms, idea.title, [idea.description, why]) + 0.5,
                status=idea.get_status_display(),
            )
        )
    if not only_abandoned:
        cycles = (
            PDSACycle.objects.filter(change_idea__project__in=visible)
            .filter(_where(CYCLE_FIELDS, terms))
            .select_related("change_idea__project__organisation")
        )
        for c in cycles[:limit]:
            project = c.change_idea.project
            if not may_see_work(project):
                continue
            hits.append(
                Hit(
                    kind="cycle",
                    title=f"{c.change_idea.title}: cycle {c.number}, {c.title}",
                    project=project,
                    url=reverse("projects:cycle", args=[project.pk, c.pk]),
                    fields=[
                        ("Question", c.question),
                        ("Prediction", c.prediction),
                        ("What happened", c.what_happened),
                        ("Result", c.result),
                        ("Learning", c.learning),
                        ("Decision", c.decision_reason),
                    ],
                    abandoned=c.decision == PDSACycle.Decision.ABANDON,
                    why=c.decision_reason
                    if c.decision == PDSACycle.Decision.ABANDON
                    else "",
                    score=_score(
                        terms,
                        c.title,
                        [
                            c.question,
                            c.prediction,
                            c.what_happened,
                            c.result,
                            c.learning,
                            c.decision_reason,
                        ],
                    ),
                    status=(
                        c.get_decision_display()
                        if c.decision
                        else c.get_stage_display()
                    ),
                )
            )
    hits.sort(key=lambda h: (-h.score, h.title.lower()))
    for h in hits:
        h.fields = [(label, text) for label, text in h.fields if text]
    return terms, hits[:limit]


def _abandon_reasons(idea_ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for idea_id, reason in (
        PDSACycle.objects.filter(change_idea_id__in=idea_ids, decision="abandon")
        .order_by("change_idea_id", "-decided_on", "-number")
        .values_list("change_idea_id", "decision_reason")
    ):
        out.setdefault(idea_id, reason)
    return out


def mark(text: str, terms: list[str], width: int = 240) -> list[tuple[str, bool]]:
    """``text`` cut to about ``width`` characters around the first match, as pieces
    (text, is a match) for the page to mark up safely.

    >>> mark("Night staff found the call bell", ["bell"])
    [('Night staff found the call ', False), ('bell', True)]
    """
    if not terms:
        return [(text[:width], False)]
    # A match runs to the end of its word, so "alarm" marks all of "alarms".
    pattern = re.compile("|".join(re.escape(t) + r"\w*" for t in terms), re.IGNORECASE)
    first = pattern.search(text)
    start = 0
    if first and first.start() > width // 2:
        start = text.rfind(" ", 0, first.start() - width // 3) + 1
    end = min(len(text), start + width)
    piece = text[start:end]
    out: list[tuple[str, bool]] = []
    if start:
        out.append(("…", False))
    pos = 0
    for m in pattern.finditer(piece):
        if m.start() > pos:
            out.append((piece[pos : m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(piece):
        out.append((piece[pos:], False))
    if end < len(text):
        out.append(("…", False))
    return out
