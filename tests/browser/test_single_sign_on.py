"""Single sign-on end to end: Chromium, qualitas's live server and a real OpenID
Connect provider (oidc-provider on Node.js) on this machine, no mocks."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in
from tests.sso import oidc_provider
from tests.sso.oidc_provider import ACCOUNTS, PASSWORD, PASSWORDS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def provider(live_server, tmp_path_factory):
    yield from oidc_provider.start(
        f"{live_server.url}/accounts/sso/callback/", tmp_path_factory.mktemp("oidc")
    )


@pytest.fixture
def people(transactional_db, settings, provider):
    from tests.web import factories as f

    oidc_provider.configure(settings, provider)
    trust = f.OrganisationFactory(name="Trust A", ods_code="RAA")
    f.OrganisationFactory(name="Trust B", ods_code="RBB", accepts_access_requests=True)
    nurse = f.MembershipFactory(organisation=trust, role="team_member").user
    nurse.email = ACCOUNTS["nurse"]["email"].upper()  # addresses match in any case
    nurse.first_name, nurse.last_name = "Nadia", "Nurse"
    nurse.save()
    admin = f.MembershipFactory(
        organisation=trust,
        role="administrator",
        user__username="trust-admin",
    ).user
    return {"trust": trust, "nurse": nurse, "admin": admin}


def _sso(page, account: str) -> None:
    """Press the sign-in button and sign in at the provider as ``account``."""
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Trust account").click()
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/interaction/"))
    page.get_by_label("Email address").fill(ACCOUNTS[account]["email"])
    page.get_by_label("Password").fill(PASSWORDS.get(account, PASSWORD))
    page.get_by_role("button", name="Continue").click()


def test_existing_account_signs_in_with_sso_when_passwords_are_off(
    page, people, settings
):
    settings.LOCAL_PASSWORDS = False
    settings.AUTHENTICATION_BACKENDS = ["qualitas.web.accounts.sso.SsoBackend"]
    page.goto("/accounts/login/")
    assert page.get_by_label("Password").count() == 0  # only single sign-on
    _sso(page, "nurse")
    page.wait_for_url(re.compile(r"^http://localhost:\d+/$"))
    assert page.get_by_text("Signed in as").inner_text() == "Signed in as Nadia Nurse"
    assert page.get_by_role("link", name="Change password").count() == 0
    assert page.goto("/accounts/password/").status == 404
    # The provider's id for her is saved: later sign-ins use it, not the address.
    from qualitas.web.accounts.models import SsoIdentity

    identity = SsoIdentity.objects.get(user=people["nurse"])
    assert identity.subject == "nurse"


def test_an_address_the_provider_has_not_verified_signs_nobody_in(page, people):
    _sso(page, "impostor")
    page.wait_for_url("**/accounts/sso/problem/")
    assert page.get_by_role("heading", name="Sign-in did not work").is_visible()
    assert page.get_by_text("did not confirm").is_visible()
    page.goto("/")
    page.wait_for_url("**/accounts/login/?next=/")


def test_unknown_person_asks_for_access_and_an_administrator_approves(
    page, people, chromium, live_server
):
    from qualitas.web.organisations.models import Membership

    # The administrator lets people ask to join Trust A, in the app.
    admin_context = chromium.new_context(base_url=live_server.url)
    admin_page = admin_context.new_page()
    people["admin"].set_password("an admin's long password")
    people["admin"].save()
    sign_in(admin_page, "trust-admin", "an admin's long password")
    admin_page.get_by_role("link", name="Access requests").click()
    admin_page.get_by_label("Yes, an administrator approves each request").first.check()
    admin_page.get_by_role("button", name="Save for Trust A").click()
    assert admin_page.get_by_text("Trust A now accepts requests").is_visible()

    # Someone with no account signs in and asks.
    _sso(page, "newcomer")
    page.wait_for_url("**/accounts/request-access/")
    assert page.get_by_text("newcomer@trust-a.nhs.test").first.is_visible()
    page.get_by_label("Your organisation").select_option(label="Trust A")
    page.get_by_label("Your work").fill("Staff nurse on Ward 5, falls audit lead")
    page.get_by_role("button", name="Send request").click()
    assert page.get_by_role("heading", name="Request sent").is_visible()
    page.goto("/")
    page.wait_for_url("**/accounts/login/?next=/")  # not signed in yet

    # The administrator approves with a role.
    admin_page.reload()
    assert admin_page.get_by_text("Staff nurse on Ward 5").is_visible()
    admin_page.get_by_label("Role").select_option(label="Analyst")
    admin_page.get_by_role("button", name="Approve newcomer@trust-a.nhs.test").click()
    assert admin_page.get_by_text(
        "Nia Newcomer can now sign in to Trust A"
    ).is_visible()
    admin_context.close()

    # Signing in again now works, with the role given.
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Trust account").click()
    page.wait_for_url(re.compile(r"^http://localhost:\d+/$"))
    assert page.get_by_text("Signed in as").inner_text() == "Signed in as Nia Newcomer"
    membership = Membership.objects.get(user__email="newcomer@trust-a.nhs.test")
    assert (membership.organisation, membership.role) == (people["trust"], "analyst")
