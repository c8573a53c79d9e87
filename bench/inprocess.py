"""The in-process half of `make bench` for one database and scale (bench/run.py runs it
as `python -m bench.inprocess`, with the run's environment: bench.settings, DEBUG=false).

1. Makes a real session (the project's session engine) for the portal's admin and for a
   client user on the 1,000-member project, as a sign-in would, so that gunicorn serves
   the pages to a signed-in person.
2. Builds each key request's URL from the data (bench_data's names).
3. Per request, through Django's test client with these sessions: the status, the size,
   the queries (CaptureQueriesContext, after two warm-up requests), then the raw SQL
   time: the captured statements re-run on a cursor inside a rolled-back transaction,
   summed per request, repeated; p50 and p95 of the sums.
4. The bulk actions, each inside a transaction rolled back (the data stays as built):
   time (median of the runs) and query count.

Writes one JSON document to the path given. Exits 3 when the database holds no
benchmark portal of this scale (bench/run.py then builds it and runs this again).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import Any

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.plan import (  # noqa: E402
    ADD,
    ADD_PEOPLE,
    BIG_TAB,
    CLONE,
    CLONE_TARGETS,
    KEY_REQUESTS,
    PROFILE_EDIT,
)
from bench.stats import percentile  # noqa: E402
from portail.access.customisations import member_permissions_clone  # noqa: E402
from portail.access.models import ClientProfile, PermissionOverride  # noqa: E402
from portail.access.profiles import client_profile_set_permissions  # noqa: E402
from portail.accounts.models import User  # noqa: E402
from portail.accounts.sessions import SEEN_AT, SIGNED_IN_AT, user_sessions_end  # noqa: E402
from portail.clients.models import ClientCompany, ProjectClient  # noqa: E402
from portail.clients.project_clients import project_client_users_add  # noqa: E402
from portail.demo.bench_data import (  # noqa: E402
    BULK_COMPANY_NAME,
    BULK_PROFILE_NAME,
    slug_for,
)
from portail.portals.models import (  # noqa: E402
    Membership,
    MembershipKind,
    MembershipStatus,
    Portal,
)
from portail.projects.models import Project, ProjectMember  # noqa: E402

MISSING = 3
HOST = "127.0.0.1"
# Statements that only frame a transaction: not re-run (the replay has its own).
FRAMING = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """A transaction that never commits."""
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


def make_session(user: User, slug: str) -> str:
    """A signed-in session for `user`, as a password sign-in leaves it (the sessions
    of earlier runs are ended first, so that they do not pile up)."""
    user_sessions_end(user=user)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    now = time.time()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "portail.accounts.backends.EmailBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SIGNED_IN_AT] = now
    # "Last seen" is written at most once a minute; seen a little ahead, so that this
    # write (one query, now and then) does not fall into the measures.
    store[SEEN_AT] = now + 6 * 3600
    store["last_portal"] = slug  # PortalMiddleware writes it once otherwise
    store.create()
    return str(store.session_key)


def urls(portal: Portal) -> dict[str, Any]:
    """Each key request's path, and the rows the bulk actions use."""
    slug = portal.slug
    admin = Membership.objects.select_related("user").get(
        portal=portal, user__email=f"staff000000@{slug}.test"
    )
    big = Project.objects.get(portal=portal, name="Project 0000")
    team = Project.objects.get(portal=portal, name="Project 0001")
    client = (
        Membership.objects.select_related("user")
        .filter(
            portal=portal,
            kind=MembershipKind.CLIENT,
            client_company__name="Company 00000",
            status=MembershipStatus.ACTIVE,
            client_profile__is_builtin=True,
        )
        .order_by("pk")
        .first()
    )
    customised = (
        PermissionOverride.objects.filter(member__project=big)
        .select_related("member")
        .order_by("member__membership_id")
        .first()
    )
    assert client is not None, "bench_data made no active client user of Company 00000"
    assert customised is not None, "bench_data customised nobody on Project 0000"
    company = ClientCompany.objects.get(portal=portal, name="Company 00001")
    profile = ClientProfile.objects.get(portal=portal, name=BULK_PROFILE_NAME)

    def at(name: str, **kwargs: Any) -> str:
        return reverse(name, kwargs={"portal_slug": slug, **kwargs})

    member = {"project_id": big.pk, "membership_id": customised.member.membership_id}
    paths = {
        "client-users list": at("clients:users"),
        "client-users search": at("clients:users") + "?q=client0001",
        "client-users of a company": at("clients:users") + f"?company={company.pk}",
        "project tab, 20 client users": at("project-clients:list", project_id=team.pk),
        BIG_TAB: at("project-clients:list", project_id=big.pk),
        "clone dialog": at("member-permissions:clone", **member),
        "permission grid": at("member-permissions:edit", **member),
        "audit list": at("audit:events"),
        "project list (staff)": at("projects:list"),
        "home (client)": at("projects:list"),
        "project page (client)": at("projects:detail", project_id=big.pk),
        "profile page (1,000 users)": at("access:profile-permissions", profile_id=profile.pk),
    }
    assert set(paths) == {r.name for r in KEY_REQUESTS}
    return {
        "paths": paths,
        "admin": admin,
        "client": client,
        "big": big,
        "source": customised.member,
        "profile": profile,
    }


def replay(statements: list[str], repeats: int, budget_s: float) -> dict[str, Any]:
    """Re-run the statements on a cursor (rolled back), `repeats` times or until the
    budget is spent (at least 3): p50 and p95 of the per-request sums, in ms."""
    sums: list[float] = []
    started = time.perf_counter()
    while len(sums) < repeats and (len(sums) < 3 or time.perf_counter() - started < budget_s):
        total = 0.0
        with rolled_back(), connection.cursor() as cursor:
            for sql in statements:
                begin = time.perf_counter()
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
                total += time.perf_counter() - begin
        sums.append(total * 1000)
    return {
        "n": len(sums),
        "p50_ms": round(percentile(sums, 50), 3),
        "p95_ms": round(percentile(sums, 95), 3),
    }


def measure_request(browser: Client, path: str, repeats: int, budget_s: float) -> dict[str, Any]:
    def get() -> Any:
        return browser.get(path, secure=True, HTTP_HOST=HOST)

    first = get()
    if first.status_code != 200:
        return {"path": path, "error": f"HTTP {first.status_code} in process"}
    get()
    with CaptureQueriesContext(connection) as captured:
        response = get()
    statements = [
        q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(FRAMING)
    ]
    return {
        "path": path,
        "status": response.status_code,
        "bytes": len(response.content),
        "queries": len(captured.captured_queries),
        "sql": replay(statements, repeats, budget_s),
    }


def timed(action: Callable[[], Any], setup: Callable[[], Any], runs: int) -> dict[str, Any]:
    """Median time of `action` over `runs`, and its query count, each run inside its own
    rolled-back transaction after `setup` (not timed). A refusal (ValidationError) is
    the figure: the action cannot be done."""
    seconds: list[float] = []
    try:
        for _ in range(runs):
            with rolled_back():
                setup()
                start = time.perf_counter()
                action()
                seconds.append(time.perf_counter() - start)
        with rolled_back():
            setup()
            with CaptureQueriesContext(connection) as captured:
                action()
    except ValidationError as refused:
        return {"error": "refused: " + "; ".join(refused.messages)}
    return {
        "seconds": round(statistics.median(seconds), 4),
        "runs_s": [round(s, 4) for s in seconds],
        "queries": len(captured.captured_queries),
    }


def bulk(rows: dict[str, Any], runs: int) -> dict[str, Any]:
    portal = rows["big"].portal
    big: Project = rows["big"]
    actor: User = rows["admin"].user
    company = ClientCompany.objects.get(portal=portal, name=BULK_COMPANY_NAME)
    people = list(
        Membership.objects.filter(client_company=company)
        .select_related("user", "client_company")
        .order_by("pk")
    )

    def link_company() -> None:
        # The company becomes a client of the project as project_client_add makes it.
        ProjectClient.objects.create(portal=portal, project=big, company=company)

    def add() -> None:
        project_client_users_add(
            project=big, company=company, actor=actor, members=people[:ADD_PEOPLE], new_people=[]
        )

    source: ProjectMember = rows["source"]
    others = list(
        ProjectMember.objects.filter(project=big, membership__kind=MembershipKind.CLIENT)
        .exclude(pk=source.pk)
        .order_by("pk")
    )
    short = max(0, CLONE_TARGETS - len(others))
    targets: list[ProjectMember] = []

    def clone_setup() -> None:
        # 999 others on the project: one more person of the bulk company joins it.
        link_company()
        joined = ProjectMember.objects.bulk_create(
            [ProjectMember(portal=portal, project=big, membership=m) for m in people[:short]]
        )
        targets[:] = [*others, *joined][:CLONE_TARGETS]

    def clone() -> None:
        member_permissions_clone(source=source, targets=targets, actor=actor)

    profile: ClientProfile = rows["profile"]
    changed = {**profile.permissions, "tasks.view": "all"}

    def edit() -> None:
        client_profile_set_permissions(profile=profile, actor=actor, permissions=changed)

    return {
        CLONE: {**timed(clone, clone_setup, runs), "people": CLONE_TARGETS},
        ADD: {**timed(add, link_company, runs), "people": ADD_PEOPLE},
        PROFILE_EDIT: {
            **timed(edit, lambda: None, runs),
            "people": Membership.objects.filter(client_profile=profile).count(),
        },
    }


def db_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--bulk-runs", type=int, default=3)
    args = parser.parse_args()
    portal = Portal.objects.filter(slug=slug_for(args.scale)).first()
    if portal is None:
        return MISSING
    rows = urls(portal)
    sessions = {
        "admin": make_session(rows["admin"].user, portal.slug),
        "client": make_session(rows["client"].user, portal.slug),
    }
    browsers = {}
    for who, key in sessions.items():
        browsers[who] = Client()
        browsers[who].cookies[settings.SESSION_COOKIE_NAME] = key
    requests = {
        r.name: measure_request(browsers[r.who], rows["paths"][r.name], args.repeats, args.budget)
        for r in KEY_REQUESTS
    }
    for r in KEY_REQUESTS:
        requests[r.name]["who"] = r.who
    result = {
        "portal": portal.slug,
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "requests": requests,
        "bulk": bulk(rows, args.bulk_runs),
        "db_version": db_version(),
    }
    with open(args.out, "w") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
