"""The organisation tree: each organisation's parent, its ancestors and descendants,
and the system (ICB) it belongs to. The one home of these questions; organisations
are few, so the whole tree is read in one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def hierarchy() -> tuple[dict[int, int | None], dict[int, list[int]]]:
    """Every organisation's parent, and its children."""
    from qualitas.web.organisations.models import Organisation

    parents: dict[int, int | None] = dict(
        Organisation.objects.values_list("id", "parent_id")
    )
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in parents.items():
        if parent is not None:
            children[parent].append(child)
    return parents, children


def ancestors(org_id: int, parents: dict[int, int | None]) -> list[int]:
    """The organisation's parent, its parent's parent, … (nearest first)."""
    out: list[int] = []
    seen = {org_id}
    parent = parents.get(org_id)
    while parent is not None and parent not in seen:
        out.append(parent)
        seen.add(parent)
        parent = parents.get(parent)
    return out


def descendants(org_id: int, children: dict[int, list[int]]) -> list[int]:
    """Every organisation below this one, at any depth."""
    out: list[int] = []
    seen: set[int] = set()
    stack = list(children.get(org_id, ()))
    while stack:
        o = stack.pop()
        if o in seen:
            continue
        seen.add(o)
        out.append(o)
        stack.extend(children.get(o, ()))
    return out


def system_of(org_id: int, parents: dict[int, int | None] | None = None) -> int:
    """The top of an organisation's tree (its system, or itself)."""
    if parents is None:
        parents, _ = hierarchy()
    chain = ancestors(org_id, parents)
    return chain[-1] if chain else org_id


def same_system(org_ids: Iterable[int]) -> set[int]:
    """Every organisation in the same system as any of ``org_ids``."""
    org_ids = set(org_ids)
    if not org_ids:
        return set()
    parents, children = hierarchy()
    out: set[int] = set()
    for top in {system_of(o, parents) for o in org_ids}:
        out.add(top)
        out.update(descendants(top, children))
    return out
