from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "qualitas.web.board"
    label = "board"
    verbose_name = "Integrated quality report"
