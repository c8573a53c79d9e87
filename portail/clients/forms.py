"""Forms of the client company pages. They parse and check input; services decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from portail.access.forms import ProfileChoiceField
from portail.clients import selectors
from portail.clients.limits import (
    MAX_PEOPLE_PER_REQUEST,
    MAX_PROJECT_PLACES_PER_REQUEST,
    MAX_PROJECTS_PER_REQUEST,
    too_many_people,
    too_many_places,
    too_many_projects,
)
from portail.clients.models import ClientCompany
from portail.portals.models import Membership, Portal
from portail.projects.models import (
    RATE_DECIMALS,
    RATE_DIGITS,
    BillingMethod,
    Project,
    ProjectMember,
)
from portail.web import AmountField, ModelIdsField, ScopedChoices, id_field


def _country_choices() -> list[tuple[str, str]]:
    # Called each time the field renders, so the names follow the current language.
    return [("", "—"), *((code, str(name)) for code, name in countries)]


class CappedIdsField(ModelIdsField):
    """Rows by id; with `most`, more than that many is refused (by `too_many(count)`)
    before any lookup."""

    def __init__(
        self,
        *args: Any,
        most: int | None = None,
        too_many: Callable[[int], str] = too_many_projects,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.most = most
        self.too_many = too_many

    def clean(self, value: Any) -> Any:
        if self.most is not None and isinstance(value, list | tuple):
            count = len({str(pk).strip() for pk in value})
            if count > self.most:
                raise ValidationError(self.too_many(count), code="too_many")
        return super().clean(value)


class ProjectChoiceField(CappedIdsField):
    def label_from_instance(self, obj: Any) -> str:
        project: Project = obj
        return project.name


def company_max_length(name: str) -> int | None:
    field = ClientCompany._meta.get_field(name)
    return getattr(field, "max_length", None)


def _text(label: Any, name: str, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=company_max_length(name), **kwargs
    )


class CompanyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=company_max_length("name"),
        error_messages={"required": _("Give the company a name.")},
    )
    contact_email = forms.EmailField(
        label=_("Contact email"),
        required=False,
        max_length=company_max_length("contact_email"),
        error_messages={"invalid": _("Enter an email address such as name@example.com.")},
    )
    website = forms.URLField(
        label=_("Website"),
        required=False,
        assume_scheme="https",
        max_length=company_max_length("website"),
        error_messages={"invalid": _("Enter a web address such as https://example.com.")},
    )
    street = _text(_("Street"), "street")
    city = _text(_("City"), "city")
    region = _text(_("State/region"), "region")
    postal_code = _text(_("Postal code"), "postal_code")
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        choices=_country_choices,
        error_messages={"invalid_choice": _("Choose a country from the list.")},
    )
    projects = ProjectChoiceField(
        label=_("Projects"),
        required=False,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The company becomes the primary client of a project that has none yet; "
            "unticking a project takes the company off it."
        ),
        error_messages={
            "invalid_choice": _("Choose projects of this portal."),
            "invalid_pk_value": _("Choose projects of this portal."),
        },
    )

    def __init__(
        self, *args: Any, portal: Portal, company: ClientCompany | None = None, **kwargs: Any
    ) -> None:
        if company is not None:
            kwargs.setdefault("initial", self.initial_for(company))
        super().__init__(*args, **kwargs)
        projects = self.fields["projects"]
        assert isinstance(projects, ProjectChoiceField)
        projects.queryset = selectors.project_choices(portal=portal, company=company)

    @staticmethod
    def initial_for(company: ClientCompany) -> dict[str, Any]:
        return {
            "name": company.name,
            "contact_email": company.contact_email,
            "website": company.website,
            "street": company.street,
            "city": company.city,
            "region": company.region,
            "postal_code": company.postal_code,
            "country": company.country.code or "",
            "projects": [p.pk for p in selectors.company_projects(company=company)],
        }


class CompanySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": _("Name, city or email")}),
    )


# Client users ----------------------------------------------------------------------------

RATE_HELP = _("Per hour, in the portal’s currency. Leave empty for none.")


def rate_field(label: Any, **kwargs: Any) -> forms.DecimalField:
    """An optional non-negative rate that fits the stored precision (10 digits, 2 decimals)."""
    return AmountField(
        label=label,
        required=False,
        min_value=0,
        max_digits=RATE_DIGITS,
        decimal_places=RATE_DECIMALS,
        error_messages={
            "invalid": _("Enter an amount such as 85 or 85.50."),
            "min_value": _("A rate cannot be negative."),
            "max_digits": _("Enter at most 8 digits before the point and 2 after it."),
            "max_decimal_places": _("Enter at most 2 digits after the point."),
            "max_whole_digits": _("Enter at most 8 digits before the point."),
        },
        **kwargs,
    )


class CompanyChoiceField(ScopedChoices, forms.ModelChoiceField):  # type: ignore[type-arg]
    """A company of the portal; another portal's, posted by hand, is 404 (ScopedChoices)."""

    def label_from_instance(self, obj: Any) -> str:
        company: ClientCompany = obj
        return company.name


class PortalProfileField(ScopedChoices, ProfileChoiceField):
    """A profile of the portal; another portal's, posted by hand, is 404 (ScopedChoices)."""


def _profile_field() -> ProfileChoiceField:
    return PortalProfileField(
        label=_("Client profile"),
        queryset=None,
        empty_label=None,
        help_text=_("What the person may see and do in their projects."),
        error_messages={
            "required": _("Choose a client profile."),
            "invalid_choice": _("Choose a client profile of this portal."),
        },
    )


def _projects_field(required: bool, help_text: Any = "") -> ProjectChoiceField:
    """Projects to put a person on: at most MAX_PROJECTS_PER_REQUEST in one request."""
    return ProjectChoiceField(
        label=_("Projects"),
        required=required,
        most=MAX_PROJECTS_PER_REQUEST,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
        error_messages={
            "required": _("Choose at least one project."),
            "invalid_choice": _("Choose projects of this portal."),
            "invalid_pk_value": _("Choose projects of this portal."),
        },
    )


PROJECT_HELP = _(
    "The person’s company becomes a client of each project it is not on yet "
    "(the primary client when the project has none)."
)


def _without_rate_unless_invoicing(form: forms.Form, portal: Portal) -> None:
    """CU9: rate fields only when the portal has invoicing enabled."""
    if not portal.invoicing_enabled:
        form.fields.pop("hourly_rate", None)


def check_company_or_new_name(form: forms.Form, data: dict[str, Any], missing: Any) -> None:
    """Exactly one of an existing company and a new company's name; `missing` when neither."""
    company, new_name = data.get("company"), (data.get("new_company_name") or "").strip()
    if company is not None and new_name:
        form.add_error(
            "new_company_name", _("Choose an existing company or name a new one, not both.")
        )
    elif company is None and not new_name and "company" not in form.errors:
        form.add_error("company", missing)


class ClientUserForm(forms.Form):
    """CU1: add a client user (with an existing company or a new one, CC5)."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        error_messages={
            "required": _("Enter the person’s email address."),
            "invalid": _("Enter an email address such as name@example.com."),
        },
    )
    full_name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=150,
        help_text=_("Optional: the person can set it when they accept the invitation."),
    )
    company = CompanyChoiceField(
        label=_("Client company"),
        required=False,
        queryset=None,
        empty_label=_("— choose a company —"),
        error_messages={"invalid_choice": _("Choose a client company of this portal.")},
    )
    new_company_name = forms.CharField(
        label=_("or a new company"),
        required=False,
        max_length=company_max_length("name"),
        help_text=_("Type a name to create the company at the same time."),
    )
    profile = _profile_field()
    hourly_rate = rate_field(_("Hourly rate"), help_text=RATE_HELP)
    projects = _projects_field(True, PROJECT_HELP)

    def __init__(self, *args: Any, portal: Portal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _without_rate_unless_invoicing(self, portal)
        company = self.fields["company"]
        assert isinstance(company, CompanyChoiceField)
        company.queryset = selectors.companies(portal=portal)
        profile = self.fields["profile"]
        assert isinstance(profile, ProfileChoiceField)
        profile.queryset = selectors.profile_choices(portal=portal)
        projects = self.fields["projects"]
        assert isinstance(projects, ProjectChoiceField)
        projects.queryset = selectors.project_choices(portal=portal)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_company_or_new_name(self, data, _("Choose the person’s company, or name a new one."))
        return data


class CompanyUsersForm(forms.Form):
    """CU5: add people to one company across several projects (default profile)."""

    emails = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Enter at least one email address.")},
    )
    hourly_rate = rate_field(_("Hourly rate"), help_text=RATE_HELP)
    projects = _projects_field(True, PROJECT_HELP)

    def __init__(self, *args: Any, portal: Portal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["emails"].help_text = _(
            "One address per line (or separated by commas), at most %(limit)s at once."
        ) % {"limit": MAX_PEOPLE_PER_REQUEST}
        _without_rate_unless_invoicing(self, portal)
        projects = self.fields["projects"]
        assert isinstance(projects, ProjectChoiceField)
        projects.queryset = selectors.project_choices(portal=portal)

    def clean_emails(self) -> list[str]:
        unique = parse_emails(self.cleaned_data["emails"], most=MAX_PEOPLE_PER_REQUEST)
        if not unique:
            raise ValidationError(_("Enter at least one email address."))
        return unique

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        people, projects = len(data.get("emails") or ()), len(data.get("projects") or ())
        if people * projects > MAX_PROJECT_PLACES_PER_REQUEST:
            self.add_error("emails", too_many_places(people, projects))
        return data


class ClientUserEditForm(forms.Form):
    """CU6: the portal rate and profile, the rate on each project, more projects."""

    profile = _profile_field()
    hourly_rate = rate_field(_("Portal hourly rate"), help_text=RATE_HELP)
    add_projects = _projects_field(False)

    def __init__(
        self,
        *args: Any,
        membership: Membership,
        rows: list[ProjectMember],
        **kwargs: Any,
    ) -> None:
        portal = membership.portal
        kwargs.setdefault(
            "initial",
            {
                "profile": membership.client_profile_id,
                "hourly_rate": membership.hourly_rate,
                **{f"rate_{row.project_id}": row.hourly_rate for row in rows},
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["add_projects"].label = _("Add to more projects")
        _without_rate_unless_invoicing(self, portal)
        profile = self.fields["profile"]
        assert isinstance(profile, ProfileChoiceField)
        profile.queryset = selectors.profile_choices(portal=portal)
        projects = self.fields["add_projects"]
        assert isinstance(projects, ProjectChoiceField)
        projects.queryset = selectors.project_choices_for_client_user(membership=membership)
        self.rate_fields: list[tuple[ProjectMember, str]] = []
        if portal.invoicing_enabled:
            for row in rows:
                # CU9: a project rate only where the project bills staff hours (BI1).
                if row.project.billing_method == BillingMethod.STAFF_HOURS:
                    name = f"rate_{row.project_id}"
                    self.fields[name] = rate_field(
                        _("Rate on “%(project)s”") % {"project": row.project.name}
                    )
                    self.rate_fields.append((row, name))

    def project_rates(self) -> dict[int, Any]:
        return {row.project_id: self.cleaned_data.get(name) for row, name in self.rate_fields}


class ClientUserRemoveForm(forms.Form):
    notify = forms.BooleanField(
        label=_("Let the user know"),
        required=False,
        initial=True,
        help_text=_("Sends them an email saying they no longer have access to this portal."),
    )


class ClientUserSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": _("Name, email or company")}),
    )


class ClientUserFilterForm(ClientUserSearchForm):
    """A list of client users' search and company filter (`company`, an id the page
    checks against the companies it may show; a link sets it, the search form keeps it):
    the portal's client-users list and a project's Client users tab."""

    company = id_field(widget=forms.HiddenInput)


def parse_emails(raw: str, *, most: int | None = None) -> list[str]:
    """Addresses one per line (or separated by commas), each checked, duplicates dropped
    (compared case-insensitively); a wrong one is an error listing them all. More than
    `most` different addresses is refused first, whatever they are."""
    addresses = [part.strip() for part in raw.replace(",", "\n").splitlines() if part.strip()]
    seen: set[str] = set()
    unique = []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    if most is not None and len(unique) > most:
        raise ValidationError(too_many_people(len(unique)), code="too_many")
    wrong = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            wrong.append(address)
    if wrong:
        raise ValidationError(_("Not an email address: %(list)s.") % {"list": ", ".join(wrong)})
    return unique
