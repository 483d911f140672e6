from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "qualitas.web.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
