from django.apps import AppConfig


class ServerConfig(AppConfig):
    name = "qualitas.web.server"
    label = "server"
    verbose_name = "Web server"
