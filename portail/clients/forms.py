"""Forms of the client company pages. They parse and check input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from portail.clients import selectors
from portail.clients.models import ClientCompany
from portail.portals.models import Portal
from portail.projects.models import Project


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the fields it names (others on the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def _country_choices() -> list[tuple[str, str]]:
    # Called each time the field renders, so the names follow the current language.
    return [("", "—"), *((code, str(name)) for code, name in countries)]


class ProjectChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        project: Project = obj
        return project.name


def _max_length(name: str) -> int | None:
    field = ClientCompany._meta.get_field(name)
    return getattr(field, "max_length", None)


def _text(label: Any, name: str, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=_max_length(name), **kwargs)


class CompanyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=_max_length("name"),
        error_messages={"required": _("Give the company a name.")},
    )
    contact_email = forms.EmailField(
        label=_("Contact email"),
        required=False,
        max_length=_max_length("contact_email"),
        error_messages={"invalid": _("Enter an email address such as name@example.com.")},
    )
    website = forms.URLField(
        label=_("Website"),
        required=False,
        assume_scheme="https",
        max_length=_max_length("website"),
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
        queryset=Project.objects.none(),
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
