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

        # The audit log links a client profile it names to the profile's permissions page.
        from django.urls import reverse

        from portail.access.models import ClientProfile
        from portail.audit.links import register_row_link

        register_row_link(
            ClientProfile,
            lambda slug, profile: reverse(
                "access:profile-permissions", kwargs={"portal_slug": slug, "profile_id": profile.pk}
            ),
        )
