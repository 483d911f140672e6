from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "qualitas.web.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        # django-tasks-db shows its queue in the admin. Its records belong to no
        # organisation and keep tracebacks, so an organisation's administrator must
        # not read them; operators read the table itself (docs/deploy.md).
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
