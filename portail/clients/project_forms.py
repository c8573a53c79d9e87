"""Forms of a project's "Client users" tab (RULES PC1, PC6-PC8). They parse and check
input; services (project_clients.py) decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portail.clients import selectors
from portail.clients.forms import (
    RATE_HELP,
    CappedIdsField,
    CompanyChoiceField,
    check_company_or_new_name,
    company_max_length,
    parse_emails,
    rate_field,
)
from portail.clients.limits import (
    MAX_MEMBERS_PER_REQUEST,
    MAX_PEOPLE_PER_REQUEST,
    too_many_members,
)
from portail.clients.models import ClientCompany
from portail.portals.models import Membership
from portail.projects.models import Project
from portail.web import ScopedChoices

# PC6: the client users of the company listed on one page of "Add client users".
CANDIDATES_PER_PAGE = 50


class ProjectCompanyAddForm(forms.Form):
    """PC1: an existing company of the portal, or a new one, as a client of the project."""

    company = CompanyChoiceField(
        label=_("Client company"),
        required=False,
        queryset=None,
        empty_label=_("— choose a company —"),
        error_messages={
            "invalid_choice": _(
                "Choose a client company of this portal that is not on the project."
            )
        },
    )
    new_company_name = forms.CharField(
        label=_("or a new company"),
        required=False,
        max_length=company_max_length("name"),
        help_text=_("Type a name to create the company at the same time."),
    )
    make_primary = forms.BooleanField(
        label=_("Set as primary client"),
        required=False,
        help_text=_("Invoices are addressed to the primary client; a project has at most one."),
    )

    def __init__(self, *args: Any, project: Project, has_primary: bool, **kwargs: Any) -> None:
        # PC3: ticked for the project's first company (when it has no primary client).
        kwargs.setdefault("initial", {"make_primary": not has_primary})
        super().__init__(*args, **kwargs)
        company = self.fields["company"]
        assert isinstance(company, CompanyChoiceField)
        company.queryset = selectors.project_company_choices(project=project)
        company.scope = selectors.companies(portal=project.portal)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_company_or_new_name(self, data, _("Choose a client company, or name a new one."))
        return data


class MemberChoiceField(ScopedChoices, CappedIdsField):
    """Client users by id; another portal's, posted by hand, are 404 (ScopedChoices)."""

    def label_from_instance(self, obj: Any) -> str:
        membership: Membership = obj
        user = membership.user
        return f"{user.full_name} ({user.email})" if user.full_name else user.email


class ProjectUsersAddForm(forms.Form):
    """PC6: tick client users of the company and/or list new people by email; one step.

    The page shows the candidates a page at a time (`page_candidates`); a tick is checked
    against all of them, whatever page it came from."""

    members = MemberChoiceField(
        label=_("People of the company"),
        required=False,
        most=MAX_MEMBERS_PER_REQUEST,
        too_many=too_many_members,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose people of this company who are not on the project yet."),
            "invalid_pk_value": _("Choose people of this company who are not on the project yet."),
        },
    )
    new_emails = forms.CharField(
        label=_("New people"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    hourly_rate = rate_field(_("Hourly rate of the new people"), help_text=RATE_HELP)

    def __init__(
        self,
        *args: Any,
        project: Project,
        company: ClientCompany,
        rates_apply: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_emails"].help_text = _(
            "Email addresses, one per line. Each person joins the company with the portal’s "
            "default client profile and gets an invitation email. At most %(limit)s new "
            "people at once."
        ) % {"limit": MAX_PEOPLE_PER_REQUEST}
        if not rates_apply:  # CU9
            del self.fields["hourly_rate"]
        members = self.fields["members"]
        assert isinstance(members, MemberChoiceField)
        members.queryset = selectors.project_client_user_candidates(
            project=project, company=company
        )
        members.scope = selectors.client_memberships(portal=project.portal)

    def clean_new_emails(self) -> list[str]:
        return parse_emails(self.cleaned_data["new_emails"], most=MAX_PEOPLE_PER_REQUEST)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("members") and not data.get("new_emails"):
            raise ValidationError(_("Tick people of the company or enter email addresses."))
        return data

    def new_people(self) -> list[tuple[str, Any]]:
        rate = self.cleaned_data.get("hourly_rate")
        return [(email, rate) for email in self.cleaned_data["new_emails"]]


class ProjectUsersEveryoneForm(forms.Form):
    """PC6, "add everyone matching": no field per person; the people are the company's
    client users not on the project who match the page's search, found by the service
    when it adds them. Its errors are the service's (nobody matches, too many)."""

    everyone = forms.BooleanField(required=True, widget=forms.HiddenInput)


class ProjectMemberRateForm(forms.Form):
    """PC7: a client user's rate on the project (only where CU9 applies)."""

    hourly_rate = rate_field(_("Hourly rate on this project"), help_text=RATE_HELP)


class ProjectUserRemoveForm(forms.Form):
    """PC8: the "let the user know" box."""

    notify = forms.BooleanField(
        label=_("Let the user know"),
        required=False,
        initial=True,
        help_text=_("Sends them an email saying they no longer have access to this project."),
    )
