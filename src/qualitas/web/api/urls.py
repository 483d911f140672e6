from django.urls import path

from qualitas.web.api import views

app_name = "api"
# Path parameters take any segment: the views check it against the pattern the
# OpenAPI document states and answer a JSON 404, and a method the address does not
# take gets its 405 whatever the segment holds. Other paths under v1 get a JSON 404
# from api.errors.
urlpatterns = [
    path("docs/", views.docs, name="docs"),
    path("v1/openapi.json", views.schema, name="schema"),
    path("v1/organisations", views.organisations, name="organisations"),
    path("v1/measures", views.measures, name="measures"),
    path("v1/measures/<str:code>", views.measure, name="measure"),
    path("v1/measures/<str:code>/targets", views.targets, name="targets"),
    path(
        "v1/measures/<str:code>/observations", views.observations, name="observations"
    ),
    path("v1/measures/<str:code>/spc", views.spc, name="spc"),
    path("v1/observations", views.load, name="load"),
    path("v1/imports/<str:pk>", views.import_detail, name="import"),
]
