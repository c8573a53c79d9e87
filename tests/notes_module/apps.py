from django.apps import AppConfig


class NotesModuleConfig(AppConfig):
    """A project module that exists only for the tests (tests/settings.py installs it): it
    proves that a module plugs in with no edit outside its folder."""

    name = "tests.notes_module"
    label = "notes_module"
    verbose_name = "Notes (a test module)"
