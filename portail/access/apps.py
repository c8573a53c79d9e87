from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "portail.access"
    label = "access"
    verbose_name = "Access"
