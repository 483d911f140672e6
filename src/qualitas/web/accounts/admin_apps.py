"""The admin app, with the qualitas admin site (kept apart: app configs load before models)."""

from django.contrib.admin.apps import AdminConfig


class QualitasAdminConfig(AdminConfig):
    default_site = "qualitas.web.accounts.admin_site.QualitasAdminSite"
