from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "qualitas.web.measures"
    label = "measures"
    verbose_name = "Measures and data"

    def ready(self) -> None:
        # Connects the receivers that move a measure's data version on.
        from qualitas.web.measures import versions  # noqa: F401
