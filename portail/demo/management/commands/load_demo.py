"""`manage.py load_demo`: the demo portal "Studio Demo" (/p/demo/), idempotently.

`make run` runs it at every start: once the demo portal exists it is left
alone, so whatever someone changed, renamed or deleted in the demo stays as
they left it. `--refresh` fills in what is missing instead: every row is
looked up by its natural key (email, portal slug, project name, milestone and
task title) and created only when missing. Dates are relative to the day the
rows are first created.

`manage.py serve` prints the sign-ins from the constants below; the README
lists them too, so if they change, update README.md ("Try it").
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from portail.access.customisations import member_permissions_customise
from portail.access.profiles import client_profile_builtin
from portail.accounts.models import User
from portail.clients.client_users import client_user_add
from portail.clients.models import ClientCompany
from portail.portals.models import Membership, Portal, StaffRole
from portail.portals.services import (
    membership_add_staff,
    portal_create,
    user_for_email,
)
from portail.projects.models import (
    BillingMethod,
    Milestone,
    Project,
    ProjectMember,
    Task,
    TaskStatus,
)
from portail.projects.permissions import MILESTONES_VIEW, PROJECT_VIEW, TASKS_VIEW, USERS_VIEW
from portail.projects.plans import milestone_create, milestone_set_closed, task_create
from portail.projects.services import project_create, project_member_add

DEMO_PORTAL_NAME = "Studio Demo"
DEMO_PORTAL_SLUG = "demo"
DEMO_TIME_ZONE = "Europe/Paris"
# Published on purpose (README, `make run`): never load the demo into a real installation.
DEMO_PASSWORD = "demo-portail-2026"  # noqa: S105
CLIENT = "client"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    email: str
    full_name: str
    role: str  # a StaffRole value, or CLIENT
    language: str = "en"


ALICE = DemoPerson("alice", "alice@studio-demo.test", "Alice Martin", StaffRole.ADMIN)
MARC = DemoPerson("marc", "marc@studio-demo.test", "Marc Dubois", StaffRole.MANAGER, "fr")
EMMA = DemoPerson("emma", "emma@studio-demo.test", "Emma Leroy", StaffRole.EMPLOYEE)
# Paul and Sophie are client users of "Bowman Furniture's" (DEMO_CLIENTS below).
PAUL = DemoPerson("paul", "paul@bowman.com", "Paul Bowman", CLIENT)
SOPHIE = DemoPerson("sophie", "sophie@bowman.com", "Sophie Bowman", CLIENT, "fr")
DEMO_PEOPLE: tuple[DemoPerson, ...] = (ALICE, MARC, EMMA, PAUL, SOPHIE)
BOWMAN = "Bowman Furniture's"


@dataclass(frozen=True)
class DemoClientUser:
    email: str
    full_name: str
    company: str
    projects: tuple[str, ...]
    # Accepted: active at once, with the demo password. Otherwise: a pending invitation.
    accepted: bool
    # Projects where their permissions are customised (PE2): {project name: permission set}.
    customised: tuple[tuple[str, dict[str, str]], ...] = ()
    language: str = "en"


# Sophie follows the brand refresh read-only: she sees everything the built-in profile
# shows, but adds, edits and deletes nothing there (her customisation of that project).
READ_ONLY = {
    PROJECT_VIEW: "all",
    MILESTONES_VIEW: "all",
    TASKS_VIEW: "all",
    USERS_VIEW: "all",
}


DEMO_CLIENTS: tuple[DemoClientUser, ...] = (
    DemoClientUser(
        PAUL.email,
        PAUL.full_name,
        BOWMAN,
        ("Showroom website", "Spring catalogue", "Brand refresh"),
        accepted=True,
    ),
    DemoClientUser(
        SOPHIE.email,
        SOPHIE.full_name,
        BOWMAN,
        ("Showroom website", "Brand refresh"),
        accepted=True,
        customised=(("Brand refresh", READ_ONLY),),
        language="fr",
    ),
    # The printer of the spring catalogue follows that project; her invitation is pending.
    DemoClientUser(
        "claire@imprimerie-vasseur.test",
        "Claire Vasseur",
        "Imprimerie Vasseur",
        ("Spring catalogue",),
        accepted=False,
    ),
)


@dataclass(frozen=True)
class DemoTask:
    title: str
    status: str = TaskStatus.OPEN
    due_in_days: int | None = None
    milestone: str | None = None
    assignee: str | None = None  # a DemoPerson key
    # Shown to the project's client users unless internal (CX3).
    internal: bool = False


@dataclass(frozen=True)
class DemoMilestone:
    title: str
    starts_in_days: int
    due_in_days: int
    closed: bool = False


@dataclass(frozen=True)
class DemoProject:
    name: str
    description: str
    owner: str
    members: tuple[str, ...]
    starts_in_days: int
    ends_in_days: int
    billing_method: str
    milestones: tuple[DemoMilestone, ...]
    tasks: tuple[DemoTask, ...]
    hourly_rate: Decimal | None = None
    fixed_cost: Decimal | None = None


DONE = TaskStatus.DONE
DOING = TaskStatus.IN_PROGRESS

DEMO_PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        name="Showroom website",
        description="A new website for the Bowman Furniture's showroom, with the full catalogue.",
        owner="alice",
        members=("emma",),
        starts_in_days=-75,
        ends_in_days=10,
        billing_method=BillingMethod.FIXED_COST,
        fixed_cost=Decimal("12000.00"),
        milestones=(
            DemoMilestone("Design", -75, -45, closed=True),
            DemoMilestone("Build", -44, -5, closed=True),
            DemoMilestone("Launch", -4, 10),
        ),
        tasks=(
            DemoTask("Interview the showroom team", DONE, -70, "Design", "alice"),
            DemoTask("Wireframes for the catalogue pages", DONE, -60, "Design", "emma"),
            DemoTask("Visual design, desktop and mobile", DONE, -46, "Design", "emma"),
            DemoTask("Product catalogue import", DONE, -30, "Build", "emma"),
            DemoTask("Store locator with opening hours", DONE, -20, "Build", "emma"),
            DemoTask("Contact and quote request forms", DONE, -12, "Build", "alice"),
            DemoTask("Accessibility review", DONE, -6, "Build", "emma"),
            DemoTask("Client review of the staging site", DONE, -2, "Launch", "alice"),
            DemoTask("Redirects from the old site", DONE, 3, "Launch", "emma"),
            DemoTask("Go live", due_in_days=10, milestone="Launch", assignee="alice"),
        ),
    ),
    DemoProject(
        name="Spring catalogue",
        description="The printed spring catalogue: photography, layout and print.",
        owner="marc",
        members=("emma",),
        starts_in_days=-30,
        ends_in_days=45,
        billing_method=BillingMethod.PROJECT_HOURS,
        hourly_rate=Decimal("85.00"),
        milestones=(
            DemoMilestone("Photography", -30, -5, closed=True),
            DemoMilestone("Layout", -4, 20),
            DemoMilestone("Print", 21, 45),
        ),
        tasks=(
            DemoTask("Shot list with the client", DONE, -25, "Photography", "marc"),
            DemoTask("Studio photo shoot", DONE, -15, "Photography", "emma"),
            DemoTask("Photo retouching", DONE, -6, "Photography", "emma", internal=True),
            DemoTask("Catalogue grid and typography", DONE, -1, "Layout", "emma"),
            DemoTask("Product descriptions", DOING, 7, "Layout", "marc"),
            DemoTask("Layout of the 48 pages", DOING, 18, "Layout", "emma"),
            DemoTask("Proofs for the client", due_in_days=25, milestone="Print", assignee="marc"),
            DemoTask("Send to the printer", due_in_days=40, milestone="Print"),
        ),
    ),
    DemoProject(
        name="Brand refresh",
        description="A lighter logo and colour palette for the company's 30th anniversary.",
        owner="alice",
        members=("marc",),
        starts_in_days=-3,
        ends_in_days=90,
        billing_method=BillingMethod.STAFF_HOURS,
        milestones=(
            DemoMilestone("Discovery", -3, 14),
            DemoMilestone("Identity", 15, 60),
        ),
        tasks=(
            DemoTask("Kick-off meeting", DONE, -2, "Discovery", "alice"),
            DemoTask("Survey of the current brand", DOING, 7, "Discovery", "marc", internal=True),
            DemoTask("Mood boards", due_in_days=14, milestone="Discovery", assignee="alice"),
            DemoTask("Logo sketches", due_in_days=30, milestone="Identity"),
            DemoTask("Colour palette", due_in_days=40, milestone="Identity"),
            DemoTask("Brand guidelines document", due_in_days=60, milestone="Identity"),
        ),
    ),
)


def _days(today: dt.date, offset: int | None) -> dt.date | None:
    return None if offset is None else today + dt.timedelta(days=offset)


class Command(BaseCommand):
    help = (
        "Load the demo portal 'Studio Demo' (/p/demo/) with its people, projects, milestones "
        f"and tasks. Idempotent. Every demo account has the password {DEMO_PASSWORD!r}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="When the demo portal exists, create whatever of it is missing (by name).",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even when DEBUG is false (the demo password is public: don't).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Refusing to load the demo with DEBUG=false: its accounts have a published "
                "password. Pass --allow-production if this really is a throw-away installation."
            )
        if not options["refresh"] and Portal.objects.filter(slug=DEMO_PORTAL_SLUG).exists():
            self.stdout.write(
                "Demo portal already loaded; left as it is (--refresh fills in what is missing)."
            )
            return
        created = self.load()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo portal loaded ({created} rows created)."))
        else:
            self.stdout.write("Demo portal already loaded; nothing was missing.")

    @transaction.atomic
    def load(self) -> int:
        """Create whatever of the demo is missing; return how many rows were created."""
        self.created = 0
        portal = self._portal()
        client_profile_builtin(portal=portal)
        members = {
            person.key: self._membership(portal, person)
            for person in DEMO_PEOPLE
            if person.role != CLIENT
        }
        today = timezone.localdate(timezone=zoneinfo.ZoneInfo(portal.time_zone))
        for spec in DEMO_PROJECTS:
            self._project(portal, spec, members, today)
        for client in DEMO_CLIENTS:
            self._client_user(portal, client)
        return self.created

    def _client_user(self, portal: Portal, spec: DemoClientUser) -> None:
        if Membership.objects.filter(portal=portal, user__email__iexact=spec.email).exists():
            return
        if spec.accepted:
            user, created = user_for_email(
                email=spec.email, password=DEMO_PASSWORD, full_name=spec.full_name
            )
            if created:
                user.language = spec.language
                user.save(update_fields=["language"])
            self.created += int(created)
        company = ClientCompany.objects.filter(
            portal=portal, name=spec.company, deleted_at__isnull=True
        ).first()
        membership = client_user_add(
            portal=portal,
            actor=None,
            email=spec.email,
            full_name=spec.full_name,
            company=company,
            new_company_name="" if company else spec.company,
            projects=Project.objects.filter(portal=portal, name__in=spec.projects),
            invite=not spec.accepted,
        )
        self.created += 1
        for project_name, permissions in spec.customised:
            member = ProjectMember.objects.filter(
                project__portal=portal, project__name=project_name, membership=membership
            ).first()
            if member is not None:
                member_permissions_customise(member=member, permissions=permissions, actor=None)
                self.created += 1

    def _portal(self) -> Portal:
        portal = Portal.objects.filter(slug=DEMO_PORTAL_SLUG).first()
        if portal is not None:
            return portal
        portal, _admin = portal_create(
            name=DEMO_PORTAL_NAME,
            slug=DEMO_PORTAL_SLUG,
            admin_email=ALICE.email,
            admin_password=DEMO_PASSWORD,
            admin_full_name=ALICE.full_name,
            time_zone=DEMO_TIME_ZONE,
        )
        self.created += 1
        return portal

    def _user(self, person: DemoPerson) -> User:
        user, created = user_for_email(
            email=person.email, password=DEMO_PASSWORD, full_name=person.full_name
        )
        if created:
            user.language = person.language
            user.save(update_fields=["language"])
            self.created += 1
        return user

    def _membership(self, portal: Portal, person: DemoPerson) -> Membership:
        user = self._user(person)
        existing = Membership.objects.filter(portal=portal, user=user).first()
        if existing is not None:
            return existing
        self.created += 1
        return membership_add_staff(portal=portal, user=user, role=person.role)

    def _project(
        self,
        portal: Portal,
        spec: DemoProject,
        members: dict[str, Membership],
        today: dt.date,
    ) -> None:
        project = Project.objects.filter(portal=portal, name=spec.name).first()
        owner = members[spec.owner]
        if project is None:
            project = project_create(
                portal=portal,
                name=spec.name,
                owner=owner,
                actor=None,  # the demo loader, shown as "system" in the audit log
                description=spec.description,
                start_date=_days(today, spec.starts_in_days),
                end_date=_days(today, spec.ends_in_days),
                billing_method=spec.billing_method,
                hourly_rate=spec.hourly_rate,
                fixed_cost=spec.fixed_cost,
            )
            self.created += 1
        for key in spec.members:
            project_member_add(project=project, membership=members[key], actor=None)

        milestones = {m.title: m for m in Milestone.objects.filter(project=project)}
        for ms in spec.milestones:
            if ms.title in milestones:
                continue
            milestone = milestone_create(
                project=project,
                title=ms.title,
                start_date=_days(today, ms.starts_in_days),
                due_date=_days(today, ms.due_in_days),
                client_visible=True,
            )
            if ms.closed:
                milestone = milestone_set_closed(milestone=milestone, closed=True, actor=None)
            milestones[ms.title] = milestone
            self.created += 1

        existing_tasks = set(Task.objects.filter(project=project).values_list("title", flat=True))
        for task in spec.tasks:
            if task.title in existing_tasks:
                continue
            task_create(
                project=project,
                title=task.title,
                created_by=owner,
                status=task.status,
                due_date=_days(today, task.due_in_days),
                milestone=milestones[task.milestone] if task.milestone else None,
                assignee=members[task.assignee] if task.assignee else None,
                client_visible=not task.internal,
            )
            self.created += 1
