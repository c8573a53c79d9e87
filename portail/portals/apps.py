from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "portail.portals"
    label = "portals"
    verbose_name = "Portals"
