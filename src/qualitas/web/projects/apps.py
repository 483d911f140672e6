from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "qualitas.web.projects"
    label = "projects"
    verbose_name = "Improvement projects"
