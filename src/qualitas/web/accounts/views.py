"""Sign in (password or single sign-on), sign out, change password, API tokens, and
requests for access from people who signed in with single sign-on."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from qualitas.web.accounts import services, sso
from qualitas.web.accounts.models import AccessRequest, ApiToken
from qualitas.web.accounts.permissions import ROLE_CHOICES, Permission
from qualitas.web.authorization import organisation_ids, require
from qualitas.web.organisations.models import Organisation
from qualitas.web.signed_in import SignedInRequest


class LoginView(auth_views.LoginView):
    """The password form (unless local passwords are off) and the single sign-on
    button (when it is set up)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and not settings.LOCAL_PASSWORDS:
            return HttpResponseNotAllowed(["GET"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        start = reverse("accounts:sso_start")
        next_url = context.get("next")
        context["sso_url"] = (
            f"{start}?{urlencode({'next': next_url})}" if next_url else start
        )
        context["sso_name"] = settings.QUALITAS_SSO_NAME
        return context


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password.html"
    success_url = reverse_lazy("home")

    def dispatch(self, request, *args, **kwargs):
        # No local passwords, or an account made for single sign-on: nothing to change.
        if not settings.LOCAL_PASSWORDS or (
            request.user.is_authenticated and not request.user.has_usable_password()
        ):
            raise Http404("Passwords are not used here.")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(by=self.request.user)
        messages.success(self.request, "Your password has been changed.")
        return response


@login_required
def tokens(request: SignedInRequest) -> HttpResponse:
    require(request.user, Permission.IMPORT_DATA)
    created = None
    if request.method == "POST":
        token, created = services.create_api_token(
            by=request.user, name=request.POST.get("name", "")
        )
        messages.success(
            request,
            f"Token '{token.name}' created. Copy it now: it will not be shown again.",
        )
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": request.user.api_tokens.all(),
            "created": created,
        },
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Permission.IMPORT_DATA)
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(by=request.user, token=token)
    messages.success(request, f"Token '{token.name}' revoked.")
    return redirect("accounts:tokens")


# --- single sign-on: when the sign-in found no account to use ------------------------


def sso_problem(request: HttpRequest) -> HttpResponse:
    """Where the identity provider's sign-in ends when it could not sign anyone in."""
    if not settings.SSO_ENABLED:
        raise Http404("Single sign-on is not set up.")
    pending = request.session.get(sso.PENDING) or {}
    problem = pending.get("problem", "")
    accepting = Organisation.objects.filter(accepts_access_requests=True).exists()
    if problem == "no_account" and accepting:
        return redirect("accounts:request_access")
    return render(
        request,
        "accounts/sso_problem.html",
        {"problem": problem, "email": pending.get("email", "")},
        status=403 if problem else 400,
    )


@require_http_methods(["GET", "POST"])
def request_access(request: HttpRequest) -> HttpResponse:
    """Ask an organisation that accepts requests for access, after a verified sign-in
    that matched no account."""
    if not settings.SSO_ENABLED:
        raise Http404("Single sign-on is not set up.")
    pending = request.session.get(sso.PENDING) or {}
    if pending.get("problem") != "no_account":
        return redirect("accounts:login")
    accepting = Organisation.objects.filter(accepts_access_requests=True).order_by(
        "name"
    )
    errors: dict[str, str] = {}
    chosen = request.POST.get("organisation", "")
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        organisation = accepting.filter(ods_code=chosen).first()
        if organisation is None:
            errors["organisation"] = "Choose the organisation you work for."
        if not reason.strip():
            errors["reason"] = "Say what your work is, so the administrator knows you."
        elif len(reason) > 1000:
            errors["reason"] = "Keep it to 1,000 characters or fewer."
        if not errors:
            access = services.request_access(
                pending=pending, organisation=organisation, reason=reason
            )
            del request.session[sso.PENDING]
            return render(request, "accounts/access_requested.html", {"access": access})
    return render(
        request,
        "accounts/request_access.html",
        {
            "pending": pending,
            "organisations": accepting,
            "chosen": chosen,
            "reason": reason,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


# --- administrators: requests for access ---------------------------------------------


def _administered(user) -> set[int]:
    ids = organisation_ids(user, Permission.ADMINISTER)
    if not ids:
        raise PermissionDenied("You do not have permission to manage people and roles.")
    return ids


@login_required
def access_requests(request: HttpRequest) -> HttpResponse:
    ids = _administered(request.user)
    return render(
        request,
        "accounts/access_requests.html",
        {
            "organisations": Organisation.objects.filter(pk__in=ids).order_by("name"),
            "pending": AccessRequest.objects.filter(
                organisation_id__in=ids, status=AccessRequest.Status.PENDING
            ).select_related("organisation"),
            "decided": AccessRequest.objects.filter(organisation_id__in=ids)
            .exclude(status=AccessRequest.Status.PENDING)
            .select_related("organisation", "decided_by")[:20],
            "roles": ROLE_CHOICES,
        },
    )


@login_required
@require_POST
def access_setting(request: HttpRequest, ods: str) -> HttpResponse:
    ids = _administered(request.user)
    organisation = get_object_or_404(Organisation, ods_code=ods, pk__in=ids)
    accepts = request.POST.get("accepts") == "yes"
    services.set_accepts_access_requests(
        by=request.user, organisation=organisation, accepts=accepts
    )
    messages.success(
        request,
        f"{organisation.name} {'now accepts' if accepts else 'does not accept'} "
        "requests for access.",
    )
    return redirect("accounts:access_requests")


def _request_for(request: HttpRequest, pk: int) -> AccessRequest:
    ids = _administered(request.user)
    return get_object_or_404(
        AccessRequest.objects.select_related("organisation"),
        pk=pk,
        organisation_id__in=ids,
    )


@login_required
@require_POST
def approve_access(request: HttpRequest, pk: int) -> HttpResponse:
    access = _request_for(request, pk)
    try:
        user = services.approve_access(
            by=request.user, access=access, role=request.POST.get("role", "")
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            f"{user.display_name} can now sign in to {access.organisation.name}.",
        )
    return redirect("accounts:access_requests")


@login_required
@require_POST
def decline_access(request: HttpRequest, pk: int) -> HttpResponse:
    access = _request_for(request, pk)
    try:
        services.decline_access(by=request.user, access=access)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, f"{access.email}'s request has been declined.")
    return redirect("accounts:access_requests")
