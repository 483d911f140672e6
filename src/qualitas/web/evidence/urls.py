from django.urls import path

from qualitas.web.evidence import views

app_name = "evidence"
urlpatterns = [
    path("at/<str:ods>/", views.index, name="index"),
    path("at/<str:ods>/tag/", views.tag, name="tag"),
    path("at/<str:ods>/tags/<int:pk>/remove/", views.untag, name="untag"),
    path("at/<str:ods>/evidence.csv", views.export, name="export"),
]
