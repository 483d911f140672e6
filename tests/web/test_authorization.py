"""The authorization package's own rules: the organisation tree, and the registry that
fails loudly instead of guessing."""

from __future__ import annotations

import pytest

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import (
    ancestors,
    descendants,
    has_permission,
    hierarchy,
    rule,
    same_system,
    system_of,
)


def test_the_tree_knows_each_organisations_system(world):
    parents, children = hierarchy()
    a, b, icb = world["trust_a"], world["trust_b"], world["system"]
    assert ancestors(a.pk, parents) == [icb.pk]
    assert sorted(descendants(icb.pk, children)) == sorted([a.pk, b.pk])
    assert system_of(a.pk) == system_of(b.pk) == icb.pk
    assert same_system({a.pk}) == {icb.pk, a.pk, b.pk}
    assert world["other_trust"].pk not in same_system({a.pk})


def test_an_object_with_no_rule_and_no_organisation_is_an_error(world):
    user = world["role_users"]["administrator"]
    with pytest.raises(TypeError, match="no rule"):
        has_permission(user, Permission.ADMINISTER, user)  # a user has neither


def test_a_model_gets_one_rule_only():
    with pytest.raises(ValueError, match="already has a rule"):
        rule("projects.Project")(lambda user, permission, obj: True)


def test_the_tree_is_read_once_a_request_and_a_change_in_it_is_seen_at_once(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qualitas.web.authorization import tree
    from tests.web.factories import OrganisationFactory

    # What the request_started and request_finished signals do (sending the signals
    # themselves would also close the test's database connection).
    tree._serving()
    try:
        with CaptureQueriesContext(connection) as read:
            first = tree.hierarchy()
            assert tree.hierarchy() is first
        assert len(read.captured_queries) == 1
        practice = OrganisationFactory(ods_code="Y01", parent=world["trust_a"])
        parents, children = tree.hierarchy()
        assert parents[practice.pk] == world["trust_a"].pk
        assert practice.pk in tree.descendants(world["system"].pk, children)
    finally:
        tree._served()
    # Outside a request nothing is kept.
    with CaptureQueriesContext(connection) as read:
        tree.hierarchy()
        tree.hierarchy()
    assert len(read.captured_queries) == 2
