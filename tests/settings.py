"""The settings the test suite runs with: Portail's own, plus a project module that exists
only for the tests (tests/notes_module), so that every test also proves a new module
plugs into the grid, the gate and the authorization matrix by itself."""

from portail.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.notes_module"]  # noqa: F405
