from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portail.accounts"
    label = "accounts"
    verbose_name = "Accounts"
