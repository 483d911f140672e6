from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "qualitas.web.assessments"
    label = "assessments"
    verbose_name = "QI-governance maturity and improvement capability"
