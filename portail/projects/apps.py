from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "portail.projects"
    label = "projects"
    verbose_name = "Projects"
