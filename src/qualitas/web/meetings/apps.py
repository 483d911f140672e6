from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "qualitas.web.meetings"
    label = "meetings"
    verbose_name = "Boards, committees and meetings"
