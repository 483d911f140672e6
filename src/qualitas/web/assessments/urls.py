from django.urls import path

from qualitas.web.assessments import views

app_name = "assessments"
urlpatterns = [
    path("", views.index, name="index"),
    path("at/<str:ods>/", views.organisation_page, name="organisation"),
    path("at/<str:ods>/start/", views.start, name="start"),
    path("at/<str:ods>/capability/", views.capability_map, name="capability"),
    path("at/<str:ods>/training/", views.training, name="training"),
    path("at/<str:ods>/headcount/", views.headcount, name="headcount"),
    path("assessments/<int:pk>/", views.assessment_page, name="assessment"),
]
