"""Personas shared by the whole suite (healthchecks' hc/test.py, in pytest form).

Portal A ("acme") has an admin, a manager, two employees (one on the project,
one not) and a client; portal B ("other") has its own admin and project.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import translation
from pytest_django.fixtures import Settings
from zeal import zeal_context, zeal_ignore

from portail.access.profiles import client_profile_builtin
from portail.accounts.models import User
from portail.clients.models import ClientCompany
from portail.portals.models import Membership, MembershipKind, Portal, StaffRole
from portail.projects.models import Project, ProjectMember

PASSWORD = "correct horse battery staple"
# The client persona's company; tests that make their own companies use other names.
CLIENT_COMPANY = "Bowman Test Co"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    """Argon2 is slow on purpose; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Iterator[None]:
    """A page read in French leaves French active in the thread (LocaleMiddleware and the
    person's language both activate it and nothing deactivates it): each test starts in
    the default language, whatever ran before it."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _zeal() -> Iterator[None]:
    """Any N+1 query fails the test that caused it."""
    with zeal_context():
        yield


def make_user(email: str, full_name: str = "", language: str = "en") -> User:
    return User.objects.create_user(email, PASSWORD, full_name=full_name, language=language)


def make_member(
    portal: Portal, email: str, role: str = StaffRole.EMPLOYEE, full_name: str = ""
) -> Membership:
    user = User.objects.filter(email=email).first() or make_user(email, full_name)
    if role == "client":
        company = ClientCompany.objects.filter(portal=portal, name=CLIENT_COMPANY).first()
        if company is None:
            company = ClientCompany.objects.create(portal=portal, name=CLIENT_COMPANY)
        return Membership.objects.create(
            user=user,
            portal=portal,
            kind=MembershipKind.CLIENT,
            client_company=company,
            client_profile=client_profile_builtin(portal=portal),
        )
    return Membership.objects.create(user=user, portal=portal, kind=MembershipKind.STAFF, role=role)


def make_project(portal: Portal, owner: Membership, name: str = "Website") -> Project:
    project = Project.objects.create(portal=portal, name=name, owner=owner)
    ProjectMember.objects.create(portal=portal, project=project, membership=owner)
    return project


@dataclass
class World:
    portal: Portal
    admin: Membership
    manager: Membership
    employee: Membership  # member of `project`
    outsider: Membership  # employee of the portal, not on `project`
    client: Membership
    project: Project
    other_portal: Portal
    other_admin: Membership
    other_project: Project

    def client_for(self, membership: Membership) -> Client:
        c = Client()
        with zeal_ignore():  # signing in reads the session twice; that is not an N+1
            c.force_login(membership.user)
        return c


@pytest.fixture
def world(db: None) -> World:
    portal = Portal.objects.create(name="Acme Studio", slug="acme")
    admin = make_member(portal, "admin@acme.test", StaffRole.ADMIN, "Ada Admin")
    manager = make_member(portal, "manager@acme.test", StaffRole.MANAGER, "Max Manager")
    employee = make_member(portal, "employee@acme.test", StaffRole.EMPLOYEE, "Emma Employee")
    outsider = make_member(portal, "outsider@acme.test", StaffRole.EMPLOYEE, "Oscar Outsider")
    client = make_member(portal, "paul@bowman.test", "client", "Paul Bowman")
    project = make_project(portal, admin, "Website")
    ProjectMember.objects.create(portal=portal, project=project, membership=employee)
    other = Portal.objects.create(name="Other Agency", slug="other")
    other_admin = make_member(other, "admin@other.test", StaffRole.ADMIN, "Olga Other")
    other_project = make_project(other, other_admin, "Other website")
    return World(
        portal=portal,
        admin=admin,
        manager=manager,
        employee=employee,
        outsider=outsider,
        client=client,
        project=project,
        other_portal=other,
        other_admin=other_admin,
        other_project=other_project,
    )
