from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "qualitas.web.evidence"
    label = "evidence"
    verbose_name = "CQC well-led evidence"
