"""CU9 on every form that takes a rate: hourly-rate fields are shown only when the portal
invoices, and a project rate only on a project billed on staff hours (BI1). Where a field is
not shown, a rate posted anyway is not stored (the form has no such field), and the service
refuses it too, so any other caller gets the same rule.

Forms: add people to a company (CU5), edit a client user (CU6: portal rate and the rate on
each project), add users to a project (PC6), a member's rate on a project (PC7).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.shortcuts import resolve_url

from portail.clients import client_users, companies, project_clients
from portail.clients.models import ClientCompany
from portail.portals.models import Membership
from portail.projects.models import BillingMethod, Project, ProjectMember
from tests.conftest import World

pytestmark = pytest.mark.django_db


NO_INVOICING = "This portal does not invoice: client users have no hourly rate."
# Where a project rate does not apply, and what the refusal says.
REFUSALS = [
    (False, BillingMethod.STAFF_HOURS, NO_INVOICING),
    (
        True,
        BillingMethod.FIXED_COST,
        "“Website” does not bill staff hours: its members have no rate of their own.",
    ),
]
REFUSAL_IDS = ["invoicing-off", "fixed-cost-project"]


def url(name: str, **kwargs: Any) -> str:
    return resolve_url(f"clients:{name}", portal_slug="acme", **kwargs)


def project_url(name: str, world: World, **kwargs: Any) -> str:
    return resolve_url(
        f"project-clients:{name}", portal_slug="acme", project_id=world.project.pk, **kwargs
    )


def billing(world: World, *, invoicing: bool, method: str = BillingMethod.STAFF_HOURS) -> None:
    """The portal's invoicing setting and the project's billing method."""
    world.portal.invoicing_enabled = invoicing
    world.portal.save()
    world.project.billing_method = method
    world.project.fixed_cost = Decimal("5000") if method == BillingMethod.FIXED_COST else None
    world.project.save()


def bowman(world: World) -> ClientCompany:
    """A company that is a client of the project."""
    return companies.company_create(
        portal=world.portal, actor=None, name="Bowman Furniture", projects=[world.project]
    )


def person(world: World, rate: Decimal | None = None) -> Membership:
    """A client user on the project, with `rate` as their portal and project rate (given
    while invoicing is on, as it must be)."""
    invoicing = world.portal.invoicing_enabled
    world.portal.invoicing_enabled = True
    made = client_users.client_user_add(
        portal=world.portal,
        actor=None,
        email="paula@bowman.test",
        company=bowman(world),
        hourly_rate=rate,
        projects=[world.project],
    )
    world.portal.invoicing_enabled = invoicing
    return made


def portal_rate(membership: Membership) -> Decimal | None:
    # filter().first() rather than get(): zeal counts repeated get()s as an N+1.
    return Membership.objects.filter(pk=membership.pk).values_list("hourly_rate", flat=True).first()


def project_rate(project: Project, email: str) -> Decimal | None:
    return (
        ProjectMember.objects.filter(project=project, membership__user__email=email)
        .values_list("hourly_rate", flat=True)
        .first()
    )


def rates_of(email: str) -> tuple[Decimal | None, Decimal | None]:
    """(portal rate, rate on the project) of the person added by that address."""
    member = ProjectMember.objects.select_related("membership").get(membership__user__email=email)
    return member.membership.hourly_rate, member.hourly_rate


# CU5: add people to a company -------------------------------------------------------------


def test_cu9_cu5_add_people_shows_no_rate_without_invoicing_and_stores_none_posted(
    world: World,
) -> None:
    billing(world, invoicing=False)
    company = bowman(world)
    admin = world.client_for(world.admin)
    page = admin.get(url("company-users-add", company_id=company.pk))
    assert page.status_code == 200
    assert 'name="hourly_rate"' not in page.content.decode()

    response = admin.post(
        url("company-users-add", company_id=company.pk),
        {"emails": "nina@bowman.test", "projects": [world.project.pk], "hourly_rate": "90"},
    )

    assert response.status_code == 302
    assert rates_of("nina@bowman.test") == (None, None)


def test_cu9_cu5_add_people_shows_and_stores_the_rate_with_invoicing(world: World) -> None:
    billing(world, invoicing=True)
    company = bowman(world)
    admin = world.client_for(world.admin)
    page = admin.get(url("company-users-add", company_id=company.pk))
    assert 'name="hourly_rate"' in page.content.decode()

    response = admin.post(
        url("company-users-add", company_id=company.pk),
        {"emails": "nina@bowman.test", "projects": [world.project.pk], "hourly_rate": "90"},
    )

    assert response.status_code == 302
    assert rates_of("nina@bowman.test") == (Decimal("90"), Decimal("90"))


def test_cu9_the_company_add_service_refuses_a_rate_without_invoicing(world: World) -> None:
    billing(world, invoicing=False)
    company = bowman(world)

    with pytest.raises(ValidationError) as refused:
        client_users.client_users_add_to_company(
            company=company,
            actor=None,
            emails=["nina@bowman.test", "noah@bowman.test"],
            hourly_rate=Decimal("90"),
            projects=[world.project],
        )

    assert refused.value.message_dict == {"hourly_rate": [NO_INVOICING]}
    assert not Membership.objects.filter(client_company=company).exists()


def test_cu9_the_single_add_service_refuses_a_rate_without_invoicing(world: World) -> None:
    billing(world, invoicing=False)

    with pytest.raises(ValidationError) as refused:
        client_users.client_user_add(
            portal=world.portal,
            actor=None,
            email="nina@bowman.test",
            new_company_name="Vasseur",
            hourly_rate=Decimal("90"),
            projects=[world.project],
        )

    assert list(refused.value.message_dict) == ["hourly_rate"]
    assert not Membership.objects.filter(user__email="nina@bowman.test").exists()
    assert not ClientCompany.objects.filter(name="Vasseur").exists()


# CU6: edit a client user ------------------------------------------------------------------


def test_cu9_cu6_edit_shows_no_rate_without_invoicing_and_stores_none_posted(
    world: World,
) -> None:
    # A rate given while invoicing was on; invoicing is now off. Staff hours on the project,
    # so only the portal setting hides the project rate.
    billing(world, invoicing=False)
    paula = person(world, Decimal("60"))
    admin = world.client_for(world.admin)
    page = admin.get(url("user-edit", membership_id=paula.pk))
    html = page.content.decode()
    assert 'name="hourly_rate"' not in html
    assert f'name="rate_{world.project.pk}"' not in html

    response = admin.post(
        url("user-edit", membership_id=paula.pk),
        {
            "profile": paula.client_profile_id,
            "hourly_rate": "99",
            f"rate_{world.project.pk}": "99",
        },
    )

    assert response.status_code == 302
    assert portal_rate(paula) == Decimal("60")  # kept as it was, not cleared nor changed
    assert project_rate(world.project, "paula@bowman.test") == Decimal("60")


def test_cu9_cu6_edit_shows_no_project_rate_where_the_project_does_not_bill_staff_hours(
    world: World,
) -> None:
    billing(world, invoicing=True, method=BillingMethod.FIXED_COST)
    paula = person(world, Decimal("60"))
    admin = world.client_for(world.admin)
    html = admin.get(url("user-edit", membership_id=paula.pk)).content.decode()
    assert 'name="hourly_rate"' in html  # the portal invoices: the portal rate shows
    assert f'name="rate_{world.project.pk}"' not in html

    response = admin.post(
        url("user-edit", membership_id=paula.pk),
        {
            "profile": paula.client_profile_id,
            "hourly_rate": "70",
            f"rate_{world.project.pk}": "99",
        },
    )

    assert response.status_code == 302
    assert portal_rate(paula) == Decimal("70")
    assert project_rate(world.project, "paula@bowman.test") == Decimal("60")


def test_cu9_cu6_edit_shows_and_stores_both_rates_with_invoicing_and_staff_hours(
    world: World,
) -> None:
    billing(world, invoicing=True)
    paula = person(world, Decimal("60"))
    admin = world.client_for(world.admin)
    html = admin.get(url("user-edit", membership_id=paula.pk)).content.decode()
    assert 'name="hourly_rate"' in html
    assert f'name="rate_{world.project.pk}"' in html

    response = admin.post(
        url("user-edit", membership_id=paula.pk),
        {
            "profile": paula.client_profile_id,
            "hourly_rate": "70",
            f"rate_{world.project.pk}": "75",
        },
    )

    assert response.status_code == 302
    assert portal_rate(paula) == Decimal("70")
    assert project_rate(world.project, "paula@bowman.test") == Decimal("75")


def test_cu9_the_edit_service_refuses_a_new_portal_rate_without_invoicing(
    world: World,
) -> None:
    billing(world, invoicing=False)
    paula = person(world, Decimal("60"))

    with pytest.raises(ValidationError) as refused:
        client_users.client_user_update(membership=paula, actor=None, hourly_rate=Decimal("99"))

    assert refused.value.message_dict == {"hourly_rate": [NO_INVOICING]}
    assert portal_rate(paula) == Decimal("60")
    # The rate it has is no change: saving the rest of the page works.
    client_users.client_user_update(membership=paula, actor=None, hourly_rate=Decimal("60"))
    assert portal_rate(paula) == Decimal("60")


@pytest.mark.parametrize(("invoicing", "method", "refusal"), REFUSALS, ids=REFUSAL_IDS)
def test_cu9_the_edit_service_refuses_a_project_rate_where_rates_do_not_apply(
    world: World, invoicing: bool, method: str, refusal: str
) -> None:
    billing(world, invoicing=invoicing, method=method)
    paula = person(world, Decimal("60"))

    with pytest.raises(ValidationError) as refused:
        client_users.client_user_update(
            membership=paula,
            actor=None,
            hourly_rate=Decimal("60"),
            project_rates={world.project.pk: Decimal("99")},
        )

    assert refused.value.message_dict == {f"rate_{world.project.pk}": [refusal]}
    assert project_rate(world.project, "paula@bowman.test") == Decimal("60")


# PC6: add users to a project --------------------------------------------------------------


@pytest.mark.parametrize(
    ("invoicing", "method"),
    [(False, BillingMethod.STAFF_HOURS), (True, BillingMethod.FIXED_COST)],
    ids=["invoicing-off", "fixed-cost-project"],
)
def test_cu9_pc6_add_users_shows_no_rate_where_rates_do_not_apply_and_stores_none_posted(
    world: World, invoicing: bool, method: str
) -> None:
    billing(world, invoicing=invoicing, method=method)
    company = bowman(world)
    admin = world.client_for(world.admin)
    page = admin.get(project_url("users-add", world, company_id=company.pk))
    assert page.status_code == 200
    assert 'name="hourly_rate"' not in page.content.decode()

    response = admin.post(
        project_url("users-add", world, company_id=company.pk),
        {"new_emails": "nina@bowman.test", "hourly_rate": "64.50"},
    )

    assert response.status_code == 302
    assert rates_of("nina@bowman.test") == (None, None)


def test_cu9_pc6_add_users_shows_and_stores_the_rate_on_a_staff_hours_project(
    world: World,
) -> None:
    billing(world, invoicing=True)
    company = bowman(world)
    admin = world.client_for(world.admin)
    page = admin.get(project_url("users-add", world, company_id=company.pk))
    assert 'name="hourly_rate"' in page.content.decode()

    response = admin.post(
        project_url("users-add", world, company_id=company.pk),
        {"new_emails": "nina@bowman.test", "hourly_rate": "64.50"},
    )

    assert response.status_code == 302
    assert rates_of("nina@bowman.test") == (Decimal("64.50"), Decimal("64.50"))


@pytest.mark.parametrize(("invoicing", "method", "refusal"), REFUSALS, ids=REFUSAL_IDS)
def test_cu9_the_project_add_service_refuses_a_rate_where_rates_do_not_apply(
    world: World, invoicing: bool, method: str, refusal: str
) -> None:
    billing(world, invoicing=invoicing, method=method)
    company = bowman(world)

    with pytest.raises(ValidationError) as refused:
        project_clients.project_client_users_add(
            project=world.project,
            company=company,
            actor=None,
            new_people=[("nina@bowman.test", Decimal("64.50"))],
        )

    assert refused.value.message_dict == {"hourly_rate": [refusal]}
    assert not Membership.objects.filter(user__email="nina@bowman.test").exists()


# PC7: a member's rate on a project --------------------------------------------------------


@pytest.mark.parametrize(("invoicing", "method", "refusal"), REFUSALS, ids=REFUSAL_IDS)
def test_cu9_pc7_the_rate_page_offers_no_field_where_rates_do_not_apply_and_refuses_a_post(
    world: World, invoicing: bool, method: str, refusal: str
) -> None:
    billing(world, invoicing=invoicing, method=method)
    paula = person(world, Decimal("60"))
    admin = world.client_for(world.admin)
    page = admin.get(project_url("user-edit", world, membership_id=paula.pk))
    assert page.status_code == 200
    assert 'name="hourly_rate"' not in page.content.decode()

    response = admin.post(
        project_url("user-edit", world, membership_id=paula.pk), {"hourly_rate": "99"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"hourly_rate": [refusal]}
    assert project_rate(world.project, "paula@bowman.test") == Decimal("60")


def test_cu9_pc7_the_rate_page_shows_and_stores_the_rate_on_a_staff_hours_project(
    world: World,
) -> None:
    billing(world, invoicing=True)
    paula = person(world, Decimal("60"))
    admin = world.client_for(world.admin)
    page = admin.get(project_url("user-edit", world, membership_id=paula.pk))
    assert 'name="hourly_rate"' in page.content.decode()

    response = admin.post(
        project_url("user-edit", world, membership_id=paula.pk), {"hourly_rate": "99"}
    )

    assert response.status_code == 302
    assert project_rate(world.project, "paula@bowman.test") == Decimal("99")
