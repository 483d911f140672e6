"""Single sign-on without a browser: which addresses count as verified, the pages
when it is off or on, local passwords switched off, and requests for access.
The whole sign-in against a real provider is in tests/browser/test_single_sign_on.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qualitas.web.accounts import services, sso
from qualitas.web.accounts.models import AccessRequest, User
from qualitas.web.audit.models import AuditEvent
from qualitas.web.organisations.models import Membership
from tests.web.test_settings import _settings

PENDING = {
    "email": "new.person@trust-a.nhs.test",
    "name": "New Person",
    "given_name": "New",
    "family_name": "Person",
    "problem": "no_account",
}


@pytest.fixture
def sso_on(settings):
    settings.SSO_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "qualitas"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://login.example.test/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://login.example.test/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://login.example.test/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://login.example.test/keys"
    settings.QUALITAS_SSO_NAME = "NHS Mail"
    return settings


@pytest.mark.parametrize(
    ("claims", "trusted", "verified"),
    [
        ({"email": "a@trust.nhs.uk", "email_verified": True}, [], True),
        ({"email": "a@trust.nhs.uk", "email_verified": False}, [], False),
        ({"email": "a@trust.nhs.uk", "email_verified": "true"}, [], False),
        ({"email": "a@trust.nhs.uk"}, [], False),  # Entra sends no email_verified
        ({"email": "a@trust.nhs.uk", "xms_edov": True}, [], True),
        ({"email": "a@Trust.NHS.uk"}, ["trust.nhs.uk"], True),
        ({"email": "a@other.nhs.uk"}, ["trust.nhs.uk"], False),
        ({"email": "a@trust.nhs.uk.evil.test"}, ["trust.nhs.uk"], False),
        ({"email": "not-an-address"}, ["trust.nhs.uk"], False),
    ],
)
def test_which_addresses_count_as_verified(settings, claims, trusted, verified):
    settings.QUALITAS_SSO_TRUSTED_EMAIL_DOMAINS = trusted
    assert sso.email_is_verified(claims) is verified


def test_without_sso_the_login_page_has_no_button_and_its_urls_are_404(client, db):
    page = client.get("/accounts/login/")
    assert b"Sign in with" not in page.content
    assert b'name="password"' in page.content
    assert client.get("/accounts/sso/start/").status_code == 404
    assert client.get("/accounts/sso/callback/").status_code == 404
    assert client.get("/accounts/request-access/").status_code == 404


def test_sso_button_sends_people_to_the_provider_with_pkce(client, db, sso_on):
    page = client.get("/accounts/login/?next=/measures/")
    assert b"Sign in with NHS Mail" in page.content
    start = client.get("/accounts/sso/start/?next=/measures/")
    assert start.status_code == 302
    url = urlsplit(start["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        "https://login.example.test/authorize"
    )
    query = parse_qs(url.query)
    assert query["client_id"] == ["qualitas"]
    assert query["scope"] == ["openid email profile"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://testserver/accounts/sso/callback/"]
    assert query["state"]
    assert query["nonce"]


def test_with_passwords_off_only_sso_is_offered(client, world, sso_on):
    sso_on.LOCAL_PASSWORDS = False
    sso_on.AUTHENTICATION_BACKENDS = ["qualitas.web.accounts.sso.SsoBackend"]
    member = world["users"]["member"]
    page = client.get("/accounts/login/")
    assert b"Sign in with NHS Mail" in page.content
    assert b'name="password"' not in page.content
    refused = client.post(
        "/accounts/login/",
        {"username": member.username, "password": "correct horse battery staple"},
    )
    assert refused.status_code == 405
    admin_login = client.get("/admin/login/?next=/admin/")
    assert admin_login.status_code == 302
    assert admin_login["Location"].startswith("/accounts/login/")
    client.force_login(member, backend="qualitas.web.accounts.sso.SsoBackend")
    assert client.get("/accounts/password/").status_code == 404
    assert b"Change password" not in client.get("/").content


def test_passwords_off_without_sso_is_refused_at_start():
    result = _settings(
        {"QUALITAS_ENV": "test", "QUALITAS_LOCAL_PASSWORDS": "false"}, "1"
    )
    assert "QUALITAS_LOCAL_PASSWORDS=false needs single sign-on" in result.stderr


def test_sso_without_its_endpoints_is_refused_at_start():
    result = _settings({"QUALITAS_ENV": "test", "OIDC_RP_CLIENT_ID": "x"}, "1")
    assert "OIDC_OP_TOKEN_ENDPOINT" in result.stderr


def test_request_access_page_needs_a_verified_sign_in_first(client, db, sso_on):
    response = client.get("/accounts/request-access/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_request_access_only_to_organisations_that_accept_them(world, sso_on):
    trust_a = world["trust_a"]
    with pytest.raises(PermissionDenied):
        services.request_access(pending=PENDING, organisation=trust_a, reason="Nurse")
    trust_a.accepts_access_requests = True
    trust_a.save()
    first = services.request_access(pending=PENDING, organisation=trust_a, reason="N")
    again = services.request_access(pending=PENDING, organisation=trust_a, reason="N")
    assert first == again  # one request waiting per person and organisation


def test_sso_problem_page_sends_unknown_people_to_ask(client, world, sso_on):
    session = client.session
    session[sso.PENDING] = PENDING
    session.save()
    page = client.get("/accounts/sso/problem/")
    assert page.status_code == 403
    assert b"no organisation here takes requests" in page.content
    world["trust_a"].accepts_access_requests = True
    world["trust_a"].save()
    assert client.get("/accounts/sso/problem/")["Location"] == (
        "/accounts/request-access/"
    )
    form = client.post("/accounts/request-access/", {"organisation": "RAA"})
    assert form.status_code == 400
    assert b"Say what your work is" in form.content
    sent = client.post(
        "/accounts/request-access/", {"organisation": "RAA", "reason": "Ward clerk"}
    )
    assert b"Request sent" in sent.content
    access = AccessRequest.objects.get()
    assert (access.email, access.name, access.reason) == (
        PENDING["email"],
        "New Person",
        "Ward clerk",
    )


def test_administrator_approves_with_a_role(world, client_for, sso_on):
    trust_a = world["trust_a"]
    trust_a.accepts_access_requests = True
    trust_a.save()
    access = services.request_access(pending=PENDING, organisation=trust_a, reason="x")
    admin = world["role_users"]["administrator"]
    client = client_for(admin)
    page = client.get("/accounts/access-requests/")
    assert b"new.person@trust-a.nhs.test" in page.content
    client.post(f"/accounts/access-requests/{access.pk}/approve/", {"role": "analyst"})
    user = User.objects.get(email=PENDING["email"])
    assert (user.username, user.first_name, user.last_name) == (
        "new.person",
        "New",
        "Person",
    )
    assert not user.has_usable_password()  # they sign in with single sign-on
    assert Membership.objects.filter(
        user=user, organisation=trust_a, role="analyst"
    ).exists()
    access.refresh_from_db()
    assert (access.status, access.decided_by, access.user) == ("approved", admin, user)
    assert AuditEvent.objects.filter(action="access_request.approved").exists()
    with pytest.raises(ValidationError):
        services.approve_access(by=admin, access=access, role="analyst")


def test_administrator_declines(world, client_for, sso_on):
    trust_a = world["trust_a"]
    trust_a.accepts_access_requests = True
    trust_a.save()
    access = services.request_access(pending=PENDING, organisation=trust_a, reason="x")
    client = client_for(world["role_users"]["administrator"])
    client.post(f"/accounts/access-requests/{access.pk}/decline/")
    access.refresh_from_db()
    assert access.status == "declined"
    assert not User.objects.filter(email=PENDING["email"]).exists()


def test_only_administrators_of_that_organisation_decide(world, client_for, sso_on):
    trust_a = world["trust_a"]
    trust_a.accepts_access_requests = True
    trust_a.save()
    access = services.request_access(pending=PENDING, organisation=trust_a, reason="x")
    member = client_for(world["users"]["member"])
    assert member.get("/accounts/access-requests/").status_code == 403
    assert (
        member.post(
            f"/accounts/access-requests/{access.pk}/approve/", {"role": "analyst"}
        ).status_code
        == 403
    )
    # An administrator elsewhere cannot even see it.
    other_admin = world["users"]["outsider"]
    Membership.objects.create(
        user=other_admin, organisation=world["other_trust"], role="administrator"
    )
    outsider = client_for(other_admin)
    assert b"new.person" not in outsider.get("/accounts/access-requests/").content
    assert (
        outsider.post(
            f"/accounts/access-requests/{access.pk}/approve/", {"role": "analyst"}
        ).status_code
        == 404
    )
    setting = outsider.post("/accounts/access-requests/at/RAA/", {"accepts": "no"})
    assert setting.status_code == 404
    trust_a.refresh_from_db()
    assert trust_a.accepts_access_requests
    access.refresh_from_db()
    assert access.status == "pending"


def test_administrator_turns_requests_on_and_off(world, client_for):
    client = client_for(world["role_users"]["administrator"])
    client.post("/accounts/access-requests/at/RAA/", {"accepts": "yes"})
    world["trust_a"].refresh_from_db()
    assert world["trust_a"].accepts_access_requests
    client.post("/accounts/access-requests/at/RAA/", {"accepts": "no"})
    world["trust_a"].refresh_from_db()
    assert not world["trust_a"].accepts_access_requests


ISSUER = "https://login.example.test/tenant"


def _verified(email: str, **more) -> dict:
    return {"email": email, "email_verified": True, **more}


def test_first_sign_in_links_the_identity_and_later_ones_use_it(world):
    from qualitas.web.accounts.models import SsoIdentity

    member = world["users"]["member"]
    member.email = "member@trust-a.nhs.test"
    member.save()
    user, problem = sso.match_account(
        issuer=ISSUER, subject="abc", claims=_verified("MEMBER@trust-a.nhs.test")
    )
    assert (user, problem) == (member, "")
    assert SsoIdentity.objects.get(user=member).subject == "abc"
    # The provider's address changed (e.g. after a name change): still the person.
    user, _ = sso.match_account(
        issuer=ISSUER, subject="abc", claims={"email": "renamed@trust-a.nhs.test"}
    )
    assert user == member


def test_an_address_given_to_someone_else_does_not_reach_the_linked_account(world):
    member = world["users"]["member"]
    member.email = "member@trust-a.nhs.test"
    member.save()
    sso.match_account(issuer=ISSUER, subject="leaver", claims=_verified(member.email))
    user, problem = sso.match_account(
        issuer=ISSUER, subject="new-starter", claims=_verified(member.email)
    )
    assert (user, problem) == (None, "linked_elsewhere")


def test_matching_refuses_unverified_unknown_and_ambiguous_addresses(world):
    users = world["role_users"]
    users["analyst"].email = users["finance"].email = "shared@trust-a.nhs.test"
    users["analyst"].save()
    users["finance"].save()
    cases = {
        "unverified": {"email": "shared@trust-a.nhs.test", "email_verified": False},
        "no_account": _verified("nobody@trust-a.nhs.test"),
        "ambiguous": _verified("shared@trust-a.nhs.test"),
    }
    for problem, claims in cases.items():
        assert sso.match_account(issuer=ISSUER, subject=problem, claims=claims) == (
            None,
            problem,
        )
