"""Changes to portals and their memberships: one transaction each.

Like every service, these trust their caller for permissions (commands, the
Django admin and views decide who may call them) and raise `ValidationError`
naming the field that is wrong.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.accounts.models import User, normalize_email
from portail.accounts.sessions import user_sessions_end
from portail.portals.models import (
    Membership,
    MembershipKind,
    MembershipStatus,
    Portal,
    StaffRole,
)


def _errors_by_field(error: ValidationError, rename: dict[str, str]) -> ValidationError:
    """Re-key a model's field errors to the names the caller used (email -> admin_email)."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({rename.get(f, f): msgs for f, msgs in error.error_dict.items()})


def user_for_email(
    *, email: str, password: str | None = None, full_name: str = ""
) -> tuple[User, bool]:
    """The person with this address (compared case-insensitively), created if new.

    Returns (user, created). An existing person keeps their password and name:
    adding someone to a portal never changes their account. A new person gets
    `password` (checked against the password validators) or, without one, an
    unusable password that they replace through "forgot password".

    Errors are keyed `email` and `password`.
    """
    address = normalize_email(email)
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    existing = User.objects.filter(email__iexact=address).first()
    if existing is not None:
        return existing, False
    user = User(email=address, full_name=full_name.strip())
    if password is None:
        user.set_unusable_password()
    else:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user, True


def _membership_create(*, portal: Portal, user: User, kind: str, role: str = "") -> Membership:
    if Membership.objects.filter(portal=portal, user=user).exists():
        raise ValidationError(
            {
                "email": _("%(email)s is already a member of %(portal)s.")
                % {"email": user.email, "portal": portal.name}
            }
        )
    now = timezone.now()
    membership = Membership(
        portal=portal,
        user=user,
        kind=kind,
        role=role,
        status=MembershipStatus.ACTIVE,
        activated_at=now,
    )
    membership.full_clean(exclude=["user", "portal"], validate_constraints=True)
    membership.save()
    return membership


@transaction.atomic
def membership_add_staff(*, portal: Portal, user: User, role: str) -> Membership:
    """Make an existing person an active staff member of the portal with this role."""
    if role not in StaffRole.values:
        raise ValidationError(
            {"role": _("Choose one of: %(roles)s.") % {"roles": ", ".join(StaffRole.values)}}
        )
    return _membership_create(portal=portal, user=user, kind=MembershipKind.STAFF, role=role)


@transaction.atomic
def portal_create(
    *,
    name: str,
    slug: str,
    admin_email: str,
    admin_password: str | None = None,
    admin_full_name: str = "",
    currency: str = "EUR",
    time_zone: str = "UTC",
    invoicing_enabled: bool = False,
) -> tuple[Portal, Membership]:
    """Create a portal and its first admin, all or nothing.

    The admin is the existing person with `admin_email` (compared
    case-insensitively; their password is left alone) or a new one with
    `admin_password` (or an unusable password when None). Errors are keyed by
    the argument names: name, slug, currency, time_zone, admin_email,
    admin_password.
    """
    portal = Portal(
        name=name.strip(),
        slug=slug.strip(),
        currency=currency.strip().upper(),
        time_zone=time_zone.strip(),
        invoicing_enabled=invoicing_enabled,
    )
    errors: dict[str, list[str]] = {}
    try:
        portal.full_clean(validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "slug" not in errors and Portal.objects.filter(slug=portal.slug).exists():
        errors["slug"] = [
            _("A portal with the address “%(slug)s” already exists.") % {"slug": portal.slug}
        ]
    if errors:
        raise ValidationError(errors)
    portal.save()
    rename = {"email": "admin_email", "password": "admin_password", "full_name": "admin_full_name"}
    try:
        user, _created = user_for_email(
            email=admin_email, password=admin_password, full_name=admin_full_name
        )
        membership = membership_add_staff(portal=portal, user=user, role=StaffRole.ADMIN)
    except ValidationError as exc:
        raise _errors_by_field(exc, rename) from None
    return portal, membership


@transaction.atomic
def sessions_end_if_no_portal_left(*, user: User) -> None:
    """Sign a person out everywhere once they are active in no portal any more.

    Call it after deactivating one of their memberships, in the same transaction.
    """
    if not Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).exists():
        user_sessions_end(user=user)
