from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "portail.recovery"
    label = "recovery"
    verbose_name = "Account recovery"

    def ready(self) -> None:
        # The outbox makes password-reset links when it sends them (notifications/links.py).
        from portail.notifications.links import link_kind_register
        from portail.recovery.services import PASSWORD_RESET_LINK_KIND, password_reset_link_mint

        link_kind_register(PASSWORD_RESET_LINK_KIND, password_reset_link_mint)
