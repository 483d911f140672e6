"""Email preferences, following a measure, and the unsubscribe link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from qualitas.web.accounts.models import User
from qualitas.web.authorization import get_measure_for_user
from qualitas.web.notifications import services, tokens
from qualitas.web.notifications.models import Follow, Preference
from qualitas.web.signed_in import SignedInRequest


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: SignedInRequest) -> HttpResponse:
    current = (
        Preference.objects.filter(user=request.user).values_list("frequency", flat=True)
    ).first() or Preference.Frequency.IMMEDIATE
    error = ""
    if request.method == "POST":
        choice = request.POST.get("frequency", "")
        if choice in Preference.Frequency.values:
            services.set_frequency(by=request.user, user=request.user, frequency=choice)
            messages.success(request, "Your email choices have been saved.")
            return redirect("notifications:preferences")
        error = "Choose how often you want emails."
    return render(
        request,
        "notifications/preferences.html",
        {
            "choices": Preference.Frequency.choices,
            "current": current,
            "error": error,
            "follows": Follow.objects.filter(user=request.user).select_related(
                "measure"
            ),
            "owned": request.user.owned_measures.all(),
            "has_email": bool(request.user.email),
        },
    )


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def follow(request: HttpRequest, code: str) -> HttpResponse:
    measure = get_measure_for_user(request.user, code)
    services.follow(by=request.user, measure=measure)
    messages.success(
        request,
        f"You now follow {measure.name}: you will be emailed when its latest point "
        "shows special cause concern or misses its target.",
    )
    return redirect(_back(request, measure_url(measure.code)))


@login_required
@require_POST
def unfollow(request: HttpRequest, code: str) -> HttpResponse:
    measure = get_measure_for_user(request.user, code)
    services.unfollow(by=request.user, measure=measure)
    messages.success(request, f"You no longer follow {measure.name}.")
    return redirect(_back(request, measure_url(measure.code)))


def measure_url(code: str) -> str:
    from django.urls import reverse

    return reverse("measures:detail", args=[code])


# The signed token in the link is what proves who is asking, so the page needs no
# sign-in and the POST needs no CSRF token: mail programs send RFC 8058 one-click
# unsubscribes as a bare POST, and a forged request could only stop someone's email.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user_id = tokens.read(token)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        raise Http404("This link is not valid.")
    done = False
    if request.method == "POST":
        services.set_frequency(by=None, user=user, frequency=Preference.Frequency.OFF)
        done = True
    return render(
        request, "notifications/unsubscribe.html", {"done": done, "person": user}
    )
