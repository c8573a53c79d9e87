from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo portal and `make run`'s `serve`: the top of the stack, free to use every app."""

    name = "portail.demo"
    label = "demo"
    verbose_name = "Demo"
