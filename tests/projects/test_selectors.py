"""Progress is counted by the database (issue 2, item 3): arithmetic and the queries it costs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from django.db.models.signals import post_init
from django.utils import timezone

from portail.projects import plans, services
from portail.projects.models import ProjectStatus, Task, TaskStatus
from portail.workspace import selectors
from portail.workspace.selectors import Progress
from tests.conftest import World, make_project

pytestmark = pytest.mark.django_db


@contextmanager
def no_task_loaded() -> Iterator[None]:
    """Fails if any Task row is turned into a Python object inside the block."""
    loaded: list[Any] = []

    def count(sender: type[Task], instance: Task, **kwargs: Any) -> None:
        loaded.append(instance)

    post_init.connect(count, sender=Task)
    try:
        yield
    finally:
        post_init.disconnect(count, sender=Task)
    assert loaded == [], "progress must be counted in SQL, not by loading tasks"


def add_tasks(world: World, project: Any, done: int, open_: int, **kwargs: Any) -> None:
    for i in range(done):
        plans.task_create(
            project=project,
            title=f"done {i}",
            created_by=world.admin,
            status=TaskStatus.DONE,
            **kwargs,
        )
    for i in range(open_):
        plans.task_create(project=project, title=f"open {i}", created_by=world.admin, **kwargs)


# The Progress value -----------------------------------------------------------------------


def test_progress_of_nothing_is_zero_percent_not_an_error() -> None:
    assert Progress(0, 0).percent == 0
    assert not Progress(0, 0).complete


def test_progress_all_done_is_100_percent() -> None:
    assert Progress(4, 4).percent == 100
    assert Progress(4, 4).complete


@pytest.mark.parametrize(
    ("done", "total", "percent"),
    [(1, 2, 50), (1, 3, 33), (2, 3, 66), (1, 8, 12), (199, 200, 99), (0, 5, 0)],
)
def test_progress_percent_rounds_down_so_100_means_all_done(
    done: int, total: int, percent: int
) -> None:
    assert Progress(done, total).percent == percent


# Projects ---------------------------------------------------------------------------------


def test_project_without_tasks_shows_0_of_0(world: World) -> None:
    with no_task_loaded():
        progress = selectors.project_progress(membership=world.admin, project=world.project)
    assert progress.tasks == Progress(0, 0)
    assert progress.tasks.percent == 0
    assert progress.milestones == Progress(0, 0)


def test_project_with_every_task_done_is_100_percent(world: World) -> None:
    add_tasks(world, world.project, done=3, open_=0)
    with no_task_loaded():
        progress = selectors.project_progress(membership=world.admin, project=world.project)
    assert progress.tasks == Progress(3, 3)
    assert progress.tasks.percent == 100


def test_project_with_mixed_tasks_counts_only_done_ones(world: World) -> None:
    add_tasks(world, world.project, done=2, open_=3)
    plans.task_create(
        project=world.project,
        title="busy",
        created_by=world.admin,
        status=TaskStatus.IN_PROGRESS,
    )
    with no_task_loaded():
        progress = selectors.project_progress(membership=world.admin, project=world.project)
    assert progress.tasks == Progress(2, 6)
    assert progress.tasks.percent == 33


def test_list_rows_carry_task_and_milestone_progress_and_next_milestone(
    world: World, django_assert_num_queries: Any
) -> None:
    closed = plans.milestone_create(project=world.project, title="Kick-off")
    plans.milestone_set_closed(actor=None, milestone=closed, closed=True)
    later = plans.milestone_create(project=world.project, title="Beta", due_date=date(2031, 6, 1))
    sooner = plans.milestone_create(project=world.project, title="Alpha", due_date=date(2031, 3, 1))
    plans.milestone_create(project=world.project, title="Someday")  # undated: last
    add_tasks(world, world.project, done=1, open_=1, milestone=later)
    add_tasks(world, world.project, done=1, open_=0, milestone=sooner)
    add_tasks(world, world.project, done=0, open_=2)
    empty = make_project(world.portal, world.admin, "Empty")

    # The list, then the progress of its projects: tasks, milestones, next milestones.
    with no_task_loaded(), django_assert_num_queries(4):
        rows = selectors.project_rows(
            selectors.project_list(membership=world.admin), viewer=world.admin
        )
    by_name = {row.project.name: row for row in rows}
    website = by_name["Website"]
    assert website.tasks == Progress(2, 5)
    assert website.tasks.percent == 40
    assert website.milestones == Progress(1, 4)
    assert website.next_milestone == selectors.NextMilestone("Alpha", date(2031, 3, 1))
    assert by_name[empty.name].tasks == Progress(0, 0)
    assert by_name[empty.name].milestones == Progress(0, 0)
    assert by_name[empty.name].next_milestone is None


def test_next_milestone_skips_closed_ones_and_falls_back_to_undated(world: World) -> None:
    dated = plans.milestone_create(project=world.project, title="Dated", due_date=date(2031, 1, 1))
    plans.milestone_set_closed(actor=None, milestone=dated, closed=True)
    plans.milestone_create(project=world.project, title="Undated")
    (row,) = selectors.project_rows(
        selectors.project_list(membership=world.employee), viewer=world.employee
    )
    assert row.next_milestone == selectors.NextMilestone("Undated", None)


def test_list_hides_archived_projects_by_default_and_filters_by_status(world: World) -> None:
    archived = make_project(world.portal, world.admin, "Old site")
    services.project_archive(actor=None, project=archived)
    held = make_project(world.portal, world.admin, "Paused")
    services.project_update(actor=None, project=held, status=ProjectStatus.ON_HOLD)

    def names(status: str) -> set[str]:
        return {p.name for p in selectors.project_list(membership=world.admin, status=status)}

    assert names(selectors.CURRENT) == {"Website", "Paused"}
    assert names(ProjectStatus.ARCHIVED) == {"Old site"}
    assert names(ProjectStatus.ON_HOLD) == {"Paused"}
    assert names(ProjectStatus.COMPLETED) == set()
    counts = selectors.status_counts(membership=world.admin)
    assert counts == {
        "current": 2,
        "active": 1,
        "on_hold": 1,
        "completed": 0,
        "archived": 1,
    }


def test_list_refuses_an_unknown_status_filter(world: World) -> None:
    with pytest.raises(ValueError, match="unknown status"):
        selectors.project_list(membership=world.admin, status="deleted")


# Milestones -------------------------------------------------------------------------------


def test_milestone_progress_counts_only_its_own_tasks(world: World) -> None:
    design = plans.milestone_create(project=world.project, title="Design")
    build = plans.milestone_create(project=world.project, title="Build")
    plans.milestone_create(project=world.project, title="Empty")
    add_tasks(world, world.project, done=1, open_=3, milestone=design)
    add_tasks(world, world.project, done=2, open_=0, milestone=build)
    add_tasks(world, world.project, done=5, open_=5)  # no milestone

    with no_task_loaded():
        milestones = list(
            selectors.milestones_with_progress(membership=world.admin, project=world.project)
        )
        progress = {
            m.title: Progress(m.task_done, m.task_total)  # type: ignore[attr-defined]
            for m in milestones
        }
        single = selectors.milestone_progress(
            membership=world.admin, project=world.project, milestone_id=design.pk
        )
    assert progress == {
        "Design": Progress(1, 4),
        "Build": Progress(2, 2),
        "Empty": Progress(0, 0),
    }
    assert single == Progress(1, 4)
    assert progress["Build"].percent == 100
    assert progress["Design"].percent == 25


def test_project_plan_groups_tasks_under_their_milestone_in_position_order(
    world: World, django_assert_num_queries: Any
) -> None:
    first = plans.milestone_create(project=world.project, title="First")
    second = plans.milestone_create(project=world.project, title="Second")
    a = plans.task_create(project=world.project, title="a", created_by=None, milestone=second)
    b = plans.task_create(project=world.project, title="b", created_by=None)
    c = plans.task_create(project=world.project, title="c", created_by=None, milestone=second)
    plans.task_set_done(actor=None, task=a, done=True)  # done tasks keep their place

    with django_assert_num_queries(2):
        plan = selectors.project_plan(membership=world.admin, project=world.project)
    assert [g.milestone.title for g in plan.milestones] == ["First", "Second"]
    assert plan.milestones[0].tasks == []
    assert [t.pk for t in plan.milestones[1].tasks] == [a.pk, c.pk]
    assert plan.milestones[1].progress == Progress(1, 2)
    assert [t.pk for t in plan.loose_tasks] == [b.pk]
    assert not plan.is_empty
    assert first.pk == plan.milestones[0].milestone.pk


def test_assignable_staff_is_admins_managers_and_employees_on_the_project(world: World) -> None:
    people = set(selectors.assignable_staff(project=world.project))
    assert people == {world.admin, world.manager, world.employee}
    assert world.outsider not in people
    assert world.client not in people
    assert world.other_admin not in people


def test_staff_not_on_project_lists_who_can_be_added(world: World) -> None:
    assert set(selectors.staff_not_on_project(project=world.project)) == {
        world.manager,
        world.outsider,
    }


def test_a_task_is_overdue_only_while_open_and_past_its_due_date(world: World) -> None:
    today = timezone.localdate()
    late = plans.task_create(
        project=world.project, title="Late", created_by=world.admin,
        due_date=today - dt.timedelta(days=1),
    )  # fmt: skip
    assert late.is_overdue
    done = plans.task_update(actor=None, task=late, status=TaskStatus.DONE)
    assert not done.is_overdue
    due_today = plans.task_create(
        project=world.project, title="Today", created_by=world.admin, due_date=today
    )
    assert not due_today.is_overdue
