"""The links of a project page's task rows, reversed once per page (issue 13: a project
of 200 tasks reversed three URLs a row in its template); `web.row_url` puts each task's id
in them. The htmx answer to a tick links its one row the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from portail.projects.models import Project, Task
from portail.web import row_url
from portail.workspace.selectors import ProjectPlan


@dataclass(frozen=True)
class TaskLinks:
    done: Callable[[int], str]
    reopen: Callable[[int], str]
    edit: Callable[[int], str]
    delete: Callable[[int], str]


def task_links(project: Project, portal_slug: str) -> TaskLinks:
    page = {"portal_slug": portal_slug, "project_id": project.pk}
    return TaskLinks(
        done=row_url("projects:task-done", "task_id", **page),
        reopen=row_url("projects:task-reopen", "task_id", **page),
        edit=row_url("projects:task-edit", "task_id", **page),
        delete=row_url("projects:task-delete", "task_id", **page),
    )


def link_tasks(tasks: Iterable[Task], links: TaskLinks) -> None:
    """Give each task (marked by selectors.mark_task) the links its row shows: the tick's
    (done or reopen) and the edit page's when it may edit it, delete when it may delete."""
    for task in tasks:
        if task.may_edit:  # type: ignore[attr-defined]
            toggle = links.reopen if task.is_done else links.done
            task.toggle_url = toggle(task.pk)  # type: ignore[attr-defined]
            task.edit_url = links.edit(task.pk)  # type: ignore[attr-defined]
        if task.may_delete:  # type: ignore[attr-defined]
            task.delete_url = links.delete(task.pk)  # type: ignore[attr-defined]


def link_plan(plan: ProjectPlan | None, project: Project, portal_slug: str) -> None:
    """Link every task of a project page's plan (None: the page shows no plan)."""
    if plan is None:
        return
    links = task_links(project, portal_slug)
    for group in plan.milestones:
        link_tasks(group.tasks, links)
    link_tasks(plan.loose_tasks, links)
