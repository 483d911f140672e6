"""Single sign-on with OpenID Connect (mozilla-django-oidc), e.g. Microsoft Entra ID.

Signing in links a person to their existing account by email address, but only an
address the identity provider vouches for: otherwise anyone able to set an address
in some provider account could take over the qualitas account that has it. Someone
with no account is not given one; they may ask an organisation that accepts requests
(``AccessRequest``), and its administrator decides. Everything here does nothing
unless ``SSO_ENABLED``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

log = logging.getLogger(__name__)

# What the sign-in left in the session for the pages that follow a failed match.
PENDING = "qualitas_sso_pending"


def email_is_verified(claims: dict[str, Any]) -> bool:
    """Does the identity provider vouch that this person controls the address?

    The standard ``email_verified`` claim says so. Entra ID sends none: its optional
    ``xms_edov`` claim (email domain owner verified) says the tenant owns the address's
    domain, and a deployment may list domains it knows its provider owns
    (QUALITAS_SSO_TRUSTED_EMAIL_DOMAINS)."""
    email = str(claims.get("email") or "")
    if "@" not in email:
        return False
    if claims.get("email_verified") is True or claims.get("xms_edov") is True:
        return True
    domain = email.rsplit("@", 1)[1].lower()
    return domain in settings.QUALITAS_SSO_TRUSTED_EMAIL_DOMAINS


def match_account(
    *, issuer: str, subject: str, claims: dict[str, Any]
) -> tuple[Any, str]:
    """The account a provider's person signs in to, or None and why not
    (``unverified``, ``no_account``, ``ambiguous``, ``linked_elsewhere``).

    An identity saved earlier decides; otherwise a verified address links the person
    to the one account with it, and the identity is saved for next time."""
    from qualitas.web.accounts.models import SsoIdentity, User

    identity = (
        SsoIdentity.objects.select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is not None:
        identity.last_used_at = timezone.now()
        identity.save(update_fields=["last_used_at"])
        return identity.user, ""
    email = str(claims.get("email") or "").strip()
    if not email or not email_is_verified(claims):
        return None, "unverified"
    users = list(User.objects.filter(email__iexact=email)[:2])
    if len(users) > 1:
        log.warning("Single sign-on: two accounts have the address %s", email)
        return None, "ambiguous"
    if not users:
        return None, "no_account"
    user = users[0]
    if SsoIdentity.objects.filter(user=user, issuer=issuer).exists():
        # The account already belongs to another person at this provider: the
        # address has moved to someone else.
        log.warning("Single sign-on: %s is linked to another identity", email)
        return None, "linked_elsewhere"
    try:
        with transaction.atomic():
            SsoIdentity.objects.create(
                user=user, issuer=issuer, subject=subject, last_used_at=timezone.now()
            )
    except IntegrityError:
        return None, "linked_elsewhere"  # a sign-in at the same moment linked it
    return user, ""


class SsoBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds every backend on each sign-in; the library's reads its
        # settings here and would fail where single sign-on is not set up.
        self.UserModel = get_user_model()
        if settings.SSO_ENABLED:
            super().__init__(*args, **kwargs)

    def authenticate(self, request, **kwargs):
        if not settings.SSO_ENABLED:
            return None
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("email"))

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 5.3.2: the user info must be about the token's subject.
        if str(claims.get("sub", "")) != str(payload.get("sub", "")):
            log.warning("Single sign-on: user info subject differs from the ID token's")
            return None
        user, problem = match_account(
            issuer=str(payload.get("iss", "")),
            subject=str(payload["sub"]),
            claims=claims,
        )
        if user is not None and self._may_sign_in(user):
            self.request.session.pop(PENDING, None)
            return user
        self.request.session[PENDING] = {
            "email": str(claims.get("email") or "").strip(),
            "name": str(claims.get("name") or "")[:150],
            "given_name": str(claims.get("given_name") or "")[:150],
            "family_name": str(claims.get("family_name") or "")[:150],
            "problem": problem or "inactive",
        }
        return None

    def _may_sign_in(self, user) -> bool:
        if getattr(user, "is_demo", False) and not settings.DEMO_MODE:
            return False
        return self.user_can_authenticate(user)


class _OnlyWhenEnabled:
    def dispatch(self, request, *args, **kwargs):
        if not settings.SSO_ENABLED:
            raise Http404("Single sign-on is not set up.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class SsoStart(_OnlyWhenEnabled, OIDCAuthenticationRequestView):
    """Send the person to the identity provider."""

    def __init__(self, **kwargs: Any) -> None:
        # The library's reads its settings here; without them the page is a 404.
        if settings.SSO_ENABLED:
            super().__init__(**kwargs)
        else:
            View.__init__(self, **kwargs)


class SsoCallback(_OnlyWhenEnabled, OIDCAuthenticationCallbackView):
    """The identity provider sends the person back here."""
