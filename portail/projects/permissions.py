"""What can be done in a project, declared into the permission registry (portail/registry.py).

The project itself, its milestones and tasks, and its people. Views declare these
constants (`@project_permission(TASKS_EDIT, item="task")`), never a hand-typed code.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from portail.portals.models import Membership, MembershipKind, MembershipStatus, StaffRole
from portail.projects.models import Milestone, ProjectMember, Task
from portail.registry import LEVELLED, ON_OFF, Ability, Action, Level, Module, registry

VIEW, ADD, EDIT, DELETE = Action.VIEW, Action.ADD, Action.EDIT, Action.DELETE


def _people_a_client_sees(rows: QuerySet[Any], viewer: Membership) -> QuerySet[Any]:
    """A client sees the project's active staff and their own company's people, never
    another client company's (CX3)."""
    return rows.filter(
        Q(membership__kind=MembershipKind.STAFF)
        | Q(membership__client_company_id=viewer.client_company_id),
        membership__status=MembershipStatus.ACTIVE,
    )


# The built-in "Client" profile (DESIGN.md) sees the project, its milestones and tasks and
# the project's people; adds tasks; edits and deletes the tasks they added or are assigned to.
PROJECT = registry.module(
    Module(
        "project",
        _("Project overview and progress"),
        (
            Ability(VIEW, LEVELLED, builtin=Level.ALL),
            # Managing the project itself (its settings, its staff, its client companies
            # and their people's permissions): staff only, and not offered in the grid.
            Ability(EDIT, LEVELLED, staff_only=True),
        ),
    )
)
MILESTONES = registry.module(
    Module(
        "milestones",
        _("Milestones"),
        (
            Ability(VIEW, LEVELLED, builtin=Level.ALL),
            Ability(ADD, ON_OFF),
            Ability(EDIT, LEVELLED),
            Ability(DELETE, LEVELLED),
        ),
        model=Milestone,
        item="milestone",
        own_fields=("created_by",),
        client_visible="client_visible",
    )
)
TASKS = registry.module(
    Module(
        "tasks",
        _("Tasks"),
        (
            Ability(VIEW, LEVELLED, builtin=Level.ALL),
            Ability(ADD, ON_OFF, builtin=Level.ALL),
            Ability(EDIT, LEVELLED, builtin=Level.OWN),
            Ability(DELETE, LEVELLED, builtin=Level.OWN),
        ),
        model=Task,
        item="task",
        own_fields=("created_by", "assignee"),
        client_visible="client_visible",
        related=("assignee__user",),
    )
)
# The project's people. Staff manage who is on a project, so clients only ever view
# this module, and it is on or off: seeing "my own" people of a project means nothing.
USERS = registry.module(
    Module(
        "users",
        _("Project users"),
        (Ability(VIEW, ON_OFF, builtin=Level.ALL),),
        model=ProjectMember,
        item="member",
        lookup="membership_id",
        url_kwarg="membership_id",
        client_rows=_people_a_client_sees,
        related=("membership__user", "membership__client_company", "membership__client_profile"),
    )
)

PROJECT_VIEW = PROJECT.code(VIEW)
PROJECT_EDIT = PROJECT.code(EDIT)
MILESTONES_VIEW = MILESTONES.code(VIEW)
MILESTONES_ADD = MILESTONES.code(ADD)
MILESTONES_EDIT = MILESTONES.code(EDIT)
MILESTONES_DELETE = MILESTONES.code(DELETE)
TASKS_VIEW = TASKS.code(VIEW)
TASKS_ADD = TASKS.code(ADD)
TASKS_EDIT = TASKS.code(EDIT)
TASKS_DELETE = TASKS.code(DELETE)
USERS_VIEW = USERS.code(VIEW)

CREATE_PROJECTS = registry.portal_action(
    "portal.create_projects", roles=(StaffRole.ADMIN, StaffRole.MANAGER)
)
