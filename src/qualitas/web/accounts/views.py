"""Sign in, sign out, change password, API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from qualitas.web.accounts import services
from qualitas.web.accounts.models import ApiToken
from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import require


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(by=self.request.user)
        messages.success(self.request, "Your password has been changed.")
        return response


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
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
