from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portail.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # The outbox makes password-reset links when it sends them (notifications/links.py).
        from portail.accounts.services import PASSWORD_RESET_LINK_KIND, password_reset_link_mint
        from portail.notifications.links import link_kind_register

        link_kind_register(PASSWORD_RESET_LINK_KIND, password_reset_link_mint)
