from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "qualitas.web.audit"
    label = "audit"
    verbose_name = "Audit log"
