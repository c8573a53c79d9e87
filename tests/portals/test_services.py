"""portal_create and the membership services."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from portail.accounts.models import User
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal, StaffRole
from portail.portals.services import membership_add_staff, portal_create
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase"


def create(**overrides: object) -> tuple[Portal, Membership]:
    args: dict[str, object] = {
        "name": "Studio Nord",
        "slug": "nord",
        "admin_email": "ada@nord.test",
        "admin_password": NEW_PASSWORD,
        "admin_full_name": "Ada Nord",
    }
    args.update(overrides)
    return portal_create(**args)  # type: ignore[arg-type]


def error_fields(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(exc.value.message_dict)


def test_it_creates_the_portal_and_its_first_admin() -> None:
    portal, admin = create(currency="chf", time_zone="Europe/Zurich", invoicing_enabled=True)

    assert (portal.name, portal.slug, portal.currency, portal.time_zone) == (
        "Studio Nord",
        "nord",
        "CHF",
        "Europe/Zurich",
    )
    assert portal.invoicing_enabled
    assert (admin.portal, admin.kind, admin.role, admin.status) == (
        portal,
        MembershipKind.STAFF,
        StaffRole.ADMIN,
        MembershipStatus.ACTIVE,
    )
    assert admin.activated_at is not None
    assert admin.user.email == "ada@nord.test"
    assert admin.user.full_name == "Ada Nord"
    assert admin.user.check_password(NEW_PASSWORD)


def test_it_links_an_existing_person_case_insensitively_and_keeps_their_password() -> None:
    existing = make_user("ada@nord.test", "Ada Existing")

    _portal, admin = create(admin_email="  ADA@Nord.Test ", admin_password="something else 123")

    assert admin.user == existing
    assert User.objects.count() == 1
    admin.user.refresh_from_db()
    assert admin.user.check_password(PASSWORD)
    assert admin.user.full_name == "Ada Existing"


def test_it_finds_an_address_stored_with_capitals() -> None:
    existing = make_user("bob@nord.test")
    User.objects.filter(pk=existing.pk).update(email="Bob@Nord.Test")  # an older row

    _portal, admin = create(admin_email="bob@nord.test")

    assert admin.user == existing
    assert User.objects.count() == 1


def test_without_a_password_the_new_admin_gets_an_unusable_one() -> None:
    _portal, admin = create(admin_password=None)

    assert not admin.user.has_usable_password()


def test_it_names_every_bad_field_and_creates_nothing() -> None:
    with pytest.raises(ValidationError) as exc:
        create(name=" ", slug="Not A Slug", currency="EURO", time_zone="Mars/Olympus_Mons")

    assert error_fields(exc) == {"name", "slug", "currency", "time_zone"}
    assert "Mars/Olympus_Mons is not a known time zone." in exc.value.message_dict["time_zone"]
    assert not Portal.objects.exists()
    assert not User.objects.exists()


def test_it_refuses_a_slug_already_taken() -> None:
    create()

    with pytest.raises(ValidationError) as exc:
        create(name="Another", admin_email="someone@else.test")

    assert exc.value.message_dict == {"slug": ["A portal with the address “nord” already exists."]}
    assert Portal.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"admin_email": "not an address"}, "admin_email"),
        ({"admin_password": "short"}, "admin_password"),
        ({"admin_password": "ada@nord.test"}, "admin_password"),
    ],
)
def test_a_bad_admin_leaves_no_portal_behind(overrides: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        create(**overrides)

    assert error_fields(exc) == {field}
    assert not Portal.objects.exists()
    assert not User.objects.exists()


def test_membership_add_staff_refuses_a_second_membership_and_an_unknown_role() -> None:
    portal, admin = create()
    emma = make_user("emma@nord.test")

    with pytest.raises(ValidationError) as exc:
        membership_add_staff(portal=portal, user=admin.user, role=StaffRole.MANAGER)
    assert error_fields(exc) == {"email"}
    with pytest.raises(ValidationError) as exc:
        membership_add_staff(portal=portal, user=emma, role="boss")
    assert error_fields(exc) == {"role"}

    employee = membership_add_staff(portal=portal, user=emma, role=StaffRole.EMPLOYEE)
    assert (employee.kind, employee.role) == (MembershipKind.STAFF, StaffRole.EMPLOYEE)
