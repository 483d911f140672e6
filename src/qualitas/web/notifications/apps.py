from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "qualitas.web.notifications"
    label = "notifications"
    verbose_name = "Email notifications"
