from django.urls import path

from qualitas.web.measures import compare_views, library_views, views

app_name = "measures"
urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.create, name="create"),
    # Before <code>/: "library" is the library, never a measure's code.
    path("library/", library_views.index, name="library"),
    path("library/at/<str:ods>/", library_views.adopt, name="adopt"),
    path("<slug:code>/", views.detail, name="detail"),
    path("<slug:code>/edit/", views.edit, name="edit"),
    path("<slug:code>/compare/", compare_views.compare, name="compare"),
    path(
        "<slug:code>/compare/download.<str:fmt>",
        compare_views.compare_download,
        name="compare_download",
    ),
    path("<slug:code>/targets/", views.add_target, name="add_target"),
    path(
        "<slug:code>/targets/<int:pk>/remove/",
        views.remove_target,
        name="remove_target",
    ),
    path("<slug:code>/at/<str:ods>/", views.chart_page, name="chart"),
    path("<slug:code>/at/<str:ods>/notes/", views.annotate, name="annotate"),
    path(
        "<slug:code>/at/<str:ods>/notes/<int:pk>/remove/",
        views.delete_annotation,
        name="delete_annotation",
    ),
    path("<slug:code>/at/<str:ods>/rebase/", views.rebase, name="rebase"),
    path(
        "<slug:code>/at/<str:ods>/rebase/<int:pk>/remove/",
        views.remove_rebase,
        name="remove_rebase",
    ),
    path("<slug:code>/at/<str:ods>/entry/", views.entry, name="entry"),
    path("<slug:code>/at/<str:ods>/data/", views.data, name="data"),
    path(
        "<slug:code>/at/<str:ods>/data/<int:pk>/correct/",
        views.correct,
        name="correct",
    ),
    path("<slug:code>/at/<str:ods>/by/<str:name>/", views.breakdown, name="breakdown"),
]
