from django.urls import path

from qualitas.web.organisations import views

app_name = "organisations"
urlpatterns = [
    path("<str:ods>/", views.detail, name="detail"),
]
