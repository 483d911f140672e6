from django.urls import path

from qualitas.web.board import system_views, views

app_name = "board"
urlpatterns = [
    path("", views.index, name="index"),
    # Before "<ods>/": a system's grid of its organisations (no ODS code is "system").
    path("system/<str:ods>/", system_views.system_page, name="system"),
    path(
        "system/<str:ods>/system-report.csv", system_views.system_csv, name="system_csv"
    ),
    path("<str:ods>/", views.report_page, name="report"),
    path("<str:ods>/report.csv", views.report_csv, name="csv"),
]
