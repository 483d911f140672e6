from django.urls import path

from qualitas.web.accounts import people_views, sso, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("tokens/", views.tokens, name="tokens"),
    path("people/import/", people_views.import_people, name="people_import"),
    path(
        "welcome/<uidb64>/<token>/",
        people_views.WelcomeView.as_view(),
        name="welcome",
    ),
    path("tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("sso/start/", sso.SsoStart.as_view(), name="sso_start"),
    path("sso/callback/", sso.SsoCallback.as_view(), name="sso_callback"),
    path("sso/problem/", views.sso_problem, name="sso_problem"),
    path("request-access/", views.request_access, name="request_access"),
    path("access-requests/", views.access_requests, name="access_requests"),
    path("access-requests/at/<str:ods>/", views.access_setting, name="access_setting"),
    path(
        "access-requests/<int:pk>/approve/",
        views.approve_access,
        name="approve_access",
    ),
    path(
        "access-requests/<int:pk>/decline/",
        views.decline_access,
        name="decline_access",
    ),
]
