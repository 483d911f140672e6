from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "qualitas.web.measures"
    label = "measures"
    verbose_name = "Measures and data"
