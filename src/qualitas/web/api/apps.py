from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qualitas.web.api"
    label = "api"
    verbose_name = "JSON API"
