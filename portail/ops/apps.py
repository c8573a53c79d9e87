from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: `manage.py backup` and `manage.py restore`; it imports no domain app."""

    name = "portail.ops"
    label = "ops"
    verbose_name = "Operations"
