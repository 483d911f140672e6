from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "qualitas.web.demo"
    label = "demo"
    verbose_name = "Demonstration data"
