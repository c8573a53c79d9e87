from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from zeal import zeal_ignore

from portail.access import customisations
from portail.access.profiles import client_profile_builtin
from portail.accounts.models import User
from portail.clients import companies, project_clients
from portail.portals.models import Membership, MembershipKind
from portail.projects.models import ProjectMember
from tests.clients.test_request_caps import NO_ADD
from tests.conftest import World, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _z(settings: Any):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with zeal_ignore():
        yield


def people(world, company, count, tag):
    users = User.objects.bulk_create(
        [User(email=f"{tag}{i}@bowman.test", full_name=f"{tag} {i}") for i in range(count)], batch_size=2000
    )
    profile = client_profile_builtin(portal=world.portal)
    return Membership.objects.bulk_create(
        [Membership(portal=world.portal, user=u, kind=MembershipKind.CLIENT, client_company=company, client_profile=profile) for u in users], batch_size=2000
    )


def post(what, client, url, data):
    import cProfile, pstats, os
    prof = cProfile.Profile()
    with CaptureQueriesContext(connection) as q:
        start = time.perf_counter()
        if os.environ.get("PROF"): prof.enable()
        r = client.post(url, data)
        prof.disable()
        took = time.perf_counter() - start
    if os.environ.get("PROF"):
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        for x in sorted(q.captured_queries, key=lambda x: -float(x["time"]))[:6]: print(x["time"], x["sql"][:300])
    assert r.status_code == 302, r.content[:3000]
    print(f"\n{connection.vendor} {what}: {took:.2f} s, {len(q)} queries")


@pytest.mark.parametrize("n", [1000, 5000, 10000, 20000])
def test_clone(world, n):
    source = ProjectMember.objects.create(portal=world.portal, project=world.project, membership=world.client)
    customisations.member_permissions_customise(member=source, permissions=NO_ADD, actor=world.admin.user)
    ms = people(world, world.client.client_company, n, "t")
    ProjectMember.objects.bulk_create([ProjectMember(portal=world.portal, project=world.project, membership=m) for m in ms], batch_size=2000)
    customisations.MAX_CLONE_TARGETS = 10**6
    url = resolve_url("member-permissions:clone", portal_slug="acme", project_id=world.project.pk, membership_id=world.client.pk)
    admin = world.client_for(world.admin)
    start = time.perf_counter(); r = admin.get(url); print(f"\nGET dialog {n}: {time.perf_counter()-start:.3f}s {len(r.content)} bytes")
    post(f"clone everyone {n}", admin, url, {"everyone": "on"})
    post(f"clone everyone again (replace) {n}", admin, url, {"everyone": "on"})


@pytest.mark.parametrize("n", [500, 5000, 10000, 20000])
def test_add(world, n, monkeypatch):
    company = companies.company_create(portal=world.portal, actor=None, name="Bowman")
    project_clients.project_client_add(project=world.project, company=company, actor=None)
    people(world, company, n, "a")
    monkeypatch.setattr(project_clients, "MAX_MEMBERS_PER_REQUEST", 10**6)
    url = resolve_url("project-clients:users-add", portal_slug="acme", project_id=world.project.pk, company_id=company.pk)
    admin = world.client_for(world.admin)
    start = time.perf_counter(); r = admin.get(url); print(f"\nGET add dialog {n}: {time.perf_counter()-start:.3f}s {len(r.content)} bytes")
    post(f"add everyone {n}", admin, url, {"everyone": "on"})
    assert ProjectMember.objects.filter(project=world.project).count() >= n
