from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The project pages: the list, a project's plan, its staff, milestones and tasks.

    Above `access` (every page asks its gate), beside `clients`; the data they show
    and change is `projects`' (models and services).
    """

    name = "portail.workspace"
    label = "workspace"
    verbose_name = "Workspace"

    def ready(self) -> None:
        # The audit log links a project it names to the project's page.
        from django.urls import reverse

        from portail.audit.links import register_row_link
        from portail.projects.models import Project

        register_row_link(
            Project,
            lambda slug, project: reverse(
                "projects:detail", kwargs={"portal_slug": slug, "project_id": project.pk}
            ),
        )
