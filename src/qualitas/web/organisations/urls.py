from django.urls import path

from qualitas.web.organisations import peer_groups, views

app_name = "organisations"
urlpatterns = [
    # Before the ODS code pattern: no ODS code has a hyphen.
    path("peer-groups/", peer_groups.peer_groups, name="peer_groups"),
    path("<str:ods>/", views.detail, name="detail"),
]
