"""Administrators import people from a CSV file; people invited choose a password."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from qualitas.web.accounts import people_import, services
from qualitas.web.accounts.permissions import ROLES, Permission
from qualitas.web.authorization import organisation_ids
from qualitas.web.organisations.models import Organisation


@login_required
@require_http_methods(["GET", "POST"])
def import_people(request: HttpRequest) -> HttpResponse:
    ids = organisation_ids(request.user, Permission.ADMINISTER)
    if not ids:
        raise PermissionDenied("You do not have permission to manage people and roles.")
    context: dict = {
        "organisations": Organisation.objects.filter(pk__in=ids).order_by("name"),
        "roles": list(ROLES.values()),
        "example": people_import.EXAMPLE,
        "columns": people_import.COLUMNS,
    }
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["refused"] = "Choose a CSV file of people to import."
            status = 400
        else:
            checked = people_import.check(upload.read(), by=request.user)
            context["checked"] = checked
            if checked.ok:
                context["imported"] = people_import.import_people(
                    by=request.user, people=checked.people
                )
            else:
                status = 400
    return render(request, "accounts/people_import.html", context, status=status)


class WelcomeView(auth_views.PasswordResetConfirmView):
    """The link in an invitation: the person chooses their password, once. Django's
    password reset tokens: they stop working once the password is set, and after
    PASSWORD_RESET_TIMEOUT."""

    template_name = "accounts/welcome.html"
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    def dispatch(self, *args, **kwargs):
        if not settings.LOCAL_PASSWORDS:
            raise Http404("Passwords are not used here.")
        return super().dispatch(*args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(by=form.user)
        from django.contrib import messages

        messages.success(
            self.request,
            f"Your password is set. Sign in with your username, {form.user.username}.",
        )
        return response
