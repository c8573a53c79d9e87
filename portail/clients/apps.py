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

        # The audit log links a company or client user it names to their page.
        from django.urls import reverse

        from portail.audit.links import register_row_link
        from portail.clients.models import ClientCompany
        from portail.portals.models import Membership, MembershipStatus

        register_row_link(
            ClientCompany,
            lambda slug, company: reverse(
                "clients:company-edit", kwargs={"portal_slug": slug, "company_id": company.pk}
            ),
        )
        register_row_link(
            Membership,
            lambda slug, membership: (
                reverse(
                    "clients:user-edit",
                    kwargs={"portal_slug": slug, "membership_id": membership.pk},
                )
                if membership.is_client and membership.status != MembershipStatus.DEACTIVATED
                else None
            ),
        )
