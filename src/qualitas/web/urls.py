"""Top-level URLs: one include per app, plus the health check and the home page."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from qualitas.web import home

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("qualitas/favicon.svg")),
        name="favicon",
    ),
    path("components/", home.components, name="components"),
    path("roles/", home.roles, name="roles"),
    path("accounts/", include("qualitas.web.accounts.urls")),
    path("organisations/", include("qualitas.web.organisations.urls")),
    path("measures/", include("qualitas.web.measures.urls")),
    path("data/", include("qualitas.web.measures.data_urls")),
    path("board/", include("qualitas.web.board.urls")),
    path("projects/", include("qualitas.web.projects.urls")),
    path("meetings/", include("qualitas.web.meetings.urls")),
    path("value/", include("qualitas.web.value.urls")),
    path("governance/", include("qualitas.web.assessments.urls")),
    path("evidence/", include("qualitas.web.evidence.urls")),
    path("audit/", include("qualitas.web.audit.urls")),
    path("notifications/", include("qualitas.web.notifications.urls")),
    path("api/", include("qualitas.web.api.urls")),
    path("jobs/", include("qualitas.web.jobs.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "qualitas.web.home.not_found"
handler403 = "qualitas.web.home.forbidden"
