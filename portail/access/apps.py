from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "portail.access"
    label = "access"
    verbose_name = "Access"

    def ready(self) -> None:
        from portail.access import checks  # noqa: F401  (registers the start-up check)
        from portail.registry import autodiscover

        # Every app's permissions.py declares its modules and portal actions.
        autodiscover()
