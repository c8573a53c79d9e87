"""How much one request may ask of the client pages and services, and the refusals that
say so (README "Operations"). The forms say the same before anything is looked up; the
services (client_users.py, project_clients.py) hold the rule for every other caller.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from portail.projects.models import Project

# Each person added costs a few dozen queries and an invitation (about 50 ms), and each
# project they join a dozen more (about 15 ms), so a request past these would outlast
# gunicorn's timeout (30 s) and end in a bare 500 with nothing saved. A place is one
# person on one project.
# Measured through the pages on the 2-core machine while it ran other tests
# (bench/request_caps.py): 100 people on 10 projects (1,000 places) took 17 s on
# SQLite and 23 s on PostgreSQL, too near the timeout; at these limits the largest request
# (100 people on 3 projects) takes 4 to 6 s on SQLite and 6 to 8.5 s on PostgreSQL.
MAX_PEOPLE_PER_REQUEST = 100
MAX_PROJECTS_PER_REQUEST = 20
MAX_PROJECT_PLACES_PER_REQUEST = 300

# PC6: client users already in the portal put on one project in one request, ticked or
# "everyone matching" (new people entered by email stay under MAX_PEOPLE_PER_REQUEST: each
# gets an invitation). They are written in bulk, in a constant number of queries: one
# insert of their project rows, one of their audit events (one statement per 1,000 rows).
# Measured through the page (bench/request_caps.py), "add everyone matching": 500
# people in 0.2 s on SQLite and on PostgreSQL; 5,000 in 2.5-2.9 s on both; 10,000 in 4 s
# on PostgreSQL and 4 to 10 s on SQLite; 20,000 in 7 to 20 s, too near the timeout on a
# busy machine.
MAX_MEMBERS_PER_REQUEST = 5_000


def _count(number: int) -> str:
    """1,600 in English, 1 600 in French."""
    return formats.number_format(number, force_grouping=True)


def too_many_people(count: int) -> str:
    """The refusal of more than MAX_PEOPLE_PER_REQUEST new people entered in one request."""
    values = {"limit": _count(MAX_PEOPLE_PER_REQUEST), "count": _count(count)}
    return (
        _("At most %(limit)s people at once: you entered %(count)s. Add them in several steps.")
        % values
    )


def too_many_members(count: int, *, matching: bool = False) -> str:
    """The refusal of more than MAX_MEMBERS_PER_REQUEST client users put on a project in one
    request: ticked, or everyone matching the search."""
    values = {"limit": _count(MAX_MEMBERS_PER_REQUEST), "count": _count(count)}
    if matching:
        return (
            _(
                "At most %(limit)s people at once: %(count)s match. Narrow the search and add "
                "them in several steps."
            )
            % values
        )
    return (
        _("At most %(limit)s people at once: you chose %(count)s. Add them in several steps.")
        % values
    )


def too_many_projects(count: int) -> str:
    """The refusal of more than MAX_PROJECTS_PER_REQUEST projects to join in one request."""
    return _(
        "At most %(limit)s projects at once: you chose %(count)s. Add the others in a second step."
    ) % {"limit": _count(MAX_PROJECTS_PER_REQUEST), "count": _count(count)}


def too_many_places(people: int, projects: int) -> str:
    """The refusal of more than MAX_PROJECT_PLACES_PER_REQUEST people times projects."""
    return _(
        "At most %(limit)s project places at once: %(people)s people on %(projects)s "
        "projects make %(count)s. Add fewer people or projects in each step."
    ) % {
        "limit": _count(MAX_PROJECT_PLACES_PER_REQUEST),
        "people": _count(people),
        "projects": _count(projects),
        "count": _count(people * projects),
    }


def cap_projects(projects: Iterable[Project], field: str = "projects") -> list[Project]:
    """The projects as a list; more than MAX_PROJECTS_PER_REQUEST is refused on `field`."""
    chosen = list(projects)
    count = len({project.pk for project in chosen})
    if count > MAX_PROJECTS_PER_REQUEST:
        raise ValidationError({field: too_many_projects(count)})
    return chosen
