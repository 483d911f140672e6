"""Every URL of qualitas, requested as every role, an outsider, another system's
administrator and an anonymous visitor, gets the answer this table says.

The personas are the roles at Trust A of the ``world`` fixture (``board``,
``executive``, ``qi-lead``, ``team``, ``analyst``, ``patient-partner``, ``finance``,
``admin``), ``outsider`` (an analyst at a trust in another system),
``foreign-admin`` (the administrator of that other system) and ``anonymous``.
None of the Trust A roles is on the project's team or a partner on it: those
people are tested in tests/web/projects/test_access.py.

Each answer is one of:

- ``ok``: the view let them in (2xx, or a redirect that is not to a sign-in page);
- ``login``: sent to sign in (the site's or the admin's), or 401 from the API;
- ``403``: may see the thing but not do this;
- ``404``: may not learn that the thing exists (the admin says so by sending them
  back to its index with "doesn't exist").

**Adding a URL.** ``test_every_url_is_in_the_matrix`` fails when a URL pattern has
no row. Add one to ``ROUTES`` keyed by the URL's name (``"app:name"``; an unnamed
pattern by its route, as the failure message prints it): how to build the URL from
the world (``kw``), the method and form data that a real request would send, and
the answers, usually written with ``ours(...)`` (Trust A roles that may; the other
Trust A roles get 403 and people from the other system 404) or ``signed_in()``.
A model registered in the admin needs a row in ``ADMIN_MODELS`` instead: the object
of Trust A its change, delete and history pages open. Then run this file; a wrong
answer fails with the persona, the URL and what came back. Each request runs in a
transaction that is rolled back, so a POST cannot change what the next persona sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

OK, LOGIN, DENIED, HIDDEN = "ok", "login", "403", "404"
ROLES = {
    "board": "board_member",
    "executive": "executive",
    "qi-lead": "qi_lead",
    "team": "team_member",
    "analyst": "analyst",
    "patient-partner": "patient_partner",
    "finance": "finance",
    "admin": "administrator",
}
OUTSIDERS = ("outsider", "foreign-admin")
PERSONAS = (*ROLES, *OUTSIDERS, "anonymous")


def answers(**given: str) -> dict[str, str]:
    """Persona -> answer; keys use ``_`` for ``-``; every persona must be given."""
    out = {k.replace("_", "-"): v for k, v in given.items()}
    assert set(out) == set(PERSONAS), sorted(set(PERSONAS) ^ set(out))
    return out


def ours(
    may: str = "*", *, outsiders: str = HIDDEN, anonymous: str = LOGIN, **other: str
) -> dict[str, str]:
    """Something of Trust A: the roles in ``may`` (space-separated, ``*`` for all) get
    in, the other Trust A roles get 403, both outsiders ``outsiders``; ``other``
    overrides single personas (``patient_partner=HIDDEN``)."""
    allowed = set(ROLES) if may == "*" else set(may.split())
    assert allowed <= set(ROLES), allowed - set(ROLES)
    out = {r: OK if r in allowed else DENIED for r in ROLES}
    out |= dict.fromkeys(OUTSIDERS, outsiders) | {"anonymous": anonymous}
    out |= {k.replace("_", "-"): v for k, v in other.items()}
    assert set(out) == set(PERSONAS)
    return out


def signed_in(**other: str) -> dict[str, str]:
    """A page anyone signed in may open (it shows only what they may see)."""
    return ours("*", outsiders=OK, **other)


def public() -> dict[str, str]:
    return ours("*", outsiders=OK, anonymous=OK)


def admin_only(*, foreign_admin: str = OK, admin: str = OK) -> dict[str, str]:
    """The admin site: only administrators get in; everyone else is sent to the
    admin's sign-in page."""
    return ours(
        "admin", outsider=LOGIN, foreign_admin=foreign_admin, admin=admin, **_all(LOGIN)
    )


def _all(answer: str) -> dict[str, str]:
    """Every Trust A role but the administrator (for ``ours`` overrides)."""
    return {r.replace("-", "_"): answer for r in ROLES if r != "admin"}


def _hidden_but(*roles: str) -> dict[str, str]:
    """404 for every Trust A role but ``roles`` (for ``ours`` overrides)."""
    return {r.replace("-", "_"): HIDDEN for r in ROLES if r not in roles}


def _no_batch() -> dict[str, str]:
    # An import batch is seen only by people who may import at its organisation.
    return {r.replace("-", "_"): HIDDEN for r in ROLES if r not in ("analyst", "admin")}


@dataclass(frozen=True)
class Route:
    kw: Callable[[dict], dict] = lambda c: {}
    expect: dict[str, str] = field(default_factory=signed_in)
    method: str = "get"
    data: Callable[[dict], dict] | None = None
    api: bool = False  # signs in with the persona's API token, not a session
    query: str = ""
    path: Callable[[dict], str] | None = None  # for a pattern without a name
    opens_object: bool = False  # an admin page of one object (see _answer)


def _m(c):
    return {"code": c["measure"].code}


def _mo(c):
    return {"code": c["measure"].code, "ods": "RAA"}


def _raa(c):
    return {"ods": "RAA"}


def _p(c):
    return {"pk": c["project"].pk}


def _on(key: str, name: str) -> Callable[[dict], dict]:
    return lambda c: {"pk": c["project"].pk, key: c[name].pk}


def _pk(name: str) -> Callable[[dict], dict]:
    return lambda c: {"pk": c[name].pk}


def _data(**values: Any) -> Callable[[dict], dict]:
    return lambda c: {k: v(c) if callable(v) else v for k, v in values.items()}


PROJECT_EDIT = "qi-lead admin"  # EDIT_PROJECTS at Trust A; the team is tested elsewhere
PROJECT_READ = "board executive qi-lead team analyst finance admin"
# A patient partner who is not a partner on the project must not learn it exists.
project_page = ours(PROJECT_READ, patient_partner=HIDDEN)
project_edit = ours(PROJECT_EDIT, patient_partner=HIDDEN)
MANAGE = "qi-lead analyst admin"  # MANAGE_MEASURES
PREPARE = "executive qi-lead analyst admin"  # PREPARE_MEETINGS
EXPORT = "board executive qi-lead analyst finance admin"  # EXPORT_REPORT


def _stored(c):
    """A stored value of Trust A (for correcting it)."""
    from qualitas.web.measures.models import Observation

    return (
        Observation.objects.totals()
        .filter(measure=c["measure"], organisation=c["trust_a"])
        .order_by("period")
        .first()
    )


def _correction(c):
    from qualitas.web.measures.models import Correction

    obs = _stored(c)
    return Correction.objects.get_or_create(
        measure=obs.measure,
        organisation=obs.organisation,
        period=obs.period,
        kind="corrected",
        old_value=obs.value + 1,
        new_value=obs.value,
        reason="Counted twice in the ward tally.",
    )[0]


def _unsubscribe_token(user) -> str:
    from qualitas.web.notifications import tokens

    return tokens.make(user.pk)


ROUTES: dict[str, Route] = {
    # the site
    "home": Route(),
    "healthz": Route(expect=public()),
    "favicon": Route(expect=public()),
    "components": Route(),
    # What each role may do: the same for everyone signed in.
    "roles": Route(),
    # accounts
    "accounts:login": Route(expect=public()),
    # Importing people: any administrator (of their own organisations only, checked
    # row by row: tests/web/test_people_import.py).
    "accounts:people_import": Route(
        expect=ours("admin", outsider=DENIED, foreign_admin=OK)
    ),
    # An invitation's set-password link: public; a made-up one says it does not work.
    "accounts:welcome": Route(
        kw=lambda c: {"uidb64": "MQ", "token": "made-up"}, expect=public()
    ),
    # Signing out needs no permission and ends on the sign-in page.
    "accounts:logout": Route(
        method="post", expect=ours(outsiders=LOGIN, **_all(LOGIN), admin=LOGIN)
    ),
    "accounts:password": Route(),
    "accounts:tokens": Route(
        expect=ours("analyst admin", outsiders=OK),
    ),
    "accounts:revoke_token": Route(
        # Only its owner revokes a token; an administrator does it in the admin.
        _pk("token"),
        method="post",
        expect=ours("analyst", admin=HIDDEN),
    ),
    # Single sign-on's pages answer 404 where it is not set up, as here; with it on
    # they are tested in tests/web/test_sso.py and tests/browser/test_single_sign_on.py.
    "accounts:sso_start": Route(expect=dict.fromkeys(PERSONAS, HIDDEN)),
    "accounts:sso_callback": Route(expect=dict.fromkeys(PERSONAS, HIDDEN)),
    "accounts:sso_problem": Route(expect=dict.fromkeys(PERSONAS, HIDDEN)),
    "accounts:request_access": Route(expect=dict.fromkeys(PERSONAS, HIDDEN)),
    # Requests for access: administrators decide for the organisations they administer.
    "accounts:access_requests": Route(
        expect=ours("admin", outsider=DENIED, foreign_admin=OK)
    ),
    "accounts:access_setting": Route(
        _raa,
        method="post",
        data=_data(accepts="yes"),
        expect=ours("admin", outsider=DENIED, foreign_admin=HIDDEN),
    ),
    "accounts:approve_access": Route(
        _pk("access"),
        method="post",
        data=_data(role="team_member"),
        expect=ours("admin", outsider=DENIED, foreign_admin=HIDDEN),
    ),
    "accounts:decline_access": Route(
        _pk("access"),
        method="post",
        expect=ours("admin", outsider=DENIED, foreign_admin=HIDDEN),
    ),
    "organisations:detail": Route(_raa, expect=ours()),
    "organisations:peer_groups": Route(),
    # measures
    "measures:register": Route(),
    # The measure library: anyone signed in may read it; adopting needs the right
    # to define measures at the organisation.
    "measures:library": Route(),
    "measures:adopt": Route(
        kw=_raa,
        method="post",
        data=lambda c: {"code": ["ae-4-hour"]},
        expect=ours("qi-lead analyst admin"),
    ),
    "measures:create": Route(expect=ours(MANAGE, outsiders=OK)),
    "measures:detail": Route(_m, expect=ours()),
    "measures:edit": Route(_m, expect=ours("")),
    "measures:add_target": Route(
        _m, method="post", data=_data(starts="2025-01", value="3"), expect=ours("")
    ),
    "measures:remove_target": Route(
        lambda c: {"code": c["measure"].code, "pk": c["target"].pk},
        method="post",
        expect=ours(""),
    ),
    "measures:chart": Route(_mo, expect=ours()),
    "measures:compare": Route(_m, expect=ours()),
    "measures:compare_download": Route(
        lambda c: {**_m(c), "fmt": "csv"}, expect=ours()
    ),
    "measures:annotate": Route(
        _mo,
        method="post",
        data=_data(period="2024-02", text="note"),
        expect=ours("executive qi-lead team analyst admin"),
    ),
    "measures:delete_annotation": Route(
        lambda c: {**_mo(c), "pk": c["note"].pk},
        method="post",
        expect=ours("qi-lead admin"),
    ),
    "measures:rebase": Route(_mo, expect=ours("qi-lead analyst admin")),
    "measures:remove_rebase": Route(
        lambda c: {**_mo(c), "pk": c["change"].pk},
        method="post",
        data=_data(reason="no longer true at all"),
        expect=ours("qi-lead analyst admin"),
    ),
    "measures:entry": Route(_mo, expect=ours("qi-lead team analyst admin")),
    "measures:breakdown": Route(
        lambda c: {**_mo(c), "name": "ethnicity"}, expect=ours()
    ),
    # Everyone who reads the chart may read its data; ENTER_DATA corrects it.
    "measures:data": Route(_mo, expect=ours()),
    "measures:correct": Route(
        lambda c: {**_mo(c), "pk": _stored(c).pk},
        method="post",
        data=_data(
            action="withdraw",
            reason="Counted twice in the ward tally.",
            seen=lambda c: _stored(c).updated_at.isoformat(),
        ),
        expect=ours("qi-lead team analyst admin"),
    ),
    # data in
    "data:index": Route(expect=ours("qi-lead team analyst admin", outsiders=OK)),
    "data:upload": Route(expect=ours("analyst admin", outsiders=OK)),
    # Only sends the form on to measures:entry, which checks.
    "data:entry": Route(),
    "data:template": Route(expect=ours("analyst admin", outsiders=OK)),
    "data:history": Route(expect=ours("analyst admin", outsiders=OK)),
    "data:batch": Route(_pk("batch"), expect=ours("analyst admin", **_no_batch())),
    "data:apply": Route(
        _pk("batch"),
        method="post",
        expect=ours("analyst admin", **_no_batch()),
    ),
    "data:discard": Route(
        _pk("batch"), method="post", expect=ours("analyst admin", **_no_batch())
    ),
    # board
    "board:index": Route(),
    "board:report": Route(_raa, expect=ours()),
    "board:csv": Route(_raa, expect=ours(EXPORT)),
    # Trust A's system: its members see the grid (their own figures and shared ones).
    "board:system": Route(lambda c: {"ods": "QAA"}, expect=ours()),
    "board:system_csv": Route(lambda c: {"ods": "QAA"}, expect=ours(EXPORT)),
    # projects
    "projects:portfolio": Route(),
    "projects:create": Route(
        expect=ours("executive qi-lead team admin", outsider=DENIED, foreign_admin=OK)
    ),
    "projects:import": Route(
        expect=ours("executive qi-lead team admin", outsider=DENIED, foreign_admin=OK)
    ),
    "projects:learning": Route(),
    "projects:spread_list": Route(),
    # The spread is to Trust B; the project's editors at Trust A record it too.
    "projects:spread_update": Route(_pk("spread"), expect=project_edit),
    "projects:spread_take_up": Route(_pk("spread"), method="post", expect=project_edit),
    "projects:invitations": Route(),
    # Decided only by an administrator of the invited person's organisation (the
    # outsider's, whose system the foreign administrator runs).
    "projects:invitation_decide": Route(
        _pk("invitation"),
        method="post",
        data=_data(decision="approve"),
        expect=ours(
            "", foreign_admin=OK, outsider=HIDDEN, **_all(HIDDEN), admin=HIDDEN
        ),
    ),
    "projects:detail": Route(_p, expect=project_page),
    "projects:edit": Route(_p, expect=project_edit),
    "projects:export": Route(_p, expect=project_page),
    "projects:diagram": Route(_p, expect=project_page),
    "projects:diagram_svg": Route(_p, expect=project_page),
    "projects:diagram_png": Route(_p, expect=project_page),
    "projects:driver_add": Route(
        _p, method="post", data=_data(text="New driver"), expect=project_edit
    ),
    "projects:driver_edit": Route(
        _on("driver", "primary"),
        method="post",
        data=_data(text="Renamed"),
        expect=project_edit,
    ),
    "projects:driver_remove": Route(
        _on("driver", "secondary"), method="post", expect=project_edit
    ),
    "projects:driver_move": Route(
        _on("driver", "primary"),
        method="post",
        data=_data(direction="down"),
        expect=project_edit,
    ),
    "projects:idea_add": Route(
        _p, method="post", data=_data(title="New idea"), expect=project_edit
    ),
    "projects:idea": Route(_on("idea", "idea"), expect=project_page),
    "projects:idea_edit": Route(_on("idea", "idea"), expect=project_edit),
    "projects:idea_remove": Route(
        _on("idea", "untested"), method="post", expect=project_edit
    ),
    "projects:idea_spread": Route(_on("idea", "idea"), expect=project_edit),
    "projects:cycle_new": Route(_on("idea", "idea"), expect=project_edit),
    "projects:cycles": Route(_p, expect=project_page),
    "projects:cycle": Route(_on("cycle", "planned"), expect=project_page),
    "projects:cycle_plan": Route(_on("cycle", "planned"), expect=project_edit),
    "projects:cycle_start": Route(
        _on("cycle", "planned"),
        method="post",
        # Today: a test cannot be entered as started before its prediction.
        data=_data(started_on=lambda c: timezone.localdate().isoformat()),
        expect=project_edit,
    ),
    "projects:cycle_do": Route(
        _on("cycle", "planned"),
        method="post",
        data=_data(what_happened="x", as_planned="yes"),
        expect=project_edit,
    ),
    "projects:cycle_study": Route(
        _on("cycle", "planned"),
        method="post",
        data=_data(result="x", outcome="yes", ended_on="2024-02-08"),
        expect=project_edit,
    ),
    "projects:cycle_act": Route(
        _on("cycle", "planned"),
        method="post",
        data=_data(decision="adopt"),
        expect=project_edit,
    ),
    "projects:measures": Route(_p, expect=project_page),
    "projects:measure_link": Route(
        _p,
        method="post",
        data=_data(measure="falls", role="balancing"),
        expect=project_edit,
    ),
    "projects:measure_new": Route(_p, expect=project_edit),
    "projects:measure_chart": Route(
        _on("link", "outcome"),
        method="post",
        data=lambda c: {
            f"chart-{c['outcome'].pk}-chart": "control",
            f"chart-{c['outcome'].pk}-reason": "A baseline of 24 months",
        },
        expect=project_edit,
    ),
    "projects:measure_unlink": Route(
        _on("link", "outcome"), method="post", expect=project_edit
    ),
    "projects:team": Route(_p, expect=project_page),
    "projects:team_add": Route(
        _p,
        method="post",
        data=_data(username="nobody", role="member"),
        expect=project_edit,
    ),
    "projects:team_remove": Route(
        _on("member", "member"), method="post", expect=project_edit
    ),
    "projects:partner_new": Route(_p, expect=project_edit),
    "projects:partner_edit": Route(
        lambda c: {"pk": c["project"].pk, "partner": c["partners"]["read"].pk},
        expect=project_edit,
    ),
    "projects:involvement": Route(_p, expect=project_page),
    "projects:involvement_edit": Route(
        _on("entry", "entry"), expect=ours(PROJECT_EDIT, patient_partner=HIDDEN)
    ),
    "projects:progress": Route(_p, expect=project_page),
    # meetings
    "meetings:index": Route(),
    "meetings:committee_new": Route(_raa, expect=ours(PREPARE)),
    "meetings:committee": Route(_pk("committee"), expect=ours()),
    "meetings:add_member": Route(
        _pk("committee"),
        method="post",
        data=_data(user=lambda c: c["board_user"].pk, role="member"),
        expect=ours(PREPARE),
    ),
    "meetings:remove_member": Route(
        lambda c: {"pk": c["committee"].pk, "member": c["seat"].pk},
        method="post",
        expect=ours(PREPARE),
    ),
    "meetings:schedule": Route(_pk("committee"), expect=ours(PREPARE)),
    "meetings:meeting": Route(_pk("first"), expect=ours()),
    "meetings:freeze": Route(
        _pk("second"),
        method="post",
        data=_data(data_cut="2024-09"),
        expect=ours(PREPARE),
    ),
    "meetings:narrative": Route(
        lambda c: {"pk": c["first"].pk, "measure": c["measure"].pk}, expect=ours()
    ),
    "meetings:decide": Route(
        _pk("first"), method="post", data=_data(text="Noted"), expect=ours(PREPARE)
    ),
    "meetings:add_action": Route(
        _pk("first"),
        method="post",
        data=_data(text="Do it", owner="COO", due="2024-12-01"),
        expect=ours(PREPARE),
    ),
    "meetings:update_action": Route(
        lambda c: {"pk": c["second"].pk, "action": c["action"].pk},
        method="post",
        data=lambda c: {f"a{c['action'].pk}-note": "Progress"},
        expect=ours(PREPARE),
    ),
    "meetings:held": Route(_pk("first"), method="post", expect=ours(PREPARE)),
    "meetings:pack": Route(
        _pk("first"), method="post", data=_data(format="pdf"), expect=ours(EXPORT)
    ),
    # value
    "value:index": Route(),
    "value:ledger": Route(_raa, expect=ours()),
    "value:new": Route(_raa, expect=ours("executive qi-lead analyst finance admin")),
    "value:opportunities": Route(_raa, expect=ours()),
    "value:claim": Route(_pk("claim"), expect=ours()),
    "value:edit": Route(
        _pk("claim"), expect=ours("executive qi-lead analyst finance admin")
    ),
    "value:sign_off": Route(
        _pk("claim"),
        method="post",
        data=_data(outcome="realised", amount="40000", note="GL 4410"),
        expect=ours("finance"),
    ),
    # governance
    "assessments:index": Route(),
    "assessments:organisation": Route(_raa, expect=ours()),
    "assessments:start": Route(
        _raa,
        method="post",
        data=_data(framework="maturity"),
        expect=ours("board executive qi-lead admin"),
    ),
    "assessments:capability": Route(_raa, expect=ours()),
    "assessments:training": Route(_raa, expect=ours()),
    "assessments:headcount": Route(
        _raa,
        method="post",
        data=_data(staff="120", as_of="2025-01-01"),
        expect=ours("qi-lead admin"),
    ),
    "assessments:assessment": Route(_pk("assessment"), expect=ours()),
    # well-led evidence
    "evidence:index": Route(_raa, expect=ours()),
    "evidence:tag": Route(
        _raa,
        method="post",
        data=_data(
            kind="decision",
            object_id=lambda c: c["decision"].pk,
            statement="governance",
        ),
        expect=ours("executive qi-lead admin"),
    ),
    "evidence:untag": Route(
        lambda c: {"ods": "RAA", "pk": c["tag"].pk},
        method="post",
        expect=ours("executive qi-lead admin"),
    ),
    "evidence:export": Route(_raa, expect=ours(EXPORT)),
    # audit
    "audit:list": Route(expect=ours("admin", outsider=DENIED, foreign_admin=OK)),
    "audit:detail": Route(
        _pk("trust_event"),
        expect=ours("admin", outsider=DENIED, foreign_admin=HIDDEN),
    ),
    # background jobs: only the person who asked (Trust A's analyst) sees one
    "jobs:index": Route(),
    **{
        name: Route(_pk("job"), expect=ours("analyst", **_hidden_but("analyst")))
        for name in ("jobs:detail", "jobs:status", "jobs:download")
    },
    # email notifications
    "notifications:preferences": Route(),
    "notifications:follow": Route(_m, method="post", expect=ours()),
    "notifications:unfollow": Route(_m, method="post", expect=ours()),
    # The signed link in the email is the proof of who asks: no sign-in.
    "notifications:unsubscribe": Route(
        lambda c: {"token": _unsubscribe_token(c["role_users"]["team_member"])},
        expect=public(),
    ),
    # the JSON API (token authentication)
    "api:docs": Route(),
    "api:schema": Route(expect=public()),
    "api:organisations": Route(api=True, expect=signed_in(anonymous=LOGIN)),
    "api:measures": Route(api=True),
    "api:measure": Route(_m, api=True, expect=ours()),
    "api:observations": Route(_m, api=True, query="?organisation=RAA", expect=ours()),
    # The world's measure belongs to the system: no Trust A role may change it (as
    # measures:add_target). Creating and changing measures: tests/web/test_api_writes.py.
    "api:targets": Route(
        _m,
        method="post",
        api=True,
        data=lambda c: {"starts": "2025-04", "value": 3},
        expect=ours(""),
    ),
    "api:spc": Route(_m, api=True, query="?organisation=RAA", expect=ours()),
    "api:load": Route(
        method="post", api=True, expect=ours("analyst admin", outsiders=HIDDEN)
    ),
    "api:import": Route(
        _pk("batch"), api=True, expect=ours("analyst admin", **_no_batch())
    ),
}


@dataclass(frozen=True)
class AdminModel:
    """A model registered in the admin: the Trust A object its pages open, and the
    answers that differ from an administrator-only page (keyed by page: changelist,
    add, change, delete, history, password, redirect)."""

    obj: Callable[[dict], Any]
    differs: dict[str, dict[str, str]] = field(default_factory=dict)


ADMIN_MODELS: dict[str, AdminModel] = {
    "accounts.user": AdminModel(lambda c: c["role_users"]["team_member"]),
    # Tokens are made by their owners, who see the secret once.
    "accounts.apitoken": AdminModel(
        lambda c: c["token"], {"add": admin_only(foreign_admin=DENIED, admin=DENIED)}
    ),
    "organisations.organisation": AdminModel(lambda c: c["trust_a"]),
    "organisations.unit": AdminModel(lambda c: c["ward"]),
    "organisations.membership": AdminModel(lambda c: c["membership"]),
    "measures.measure": AdminModel(lambda c: c["trust_measure"]),
    "measures.annotation": AdminModel(lambda c: c["note"]),
    "measures.rebase": AdminModel(lambda c: c["change"]),
    # Values are corrected or withdrawn with a reason, never added or deleted here.
    "measures.observation": AdminModel(
        _stored,
        {
            "add": admin_only(foreign_admin=DENIED, admin=DENIED),
            # Refused before the object is looked up, so it reveals nothing.
            "delete": admin_only(foreign_admin=DENIED, admin=DENIED),
        },
    ),
    # The history of corrections is read only.
    "measures.correction": AdminModel(
        _correction,
        {
            "add": admin_only(foreign_admin=DENIED, admin=DENIED),
            # Refused before the object is looked up, so it reveals nothing.
            "delete": admin_only(foreign_admin=DENIED, admin=DENIED),
        },
    ),
    # Batches come from uploads and the API only.
    "measures.importbatch": AdminModel(
        lambda c: c["batch"], {"add": admin_only(foreign_admin=DENIED, admin=DENIED)}
    ),
    "projects.project": AdminModel(lambda c: c["project"]),
    "meetings.committee": AdminModel(lambda c: c["committee"]),
    # The task queue's own records: Django's permissions, which only superusers hold.
    "django_tasks_database.dbtaskresult": AdminModel(
        lambda c: c["task_result"],
        {
            page: admin_only(foreign_admin=DENIED, admin=DENIED)
            for page in ("changelist", "add", "change", "delete", "history")
        },
    ),
}

ADMIN_SITE: dict[str, Route] = {
    "admin:index": Route(expect=admin_only()),
    "admin:login": Route(expect=public()),
    # Signing out of the admin ends on the sign-in page; others go to the admin.
    "admin:logout": Route(
        method="post", expect=public() | {"admin": LOGIN, "foreign-admin": LOGIN}
    ),
    "admin:password_change": Route(expect=admin_only()),
    "admin:password_change_done": Route(expect=admin_only()),
    # Without a field to complete it refuses even an administrator.
    "admin:autocomplete": Route(expect=admin_only(foreign_admin=DENIED, admin=DENIED)),
    "admin:jsi18n": Route(expect=admin_only()),
    # Measures have no page of their own outside the admin.
    "admin:view_on_site": Route(
        lambda c: {
            "content_type_id": c["measure_type"].pk,
            "object_id": c["trust_measure"].pk,
        },
        expect=admin_only(foreign_admin=HIDDEN, admin=HIDDEN),
    ),
    "admin:app_list": Route(lambda c: {"app_label": "measures"}, expect=admin_only()),
    "admin/(?P<url>.*)$": Route(
        path=lambda c: "/admin/no-such-page/",
        expect=admin_only(foreign_admin=HIDDEN, admin=HIDDEN),
    ),
}


def _admin_routes() -> dict[str, Route]:
    from django.contrib import admin

    out: dict[str, Route] = {}
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        spec = ADMIN_MODELS.get(label)
        if spec is None:
            continue  # test_every_url_is_in_the_matrix names it
        app, name = label.split(".")
        one = lambda c, spec=spec: {"object_id": spec.obj(c).pk}  # noqa: E731
        pages = {
            "changelist": Route(expect=admin_only()),
            "add": Route(expect=admin_only()),
            "change": Route(one, expect=admin_only(foreign_admin=HIDDEN)),
            "delete": Route(one, expect=admin_only(foreign_admin=HIDDEN)),
            "history": Route(one, expect=admin_only(foreign_admin=HIDDEN)),
        }
        for page, route in pages.items():
            expect = spec.differs.get(page, route.expect)
            out[f"admin:{app}_{name}_{page}"] = Route(
                route.kw, expect=expect, opens_object=route.kw is one
            )
        out[f"admin/{app}/{name}/<path:object_id>/"] = Route(
            path=lambda c, spec=spec, app=app, name=name: (
                f"/admin/{app}/{name}/{spec.obj(c).pk}/"
            ),
            expect=spec.differs.get("redirect", admin_only()),
        )
        if hasattr(model_admin, "user_change_password"):
            out["admin:auth_user_password_change"] = Route(
                lambda c, spec=spec: {"id": spec.obj(c).pk},
                expect=spec.differs.get("password", admin_only(foreign_admin=HIDDEN)),
                opens_object=True,
            )
    return out


def _patterns(patterns, namespace: str = "", prefix: str = ""):
    """(key, namespaced name) of every URL pattern; the key is the name, or the
    route for a pattern without one."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _patterns(p.url_patterns, ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            if p.name:
                yield namespace + p.name, namespace + p.name
            else:
                yield prefix + str(p.pattern), None


def _matrix() -> dict[str, Route]:
    return {**ROUTES, **ADMIN_SITE, **_admin_routes()}


def test_every_url_is_in_the_matrix():
    from django.contrib import admin

    keys = {key for key, _ in _patterns(get_resolver().url_patterns)}
    unlisted_models = sorted(
        m._meta.label_lower
        for m in admin.site._registry
        if m._meta.label_lower not in ADMIN_MODELS
    )
    missing = sorted(keys - set(_matrix()))
    assert not missing, (
        f"The URL x role matrix (tests/web/test_url_matrix.py) has no row for "
        f"{missing}. Add each to ROUTES with the answer every persona must get "
        "(see the module docstring)."
    )
    assert not unlisted_models, (
        f"The URL x role matrix (tests/web/test_url_matrix.py) has no row for the "
        f"admin pages of {unlisted_models}. Add each to ADMIN_MODELS with the "
        "Trust A object its pages open (see the module docstring)."
    )
    stale = sorted(set(_matrix()) - keys)
    assert not stale, f"rows for URLs that no longer exist: {stale}"


@pytest.fixture
def ctx(gov, pworld):
    from django.contrib.contenttypes.models import ContentType
    from django_tasks_db.models import DBTaskResult

    from qualitas.web.audit.services import record
    from qualitas.web.jobs.tasks import run_job
    from qualitas.web.measures.models import Measure
    from qualitas.web.organisations.models import Membership
    from qualitas.web.projects.models import ProjectInvitation
    from tests.web.factories import MeasureFactory, MembershipFactory
    from tests.web.test_access import _objects as measure_objects
    from tests.web.test_governance_access import _objects as governance_objects

    c: dict[str, Any] = {**gov, **pworld}
    c |= measure_objects(gov) | governance_objects(gov)
    c["trust_event"] = record(
        by=None, action="test.event", summary="an event", organisation=gov["trust_a"]
    )
    c["board_user"] = gov["role_users"]["board_member"]
    c["membership"] = Membership.objects.get(
        user=gov["role_users"]["team_member"], organisation=gov["trust_a"]
    )
    c["trust_measure"] = MeasureFactory(code="ward-falls", organisation=gov["trust_a"])
    c["measure_type"] = ContentType.objects.get_for_model(Measure)
    c["task_result"] = DBTaskResult.objects.get(id=run_job.enqueue(str(c["job"].pk)).id)
    c["invitation"] = ProjectInvitation.objects.create(
        project=pworld["project"],
        user=gov["users"]["outsider"],
        role="member",
        invited_by=pworld["people"]["lead"],
    )
    c["personas"] = {
        **{p: gov["role_users"][role] for p, role in ROLES.items()},
        "outsider": gov["users"]["outsider"],
        "foreign-admin": MembershipFactory(
            organisation=gov["other_system"], role="administrator"
        ).user,
    }
    return c


API_BODY = {
    "organisation": "RAA",
    "observations": [
        {
            "measure": "falls",
            "organisation": "RAA",
            "period": "2025-01",
            "numerator": 1,
            "denominator": 100,
        }
    ],
}


def _request(client, c: dict, route: Route, url: str, persona: str):
    client.logout()
    user = c["personas"].get(persona)
    if route.api:
        headers = {}
        if user is not None:
            from qualitas.web.accounts.models import ApiToken, hash_token

            raw = ApiToken.new_secret()
            ApiToken.objects.create(
                user=user, name="matrix", key_hash=hash_token(raw), hint=raw[:8]
            )
            headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        if route.method == "post":
            body = route.data(c) if route.data else API_BODY
            return client.post(url, body, content_type="application/json", **headers)
        return client.get(url + route.query, **headers)
    if user is not None:
        client.force_login(user)
    data = route.data(c) if route.data else {}
    return getattr(client, route.method)(url + route.query, data)


def _answer(response, route: Route) -> str:
    status = response.status_code
    if status == 401:
        return LOGIN
    if status in (301, 302, 303, 307, 308):
        to = urlsplit(response["Location"]).path
        if to in (reverse("accounts:login"), reverse("admin:login")):
            return LOGIN
        if to == reverse("admin:index") and route.opens_object:
            return HIDDEN  # the admin's "… with ID … doesn't exist"
        return OK
    if 200 <= status < 300:
        return OK
    return str(status)


def _ask(client, c: dict, route: Route, url: str, persona: str) -> str:
    # Rolled back, so one persona's POST does not change what the next one sees.
    with transaction.atomic():
        answer = _answer(_request(client, c, route, url, persona), route)
        transaction.set_rollback(True)
    return answer


MATRIX = _matrix()


def _part(key: str) -> str:
    """The app a URL belongs to (one test each: the world is built once per test)."""
    return key.split(":")[0] if ":" in key else key.split("/")[0]


@pytest.mark.parametrize("part", sorted({_part(k) for k in MATRIX}))
def test_every_persona_gets_the_answer_in_the_matrix(part, ctx, client):
    wrong = []
    for key in sorted(k for k in MATRIX if _part(k) == part):
        route = MATRIX[key]
        url = route.path(ctx) if route.path else reverse(key, kwargs=route.kw(ctx))
        for persona in PERSONAS:
            got = _ask(client, ctx, route, url, persona)
            if got != route.expect[persona]:
                wrong.append(
                    f"{route.method.upper()} {url} ({key}) as {persona}: {got}, "
                    f"expected {route.expect[persona]}"
                )
    assert not wrong, "\n".join(wrong)
