"""Project pages, for staff and for client users. Thin: access is declared by decorator
(the one check, PE5), reads come from selectors, every change goes through a service in a
POST.

A client user reaches the same URLs as staff, and gets what their permissions allow
there (CX2): their own page of a project (`projects/client_detail.html`, built by
`selectors.client_project_view`, which staff's "view as" preview uses too, PE7), and
forms without the staff-only fields (assignee, visibility).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from portail.access.decorators import ProjectRequest, project_permission
from portail.access.rules import abilities, decides_visibility
from portail.access.selectors import visible
from portail.portals.decorators import PortalRequest, portal_member
from portail.portals.roles import can_portal, portal_permission
from portail.projects import plans, services
from portail.projects.models import Milestone, Project, ProjectMember, ProjectStatus, Task
from portail.projects.permissions import (
    CREATE_PROJECTS,
    MILESTONES,
    MILESTONES_ADD,
    MILESTONES_DELETE,
    MILESTONES_EDIT,
    PROJECT_EDIT,
    PROJECT_VIEW,
    TASKS_ADD,
    TASKS_DELETE,
    TASKS_EDIT,
)
from portail.web import apply_service_errors, get_or_post, paginate, posted, row_url
from portail.workspace import selectors
from portail.workspace.forms import (
    MemberAddForm,
    MilestoneForm,
    ProjectForm,
    ProjectListFilterForm,
    TaskForm,
    TaskStartForm,
)
from portail.workspace.task_links import link_plan, link_tasks, task_links

PROJECTS_PER_PAGE = 50


def _detail_url(request: PortalRequest, project: Project, anchor: str = "") -> str:
    url = reverse(
        "projects:detail", kwargs={"portal_slug": request.portal.slug, "project_id": project.pk}
    )
    return f"{url}#{anchor}" if anchor else url


def _back_to_project(request: PortalRequest, project: Project, anchor: str = "") -> HttpResponse:
    return HttpResponseRedirect(_detail_url(request, project, anchor))


def _back_to_staff(request: PortalRequest, project: Project) -> HttpResponse:
    return HttpResponseRedirect(
        reverse(
            "projects:staff",
            kwargs={"portal_slug": request.portal.slug, "project_id": project.pk},
        )
    )


def _for_client(request: PortalRequest) -> bool:
    """The form leaves out the fields only staff set (access.rules.decides_visibility)."""
    return not decides_visibility(request.membership)


# Projects -----------------------------------------------------------------------------


@portal_member
@require_safe
def project_list(request: PortalRequest) -> HttpResponse:
    status = ProjectListFilterForm(request.GET).status_filter()
    membership = request.membership
    projects = selectors.project_list(membership=membership, status=status)
    page = paginate(request, projects, PROJECTS_PER_PAGE)
    counts = selectors.status_counts(membership=membership) if membership.is_staff else {}
    labels = {selectors.CURRENT: _("Current"), **dict(ProjectStatus.choices)}
    detail = row_url("projects:detail", "project_id", portal_slug=request.portal.slug)
    return render(
        request,
        "projects/list.html",
        {
            # Each row with its page's address, reversed once for the page (issue 13).
            "rows": [
                replace(row, url=detail(row.project.pk))
                for row in selectors.project_rows(page.object_list, viewer=membership)
            ],
            "page": page,
            "status": status,
            "filters": [(key, labels[key], counts.get(key, 0)) for key in selectors.STATUS_FILTERS],
            "may_create": can_portal(membership, CREATE_PROJECTS),
        },
    )


@portal_permission(CREATE_PROJECTS)
@get_or_post
def project_create(request: PortalRequest) -> HttpResponse:
    form = ProjectForm(
        posted(request), portal_id=request.portal.pk, initial={"owner": request.membership.pk}
    )
    if form.is_valid():
        try:
            project = services.project_create(
                portal=request.portal, actor=request.membership.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Project created."))
            return _back_to_project(request, project)
    return render(request, "projects/project_form.html", {"form": form, "project": None})


@project_permission(PROJECT_VIEW)
@require_safe
def project_detail(request: ProjectRequest, project: Project) -> HttpResponse:
    membership, perms = request.membership, request.project_perms
    if membership.is_client:
        view = selectors.client_project_view(viewer=membership, project=project, perms=perms)
        link_plan(view.plan, project, request.portal.slug)
        return render(
            request,
            "projects/client_detail.html",
            {"project": project, "view": view, "read_only": False},
        )
    plan = selectors.project_plan(membership=membership, project=project, perms=perms)
    link_plan(plan, project, request.portal.slug)
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            "progress": selectors.project_progress(
                membership=membership, project=project, perms=perms
            ),
            "plan": plan,
            "may": abilities(membership, project, perms=perms),
        },
    )


@project_permission(PROJECT_EDIT, item="member", staff_only=True)
@require_safe
def project_view_as(
    request: ProjectRequest, project: Project, member: ProjectMember
) -> HttpResponse:
    """PE7: the project exactly as this client user of it sees it, read-only."""
    client = member.membership
    if not client.is_client:
        raise Http404
    view = selectors.client_project_view(viewer=client, project=project)
    return render(
        request,
        "projects/client_detail.html",
        {"project": project, "view": view, "read_only": True, "preview_of": client},
    )


def _staff_page(
    request: ProjectRequest, project: Project, member_form: MemberAddForm | None = None
) -> HttpResponse:
    may = abilities(request.membership, project, perms=request.project_perms)
    if member_form is None and may["project_edit"]:
        member_form = MemberAddForm(project=project)
    return render(
        request,
        "projects/staff.html",
        {
            "project": project,
            "may": may,
            "members": list(selectors.staff_members(project=project)),
            "member_form": member_form,
        },
    )


@project_permission(PROJECT_VIEW, staff_only=True)
@require_safe
def project_staff(request: ProjectRequest, project: Project) -> HttpResponse:
    """Users -> Staff: the project's staff members, added and removed here."""
    return _staff_page(request, project)


@project_permission(PROJECT_EDIT, staff_only=True)
@get_or_post
def project_edit(request: ProjectRequest, project: Project) -> HttpResponse:
    form = ProjectForm(posted(request), portal_id=request.portal.pk, project=project)
    if form.is_valid():
        try:
            services.project_update(
                project=project, actor=request.membership.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Project saved."))
            return _back_to_project(request, project)
    return render(request, "projects/project_form.html", {"form": form, "project": project})


@project_permission(PROJECT_EDIT, staff_only=True)
@require_POST
def project_archive(request: ProjectRequest, project: Project) -> HttpResponse:
    services.project_archive(project=project, actor=request.membership.user)
    messages.success(request, _("Project archived. It is hidden from the current projects."))
    return _back_to_project(request, project)


@project_permission(PROJECT_EDIT, staff_only=True)
@require_POST
def project_restore(request: ProjectRequest, project: Project) -> HttpResponse:
    services.project_restore(project=project, actor=request.membership.user)
    messages.success(request, _("Project restored: it is active again."))
    return _back_to_project(request, project)


# Project members ----------------------------------------------------------------------


@project_permission(PROJECT_EDIT, staff_only=True)
@require_POST
def member_add(request: ProjectRequest, project: Project) -> HttpResponse:
    form = MemberAddForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.project_member_add(
                project=project,
                membership=form.cleaned_data["membership"],
                actor=request.membership.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Added to the project."))
            return _back_to_staff(request, project)
    return _staff_page(request, project, member_form=form)


@project_permission(PROJECT_EDIT, item="member", staff_only=True)
@require_POST
def member_remove(request: ProjectRequest, project: Project, member: ProjectMember) -> HttpResponse:
    """Take a staff member off the project. Client users leave a project through the
    Client users tab (project-clients:user-remove, PC8: audited, optional notice)."""
    if not member.membership.is_staff:
        raise Http404
    try:
        services.project_member_remove(
            project=project, membership=member.membership, actor=request.membership.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(name)s was removed from the project.")
            % {"name": member.membership.user.display_name},
        )
    return _back_to_staff(request, project)


# Milestones ---------------------------------------------------------------------------


@project_permission(MILESTONES_ADD)
@get_or_post
def milestone_create(request: ProjectRequest, project: Project) -> HttpResponse:
    form = MilestoneForm(posted(request), for_client=_for_client(request))
    if form.is_valid():
        try:
            milestone = plans.milestone_create(
                project=project, created_by=request.membership, **form.cleaned_data
            )
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
def milestone_edit(request: ProjectRequest, project: Project, milestone: Milestone) -> HttpResponse:
    form = MilestoneForm(
        posted(request),
        initial=MilestoneForm.initial_for(milestone),
        for_client=_for_client(request),
    )
    if form.is_valid():
        try:
            plans.milestone_update(
                milestone=milestone, actor=request.membership.user, **form.cleaned_data
            )
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
def milestone_close(
    request: ProjectRequest, project: Project, milestone: Milestone
) -> HttpResponse:
    plans.milestone_set_closed(milestone=milestone, closed=True, actor=request.membership.user)
    messages.success(request, _("Milestone closed."))
    return _back_to_project(request, project, f"milestone-{milestone.pk}")


@project_permission(MILESTONES_EDIT, item="milestone")
@require_POST
def milestone_reopen(
    request: ProjectRequest, project: Project, milestone: Milestone
) -> HttpResponse:
    plans.milestone_set_closed(milestone=milestone, closed=False, actor=request.membership.user)
    messages.success(request, _("Milestone reopened."))
    return _back_to_project(request, project, f"milestone-{milestone.pk}")


@project_permission(MILESTONES_DELETE, item="milestone")
@require_POST
def milestone_delete(
    request: ProjectRequest, project: Project, milestone: Milestone
) -> HttpResponse:
    plans.milestone_delete(milestone=milestone, actor=request.membership.user)
    messages.success(request, _("Milestone deleted. Its tasks stay in the project."))
    return _back_to_project(request, project, "milestones")


# Tasks --------------------------------------------------------------------------------


def _task_form(
    request: PortalRequest, project: Project, task: Task | None = None, **kwargs: Any
) -> TaskForm:
    milestones = visible(request.membership, project, MILESTONES)
    form = TaskForm(
        posted(request),
        milestones=milestones,
        project=project,
        for_client=_for_client(request),
        **kwargs,
    )
    if (
        task is not None
        and task.milestone_id is not None
        and not milestones.filter(pk=task.milestone_id).exists()
    ):
        # The task's milestone is internal: a client user keeps it as it is, unseen.
        del form.fields["milestone"]
    return form


@project_permission(TASKS_ADD)
@get_or_post
def task_create(request: ProjectRequest, project: Project) -> HttpResponse:
    start = TaskStartForm(request.GET)
    milestone_id = start.cleaned_data["milestone"] if start.is_valid() else None
    initial: dict[str, Any] = {"milestone": None if milestone_id is None else str(milestone_id)}
    if milestone_id is not None:
        # The full form, opened from a milestone, starts with that milestone's visibility
        # (as the quick-add row does).
        chosen = visible(request.membership, project, MILESTONES).filter(pk=milestone_id).first()
        initial["client_visible"] = chosen.client_visible if chosen is not None else False
    form = _task_form(request, project, initial=initial)
    if form.is_valid():
        try:
            task = plans.task_create(
                project=project, created_by=request.membership, **form.changes(creating=True)
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
def task_edit(request: ProjectRequest, project: Project, task: Task) -> HttpResponse:
    form = _task_form(request, project, task=task, initial=TaskForm.initial_for(task))
    if form.is_valid():
        try:
            plans.task_update(task=task, actor=request.membership.user, **form.changes())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Task saved."))
            return _back_to_project(request, project, f"task-{task.pk}")
    return render(
        request, "projects/task_form.html", {"form": form, "project": project, "task": task}
    )


def _task_toggled(
    request: ProjectRequest, project: Project, task: Task, done: bool
) -> HttpResponse:
    plans.task_set_done(task=task, done=done, actor=request.membership.user)
    if not request.htmx:
        return _back_to_project(request, project, f"task-{task.pk}")
    # htmx: the new row, plus the progress bars it moved (out-of-band swaps), counted as
    # this person sees them (a client: client-visible items only).
    membership, perms = request.membership, request.project_perms
    selectors.mark_task(task, membership=membership, project=project, perms=perms)
    link_tasks([task], task_links(project, request.portal.slug))
    return render(
        request,
        "projects/_task_toggled.html",
        {
            "project": project,
            "task": task,
            "tasks": [task],
            "may": abilities(membership, project, perms=perms),
            "client_view": membership.is_client,
            "progress": selectors.project_progress(
                membership=membership, project=project, perms=perms
            ),
            "milestone_progress": (
                selectors.milestone_progress(
                    membership=membership,
                    project=project,
                    milestone_id=task.milestone_id,
                    perms=perms,
                )
                if task.milestone_id is not None
                else None
            ),
        },
    )


@project_permission(TASKS_EDIT, item="task")
@require_POST
def task_done(request: ProjectRequest, project: Project, task: Task) -> HttpResponse:
    return _task_toggled(request, project, task, done=True)


@project_permission(TASKS_EDIT, item="task")
@require_POST
def task_reopen(request: ProjectRequest, project: Project, task: Task) -> HttpResponse:
    return _task_toggled(request, project, task, done=False)


@project_permission(TASKS_DELETE, item="task")
@require_POST
def task_delete(request: ProjectRequest, project: Project, task: Task) -> HttpResponse:
    plans.task_delete(task=task, actor=request.membership.user)
    messages.success(request, _("Task deleted."))
    return _back_to_project(request, project, "milestones")
