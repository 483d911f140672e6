from django.urls import path

from qualitas.web.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.index, name="index"),
    path("at/<str:ods>/new-committee/", views.committee_new, name="committee_new"),
    path("committees/<int:pk>/", views.committee_detail, name="committee"),
    path("committees/<int:pk>/members/", views.add_member, name="add_member"),
    path(
        "committees/<int:pk>/members/<int:member>/remove/",
        views.remove_member,
        name="remove_member",
    ),
    path("committees/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("<int:pk>/", views.meeting_detail, name="meeting"),
    path("<int:pk>/freeze/", views.freeze, name="freeze"),
    path("<int:pk>/measures/<int:measure>/", views.narrative, name="narrative"),
    path("<int:pk>/decisions/", views.decide, name="decide"),
    path("<int:pk>/actions/", views.add_action, name="add_action"),
    path("<int:pk>/actions/<int:action>/", views.update_action, name="update_action"),
    path("<int:pk>/held/", views.held, name="held"),
    path("<int:pk>/pack/", views.pack, name="pack"),
]
