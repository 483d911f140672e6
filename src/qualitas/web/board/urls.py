from django.urls import path

from qualitas.web.board import views

app_name = "board"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:ods>/", views.report_page, name="report"),
    path("<str:ods>/report.csv", views.report_csv, name="csv"),
]
