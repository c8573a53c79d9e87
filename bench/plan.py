"""What `make bench` measures, by name (pure: the URLs are built in bench/inprocess.py)."""

from __future__ import annotations

from dataclasses import dataclass

FLOOR = "floor (constant view)"


@dataclass(frozen=True)
class KeyRequest:
    name: str
    who: str  # "admin" (staff) or "client"
    key: bool = True  # a key page of issue 13 (held to the page targets)


KEY_REQUESTS: tuple[KeyRequest, ...] = (
    KeyRequest("client-users list", "admin"),
    KeyRequest("client-users search", "admin"),
    KeyRequest("client-users of a company", "admin"),
    KeyRequest("project tab, 20 client users", "admin"),
    KeyRequest("project tab, 1,000 client users", "admin"),
    KeyRequest("clone dialog", "admin"),
    KeyRequest("permission grid", "admin"),
    KeyRequest("audit list", "admin"),
    KeyRequest("project list (staff)", "admin"),
    KeyRequest("home (client)", "client"),
    KeyRequest("project page (client)", "client"),
    # The page of the profile that the bulk edit changes (1,000 people): not a key page.
    KeyRequest("profile page (1,000 users)", "admin", key=False),
)
BIG_TAB = "project tab, 1,000 client users"
CLIENT_HOME = "home (client)"

# Under wrk: the floor, the client home and the big project tab (large, PostgreSQL).
THROUGHPUT = (FLOOR, CLIENT_HOME, BIG_TAB)

CLONE = "clone a customisation to 1,000 people"
ADD = "add 500 client users to a project"
PROFILE_EDIT = "edit a profile used by 1,000 people"
BULK = (CLONE, ADD, PROFILE_EDIT)
CLONE_TARGETS = 1_000
ADD_PEOPLE = 500
