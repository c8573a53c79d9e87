from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "portail.clients"
    label = "clients"
    verbose_name = "Clients"
