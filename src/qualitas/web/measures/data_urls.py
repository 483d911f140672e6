from django.urls import path

from qualitas.web.measures import data_views

app_name = "data"
urlpatterns = [
    path("", data_views.index, name="index"),
    path("upload/", data_views.upload, name="upload"),
    path("entry/", data_views.entry_choice, name="entry"),
    path("template.csv", data_views.template_csv, name="template"),
    path("imports/", data_views.history, name="history"),
    path("imports/<int:pk>/", data_views.batch, name="batch"),
    path("imports/<int:pk>/apply/", data_views.apply, name="apply"),
    path("imports/<int:pk>/discard/", data_views.discard, name="discard"),
]
