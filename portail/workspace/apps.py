from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The project pages: the list, a project's plan, its staff, milestones and tasks.

    Above `access` (every page asks its gate), beside `clients`; the data they show
    and change is `projects`' (models and services).
    """

    name = "portail.workspace"
    label = "workspace"
    verbose_name = "Workspace"
