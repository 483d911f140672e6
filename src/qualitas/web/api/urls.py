from django.urls import path

from qualitas.web.api import views

app_name = "api"
urlpatterns = [
    path("docs/", views.docs, name="docs"),
    path("v1/openapi.json", views.schema, name="schema"),
    path("v1/organisations", views.organisations, name="organisations"),
    path("v1/measures", views.measures, name="measures"),
    path("v1/measures/<slug:code>", views.measure, name="measure"),
    path(
        "v1/measures/<slug:code>/observations", views.observations, name="observations"
    ),
    path("v1/measures/<slug:code>/spc", views.spc, name="spc"),
    path("v1/observations", views.load, name="load"),
    path("v1/imports/<int:pk>", views.import_detail, name="import"),
]
