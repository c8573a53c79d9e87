"""A portal at agency scale for the benchmarks (`manage.py bench_data`), built in bulk.

Deterministic: the same scale gives the same rows (names, who is on which project, who
is customised, which invitation is pending), so two runs measure the same thing. Rows
are written with `bulk_create`, not through the services: the services' rules are
proven by the tests, and one service call per row would take hours at this size. The
shapes are the ones the services make (a client user on a project has their company as
a client of it, one primary client per project, one built-in default profile, ...).

- small: one project with 1,000 client users (100 companies of 10), 20 projects;
- large: 2,000 client companies, 20,000 client users, 1,000 projects, about 100,000
  project memberships (5 % customised), 10,000 milestones, 200,000 tasks, pending and
  accepted invitations, and one project with 1,000 client users;
- both: the first project ("Project 0000") has 1,000 client users, the second ("Project
  0001") 20 (two companies of 10);
- both: one more client company, "Company bulk", of 1,000 client users on no project, all
  with the profile "Bulk" (nobody else has it): what `make bench` adds to a project, and
  the profile whose permissions it edits (bench/inprocess.py).

BENCH_DATA_VERSION changes whenever the data built changes, so that `make bench` knows
when a database it built before must be built again.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from portail.access.models import BUILTIN_PROFILE_NAME, ClientProfile, PermissionOverride
from portail.accounts.models import User
from portail.accounts.tokens import new_token
from portail.clients.models import ClientCompany, Invitation, ProjectClient
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal, StaffRole
from portail.projects.models import (
    BillingMethod,
    Milestone,
    Project,
    ProjectMember,
    ProjectStatus,
    Task,
    TaskStatus,
)
from portail.registry import registry

BENCH_PASSWORD = "bench-portail-2026"  # noqa: S105 (published: benchmark data only)
BATCH = 2_000
BENCH_DATA_VERSION = 2  # bump on any change to the rows built
BULK_COMPANY_NAME = "Company bulk"
BULK_PROFILE_NAME = "Bulk"
BULK_PEOPLE = 1_000
TEAM_PROJECT_COMPANIES = 2  # the second project has 20 client users, at every scale


@dataclass(frozen=True)
class Scale:
    companies: int
    users_per_company: int
    projects: int
    companies_per_project: int
    big_project_companies: int  # the first project's client companies (10 users each)
    milestones_per_project: int
    tasks_per_project: int
    employees: int
    customised_percent: int = 5
    invited_percent: int = 10

    @property
    def client_users(self) -> int:
        return self.companies * self.users_per_company


SCALES: dict[str, Scale] = {
    "small": Scale(
        companies=100,
        users_per_company=10,
        projects=20,
        companies_per_project=5,
        big_project_companies=100,
        milestones_per_project=5,
        tasks_per_project=50,
        employees=10,
    ),
    "large": Scale(
        companies=2_000,
        users_per_company=10,
        projects=1_000,
        companies_per_project=10,
        big_project_companies=100,
        milestones_per_project=10,
        tasks_per_project=200,
        employees=50,
    ),
}


@dataclass(frozen=True)
class Built:
    portal: Portal
    admin_email: str
    client_email: str  # a client user on the big project, with the default profile
    big_project: Project  # 1,000 client users
    team_project: Project  # 20 client users
    counts: dict[str, int]


def slug_for(scale: str) -> str:
    return f"bench-{scale}"


def _bulk(model: Any, rows: list[Any]) -> list[Any]:
    return list(model.objects.bulk_create(rows, batch_size=BATCH))


def _people(kind: str, count: int, *, slug: str, password: str) -> list[User]:
    """`count` people, `<kind>000000@<slug>.test`, all with the same password hash."""
    return _bulk(
        User,
        [
            User(
                email=f"{kind}{i:06}@{slug}.test",
                full_name=f"{kind.title()} {i:06}",
                password=password,
                language="en",
            )
            for i in range(count)
        ],
    )


@transaction.atomic
def bench_portal_build(*, scale_name: str, seed: int = 2026) -> Built:
    """Build the benchmark portal of this scale (slug `bench-<scale>`), replacing any."""
    scale = SCALES[scale_name]
    rnd = random.Random(seed)
    now = timezone.now()
    slug = slug_for(scale_name)
    old = Portal.objects.filter(slug=slug).first()
    if old is not None:
        bench_portal_delete(old)
    password = make_password(BENCH_PASSWORD)  # one hash for everyone: hashing is slow
    portal = Portal.objects.create(name=f"Bench {scale_name}", slug=slug, time_zone="UTC")
    builtin = ClientProfile.objects.create(
        portal=portal,
        name=BUILTIN_PROFILE_NAME,
        permissions=registry.builtin_client_permissions(),
        is_builtin=True,
        is_default=True,
    )
    reviewer = ClientProfile.objects.create(
        portal=portal,
        name="Reviewer",
        permissions={"project.view": "all", "milestones.view": "all", "tasks.view": "all"},
    )

    bulk_profile = ClientProfile.objects.create(
        portal=portal,
        name=BULK_PROFILE_NAME,
        permissions={"project.view": "all", "milestones.view": "all"},
    )

    # Staff: one admin, a few managers, employees.
    staff_roles = (
        [StaffRole.ADMIN] + [StaffRole.MANAGER] * 4 + [StaffRole.EMPLOYEE] * scale.employees
    )
    staff_users = _people("staff", len(staff_roles), slug=slug, password=password)
    staff = _bulk(
        Membership,
        [
            Membership(
                user=user,
                portal=portal,
                kind=MembershipKind.STAFF,
                role=role,
                status=MembershipStatus.ACTIVE,
                activated_at=now,
            )
            for user, role in zip(staff_users, staff_roles, strict=True)
        ],
    )
    employees = [m for m in staff if m.role == StaffRole.EMPLOYEE]

    companies = _bulk(
        ClientCompany,
        [ClientCompany(portal=portal, name=f"Company {i:05}") for i in range(scale.companies)],
    )
    client_users = _people("client", scale.client_users, slug=slug, password=password)
    invited = set(
        rnd.sample(range(1, scale.client_users), scale.client_users * scale.invited_percent // 100)
    )
    clients = _bulk(
        Membership,
        [
            Membership(
                user=user,
                portal=portal,
                kind=MembershipKind.CLIENT,
                client_company=companies[i // scale.users_per_company],
                client_profile=reviewer if i % 7 == 3 else builtin,
                status=MembershipStatus.INVITED if i in invited else MembershipStatus.ACTIVE,
                activated_at=None if i in invited else now,
            )
            for i, user in enumerate(client_users)
        ],
    )
    bulk_company = ClientCompany.objects.create(portal=portal, name=BULK_COMPANY_NAME)
    bulk_people = _bulk(
        Membership,
        [
            Membership(
                user=user,
                portal=portal,
                kind=MembershipKind.CLIENT,
                client_company=bulk_company,
                client_profile=bulk_profile,
                status=MembershipStatus.ACTIVE,
                activated_at=now,
            )
            for user in _people("bulk", BULK_PEOPLE, slug=slug, password=password)
        ],
    )
    by_company = [
        clients[c * scale.users_per_company : (c + 1) * scale.users_per_company]
        for c in range(scale.companies)
    ]
    expires = now + dt.timedelta(days=7)
    _bulk(
        Invitation,
        [
            Invitation(
                portal=portal,
                membership=membership,
                token_hash=new_token()[1],
                created_at=now - dt.timedelta(days=1),
                expires_at=expires,
                accepted_at=None if membership.status == MembershipStatus.INVITED else now,
            )
            for i, membership in enumerate(clients)
            if membership.status == MembershipStatus.INVITED or i % 3 == 0
        ],
    )

    projects = _bulk(
        Project,
        [
            Project(
                portal=portal,
                name=f"Project {i:04}",
                status=ProjectStatus.ACTIVE if i % 10 else ProjectStatus.ON_HOLD,
                billing_method=BillingMethod.NOT_BILLABLE,
                owner=employees[i % len(employees)],
                start_date=now.date() - dt.timedelta(days=30),
            )
            for i in range(scale.projects)
        ],
    )
    members: list[ProjectMember] = []
    links: list[ProjectClient] = []
    for index, project in enumerate(projects):
        team = {project.owner_id, employees[(index + 1) % len(employees)].pk}
        members += [
            ProjectMember(portal=portal, project=project, membership_id=pk) for pk in sorted(team)
        ]
        count = scale.big_project_companies if index == 0 else scale.companies_per_project
        chosen = (
            range(count)
            if index == 0
            else rnd.sample(range(scale.companies), min(count, scale.companies))
        )
        if index == 1:  # the 20-member project: two companies of 10
            chosen = chosen[:TEAM_PROJECT_COMPANIES]
        for position, company_index in enumerate(chosen):
            links.append(
                ProjectClient(
                    portal=portal,
                    project=project,
                    company=companies[company_index],
                    is_primary=position == 0,
                )
            )
            members += [
                ProjectMember(portal=portal, project=project, membership=membership)
                for membership in by_company[company_index]
            ]
    _bulk(ProjectClient, links)
    members = _bulk(ProjectMember, members)
    client_ids = {m.pk for m in clients}
    client_rows = [m for m in members if m.membership_id in client_ids]
    customised = rnd.sample(client_rows, len(client_rows) * scale.customised_percent // 100)
    _bulk(
        PermissionOverride,
        [
            PermissionOverride(
                portal=portal,
                member=member,
                permissions={**registry.builtin_client_permissions(), "milestones.add": "all"},
            )
            for member in customised
        ],
    )

    milestones = _bulk(
        Milestone,
        [
            Milestone(
                portal=portal,
                project=project,
                title=f"Milestone {m}",
                due_date=now.date() + dt.timedelta(days=7 * m),
                client_visible=m % 3 != 2,
                closed_at=now if m == 0 else None,
                position=m,
            )
            for project in projects
            for m in range(scale.milestones_per_project)
        ],
    )
    per_project = scale.milestones_per_project
    tasks = []
    for p, project in enumerate(projects):
        project_milestones = milestones[p * per_project : (p + 1) * per_project]
        for t in range(scale.tasks_per_project):
            done = t % 4 == 0
            tasks.append(
                Task(
                    portal=portal,
                    project=project,
                    milestone=project_milestones[t % per_project] if t % 5 else None,
                    title=f"Task {t}",
                    status=TaskStatus.DONE if done else TaskStatus.OPEN,
                    completed_at=now if done else None,
                    client_visible=t % 3 != 0,
                    assignee=employees[(p + t) % len(employees)] if t % 2 else None,
                    position=t,
                )
            )
    _bulk(Task, tasks)

    big = projects[0]
    client_on_big = next(
        m
        for m in by_company[0]
        if m.status == MembershipStatus.ACTIVE and m.client_profile_id == builtin.pk
    )
    return Built(
        portal=portal,
        admin_email=staff_users[0].email,
        client_email=client_on_big.user.email,
        big_project=big,
        team_project=projects[1],
        counts={
            "client companies": len(companies),
            "client users": len(clients),
            "staff": len(staff),
            "projects": len(projects),
            "project memberships": len(members),
            "customised": len(customised),
            "client users of the bulk company (on no project)": len(bulk_people),
            "milestones": len(milestones),
            "tasks": len(tasks),
        },
    )


def bench_portal_delete(portal: Portal) -> None:
    """Remove a benchmark portal and its people (they belong to no other portal)."""
    user_ids = list(Membership.objects.filter(portal=portal).values_list("user_id", flat=True))
    # Rows that protect others (memberships hold companies and profiles) go first.
    for model in (Invitation, PermissionOverride, Task, Milestone, ProjectClient, ProjectMember):
        model.objects.filter(portal=portal).delete()
    Project.objects.filter(portal=portal).delete()
    Membership.objects.filter(portal=portal).delete()
    portal.delete()
    User.objects.filter(pk__in=user_ids, memberships__isnull=True).delete()
