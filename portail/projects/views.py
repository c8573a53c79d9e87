"""Staff project pages. Thin: access is declared by decorator, reads come from
selectors, every change goes through a service in a POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portail.access.catalogue import (
    MILESTONES_ADD,
    MILESTONES_DELETE,
    MILESTONES_EDIT,
    PROJECT_EDIT,
    PROJECT_VIEW,
    TASKS_ADD,
    TASKS_DELETE,
    TASKS_EDIT,
)
from portail.access.decorators import project_permission
from portail.access.portal import PortalAction, can_portal, portal_permission
from portail.access.rules import abilities
from portail.access.selectors import visible_milestones
from portail.portals.decorators import PortalRequest, portal_member
from portail.projects import selectors, services
from portail.projects.forms import (
    MemberAddForm,
    MilestoneForm,
    ProjectForm,
    TaskForm,
    apply_service_errors,
)
from portail.projects.models import Milestone, Project, ProjectMember, ProjectStatus, Task

PROJECTS_PER_PAGE = 50

get_or_post = require_http_methods(["GET", "POST"])


def _detail_url(request: PortalRequest, project: Project, anchor: str = "") -> str:
    url = reverse(
        "projects:detail", kwargs={"portal_slug": request.portal.slug, "project_id": project.pk}
    )
    return f"{url}#{anchor}" if anchor else url


def _back_to_project(request: PortalRequest, project: Project, anchor: str = "") -> HttpResponse:
    return HttpResponseRedirect(_detail_url(request, project, anchor))


def _posted(request: PortalRequest) -> Any:
    return request.POST if request.method == "POST" else None


# Projects -----------------------------------------------------------------------------


@portal_member
@require_GET
def project_list(request: PortalRequest) -> HttpResponse:
    status = request.GET.get("status", selectors.CURRENT)
    if status not in selectors.STATUS_FILTERS:
        status = selectors.CURRENT
    membership = request.membership
    projects = selectors.project_list(membership=membership, status=status)
    page = Paginator(projects, PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.status_counts(membership=membership) if membership.is_staff else {}
    labels = {selectors.CURRENT: _("Current"), **dict(ProjectStatus.choices)}
    return render(
        request,
        "projects/list.html",
        {
            "rows": selectors.project_rows(page.object_list),
            "page": page,
            "status": status,
            "filters": [(key, labels[key], counts.get(key, 0)) for key in selectors.STATUS_FILTERS],
            "may_create": can_portal(membership, PortalAction.CREATE_PROJECTS),
        },
    )


@portal_permission(PortalAction.CREATE_PROJECTS)
@get_or_post
def project_create(request: PortalRequest) -> HttpResponse:
    form = ProjectForm(
        _posted(request), portal_id=request.portal.pk, initial={"owner": request.membership.pk}
    )
    if form.is_valid():
        try:
            project = services.project_create(portal=request.portal, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Project created."))
            return _back_to_project(request, project)
    return render(request, "projects/project_form.html", {"form": form, "project": None})


def _detail_context(request: PortalRequest, project: Project, **extra: Any) -> dict[str, Any]:
    membership = request.membership
    may = abilities(membership, project)
    context = {
        "project": project,
        "progress": selectors.project_progress(project=project),
        "plan": selectors.project_plan(membership=membership, project=project),
        "members": list(selectors.project_members(membership=membership, project=project)),
        "may": may,
        "member_form": MemberAddForm(project=project) if may["project_edit"] else None,
    }
    context.update(extra)
    return context


@project_permission(PROJECT_VIEW)
@require_GET
def project_detail(request: PortalRequest, project: Project) -> HttpResponse:
    return render(request, "projects/detail.html", _detail_context(request, project))


@project_permission(PROJECT_EDIT)
@get_or_post
def project_edit(request: PortalRequest, project: Project) -> HttpResponse:
    form = ProjectForm(_posted(request), portal_id=request.portal.pk, project=project)
    if form.is_valid():
        try:
            services.project_update(project=project, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Project saved."))
            return _back_to_project(request, project)
    return render(request, "projects/project_form.html", {"form": form, "project": project})


@project_permission(PROJECT_EDIT)
@require_POST
def project_archive(request: PortalRequest, project: Project) -> HttpResponse:
    services.project_archive(project=project)
    messages.success(request, _("Project archived. It is hidden from the current projects."))
    return _back_to_project(request, project)


@project_permission(PROJECT_EDIT)
@require_POST
def project_restore(request: PortalRequest, project: Project) -> HttpResponse:
    services.project_restore(project=project)
    messages.success(request, _("Project restored: it is active again."))
    return _back_to_project(request, project)


# Project members ----------------------------------------------------------------------


@project_permission(PROJECT_EDIT)
@require_POST
def member_add(request: PortalRequest, project: Project) -> HttpResponse:
    form = MemberAddForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.project_member_add(project=project, membership=form.cleaned_data["membership"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Added to the project."))
            return _back_to_project(request, project, "members")
    return render(
        request, "projects/detail.html", _detail_context(request, project, member_form=form)
    )


@project_permission(PROJECT_EDIT, item="member")
@require_POST
def member_remove(request: PortalRequest, project: Project, member: ProjectMember) -> HttpResponse:
    try:
        services.project_member_remove(project=project, membership=member.membership)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(name)s was removed from the project.")
            % {"name": member.membership.user.display_name},
        )
    return _back_to_project(request, project, "members")


# Milestones ---------------------------------------------------------------------------


@project_permission(MILESTONES_ADD)
@get_or_post
def milestone_create(request: PortalRequest, project: Project) -> HttpResponse:
    form = MilestoneForm(_posted(request))
    if form.is_valid():
        try:
            milestone = services.milestone_create(project=project, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Milestone added."))
            return _back_to_project(request, project, f"milestone-{milestone.pk}")
    return render(
        request,
        "projects/milestone_form.html",
        {"form": form, "project": project, "milestone": None},
    )


@project_permission(MILESTONES_EDIT, item="milestone")
@get_or_post
def milestone_edit(request: PortalRequest, project: Project, milestone: Milestone) -> HttpResponse:
    form = MilestoneForm(_posted(request), initial=MilestoneForm.initial_for(milestone))
    if form.is_valid():
        try:
            services.milestone_update(milestone=milestone, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Milestone saved."))
            return _back_to_project(request, project, f"milestone-{milestone.pk}")
    return render(
        request,
        "projects/milestone_form.html",
        {"form": form, "project": project, "milestone": milestone},
    )


@project_permission(MILESTONES_EDIT, item="milestone")
@require_POST
def milestone_close(request: PortalRequest, project: Project, milestone: Milestone) -> HttpResponse:
    services.milestone_set_closed(milestone=milestone, closed=True)
    messages.success(request, _("Milestone closed."))
    return _back_to_project(request, project, f"milestone-{milestone.pk}")


@project_permission(MILESTONES_EDIT, item="milestone")
@require_POST
def milestone_reopen(
    request: PortalRequest, project: Project, milestone: Milestone
) -> HttpResponse:
    services.milestone_set_closed(milestone=milestone, closed=False)
    messages.success(request, _("Milestone reopened."))
    return _back_to_project(request, project, f"milestone-{milestone.pk}")


@project_permission(MILESTONES_DELETE, item="milestone")
@require_POST
def milestone_delete(
    request: PortalRequest, project: Project, milestone: Milestone
) -> HttpResponse:
    services.milestone_delete(milestone=milestone)
    messages.success(request, _("Milestone deleted. Its tasks stay in the project."))
    return _back_to_project(request, project, "milestones")


# Tasks --------------------------------------------------------------------------------


def _task_form(request: PortalRequest, project: Project, **kwargs: Any) -> TaskForm:
    return TaskForm(
        _posted(request),
        milestones=visible_milestones(request.membership, project),
        project=project,
        **kwargs,
    )


@project_permission(TASKS_ADD)
@get_or_post
def task_create(request: PortalRequest, project: Project) -> HttpResponse:
    form = _task_form(request, project, initial={"milestone": request.GET.get("milestone")})
    if form.is_valid():
        try:
            task = services.task_create(
                project=project, created_by=request.membership, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Task added."))
            return _back_to_project(request, project, f"task-{task.pk}")
    return render(
        request, "projects/task_form.html", {"form": form, "project": project, "task": None}
    )


@project_permission(TASKS_EDIT, item="task")
@get_or_post
def task_edit(request: PortalRequest, project: Project, task: Task) -> HttpResponse:
    form = _task_form(request, project, initial=TaskForm.initial_for(task))
    if form.is_valid():
        try:
            services.task_update(task=task, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Task saved."))
            return _back_to_project(request, project, f"task-{task.pk}")
    return render(
        request, "projects/task_form.html", {"form": form, "project": project, "task": task}
    )


def _task_toggled(request: PortalRequest, project: Project, task: Task, done: bool) -> HttpResponse:
    services.task_set_done(task=task, done=done)
    if not request.htmx:
        return _back_to_project(request, project, f"task-{task.pk}")
    # htmx: the new row, plus the progress bars it moved (out-of-band swaps).
    return render(
        request,
        "projects/_task_toggled.html",
        {
            "project": project,
            "task": task,
            "may": abilities(request.membership, project),
            "progress": selectors.project_progress(project=project),
            "milestone_progress": (
                selectors.milestone_progress(milestone_id=task.milestone_id)
                if task.milestone_id is not None
                else None
            ),
        },
    )


@project_permission(TASKS_EDIT, item="task")
@require_POST
def task_done(request: PortalRequest, project: Project, task: Task) -> HttpResponse:
    return _task_toggled(request, project, task, done=True)


@project_permission(TASKS_EDIT, item="task")
@require_POST
def task_reopen(request: PortalRequest, project: Project, task: Task) -> HttpResponse:
    return _task_toggled(request, project, task, done=False)


@project_permission(TASKS_DELETE, item="task")
@require_POST
def task_delete(request: PortalRequest, project: Project, task: Task) -> HttpResponse:
    services.task_delete(task=task)
    messages.success(request, _("Task deleted."))
    return _back_to_project(request, project, "milestones")
