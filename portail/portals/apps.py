from django.apps import AppConfig
from django.db.backends.signals import connection_created


class PortalsConfig(AppConfig):
    name = "portail.portals"
    label = "portals"
    verbose_name = "Portals"

    def ready(self) -> None:
        from portail.sqlite_unicode import install

        connection_created.connect(install, dispatch_uid="portail.sqlite_unicode")
