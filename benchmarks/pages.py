"""Page benchmarks: `make bench` (or `.venv/bin/python benchmarks/pages.py`).

Seeds a throw-away test database (SQLite by default, or the DATABASE_URL
database's test twin) with a portal of many projects, milestones and tasks,
then times the staff pages through Django's test client, in process: what is
measured is our code and the database, not a network. Prints the median and
95th percentile of each page and its query count, and exits non-zero when a
page misses its target. Targets are for the 2-core machines the project is
built on; set PORTAIL_BENCH_SCALE to seed more or less.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portail.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from portail.accounts.models import User  # noqa: E402
from portail.portals.models import Membership, MembershipKind, Portal, StaffRole  # noqa: E402
from portail.projects.models import Milestone, Project, ProjectMember, Task, TaskStatus  # noqa: E402

SCALE = float(os.environ.get("PORTAIL_BENCH_SCALE", "1"))
PROJECTS = int(300 * SCALE)
MILESTONES_PER_PROJECT = 4
TASKS_PER_PROJECT = 40
BIG_PROJECT_TASKS = int(600 * SCALE)
RUNS = 40


@dataclass
class Result:
    name: str
    median_ms: float
    p95_ms: float
    queries: int
    target_p95_ms: float

    @property
    def ok(self) -> bool:
        return self.p95_ms <= self.target_p95_ms


def seed() -> tuple[Membership, Membership, Project]:
    portal = Portal.objects.create(name="Bench", slug="bench")
    users = User.objects.bulk_create(
        [User(email=f"staff{i}@bench.test", full_name=f"Staff {i}") for i in range(10)]
    )
    admin, *others = Membership.objects.bulk_create(
        [
            Membership(
                user=u,
                portal=portal,
                kind=MembershipKind.STAFF,
                role=StaffRole.ADMIN if i == 0 else StaffRole.EMPLOYEE,
            )
            for i, u in enumerate(users)
        ]
    )
    employee = others[0]
    today = dt.date.today()
    projects = Project.objects.bulk_create(
        [
            Project(
                portal=portal,
                name=f"Project {i:04d}",
                owner=admin,
                start_date=today - dt.timedelta(days=i % 90),
                end_date=today + dt.timedelta(days=30 + i % 90),
            )
            for i in range(PROJECTS)
        ]
    )
    ProjectMember.objects.bulk_create(
        [ProjectMember(portal=portal, project=p, membership=admin) for p in projects]
        + [ProjectMember(portal=portal, project=p, membership=employee) for p in projects[::2]]
    )
    milestones = Milestone.objects.bulk_create(
        [
            Milestone(
                portal=portal,
                project=p,
                title=f"Milestone {m}",
                position=m,
                due_date=today + dt.timedelta(days=10 * m),
            )
            for p in projects
            for m in range(MILESTONES_PER_PROJECT)
        ]
    )
    now = timezone.now()
    tasks = []
    for index, p in enumerate(projects):
        count = BIG_PROJECT_TASKS if index == 0 else TASKS_PER_PROJECT
        own = milestones[index * MILESTONES_PER_PROJECT : (index + 1) * MILESTONES_PER_PROJECT]
        for t in range(count):
            done = t % 3 == 0
            tasks.append(
                Task(
                    portal=portal,
                    project=p,
                    milestone=own[t % MILESTONES_PER_PROJECT] if t % 5 else None,
                    title=f"Task {t}",
                    status=TaskStatus.DONE if done else TaskStatus.OPEN,
                    completed_at=now if done else None,
                    assignee=others[t % len(others)] if t % 2 else None,
                    position=t,
                )
            )
    Task.objects.bulk_create(tasks, batch_size=2000)
    return admin, employee, projects[0]


def measure(name: str, client: Client, url: str, target_p95_ms: float) -> Result:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    reset_queries()  # DEBUG keeps a bounded log that seeding filled
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    return Result(name, statistics.median(timings), p95, len(queries), target_p95_ms)


def main() -> int:
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        admin, employee, big = seed()
        print(
            f"seeded {PROJECTS} projects, {Task.objects.count()} tasks "
            f"in {time.perf_counter() - started:.1f}s on {connection.vendor}"
        )
        as_admin, as_employee = Client(), Client()
        as_admin.force_login(admin.user)
        as_employee.force_login(employee.user)
        slug = admin.portal.slug
        runs: list[Callable[[], Result]] = [
            lambda: measure(
                "project list (admin, 50 of all)",
                as_admin,
                reverse("projects:list", args=[slug]),
                target_p95_ms=120,
            ),
            lambda: measure(
                "project list (employee, own projects)",
                as_employee,
                reverse("projects:list", args=[slug]),
                target_p95_ms=120,
            ),
            lambda: measure(
                f"project page ({BIG_PROJECT_TASKS} tasks)",
                as_admin,
                reverse("projects:detail", args=[slug, big.pk]),
                target_p95_ms=600,
            ),
        ]
        results = [run() for run in runs]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    width = max(len(r.name) for r in results)
    print(f"{'page':<{width}}  median    p95  target  queries")
    for r in results:
        flag = "ok" if r.ok else "SLOW"
        print(
            f"{r.name:<{width}}  {r.median_ms:6.1f} {r.p95_ms:6.1f}  {r.target_p95_ms:6.0f}"
            f"  {r.queries:7d}  {flag}"
        )
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
