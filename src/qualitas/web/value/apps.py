from django.apps import AppConfig


class ValueConfig(AppConfig):
    name = "qualitas.web.value"
    label = "value"
    verbose_name = "Value: benefit claims, light and dark green"
