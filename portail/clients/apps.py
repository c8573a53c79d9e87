from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "portail.clients"
    label = "clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        # The outbox makes invitation links when it sends them (notifications/links.py).
        from portail.clients.invitation_services import LINK_KIND, invitation_link_mint
        from portail.notifications.links import link_kind_register

        link_kind_register(LINK_KIND, invitation_link_mint)

        # An upgrade stops naming the rows whose names now collide (upgrade.py).
        from django.db.models.signals import pre_migrate

        from portail.clients.upgrade import check_before_reindex

        pre_migrate.connect(check_before_reindex, sender=self)
