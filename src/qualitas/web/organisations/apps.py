from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "qualitas.web.organisations"
    label = "organisations"
    verbose_name = "Organisations"
