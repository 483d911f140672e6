"""The organisation tree: each organisation's parent, its ancestors and descendants,
and the system (ICB) it belongs to. The one home of these questions; organisations
are few, so the whole tree is read in one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from asgiref.local import Local
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save

Tree = tuple[dict[int, int | None], dict[int, list[int]]]

# The tree as read once during the request being served: a page asks the tree
# several times (the user's grants, the getters, the report's scope), and each
# reading was a query. Forgotten when the request ends and whenever an organisation
# is saved or deleted in this thread, so a request that changes the tree sees it.
_request = Local()


def hierarchy() -> Tree:
    """Every organisation's parent, and its children (treat both as read-only)."""
    from qualitas.web.organisations.models import Organisation

    held: Tree | None = getattr(_request, "tree", None)
    if held is not None:
        return held
    parents: dict[int, int | None] = dict(
        Organisation.objects.order_by().values_list("id", "parent_id")
    )
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in parents.items():
        if parent is not None:
            children[parent].append(child)
    held = (parents, children)
    if getattr(_request, "serving", False):
        _request.tree = held
    return held


def _serving(**kwargs: Any) -> None:
    _request.serving, _request.tree = True, None


def _served(**kwargs: Any) -> None:
    _request.serving, _request.tree = False, None


def _changed(**kwargs: Any) -> None:
    _request.tree = None


request_started.connect(_serving, dispatch_uid="qualitas-tree-serving")
request_finished.connect(_served, dispatch_uid="qualitas-tree-served")
post_save.connect(
    _changed, sender="organisations.Organisation", dispatch_uid="qualitas-tree-saved"
)
post_delete.connect(
    _changed, sender="organisations.Organisation", dispatch_uid="qualitas-tree-gone"
)


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
