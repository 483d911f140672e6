from django.urls import path

from qualitas.web.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.preferences, name="preferences"),
    path("measures/<slug:code>/follow/", views.follow, name="follow"),
    path("measures/<slug:code>/unfollow/", views.unfollow, name="unfollow"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
