from django.urls import path

from qualitas.web.value import views

app_name = "value"
urlpatterns = [
    path("", views.index, name="index"),
    path("at/<str:ods>/", views.ledger_page, name="ledger"),
    path("at/<str:ods>/new/", views.new_claim, name="new"),
    path("at/<str:ods>/opportunities/", views.opportunities_page, name="opportunities"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("claims/<int:pk>/edit/", views.edit_claim, name="edit"),
    path("claims/<int:pk>/sign-off/", views.sign_off, name="sign_off"),
]
