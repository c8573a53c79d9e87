"""Forms of the staff project pages. They parse and check input; services decide.

Each error is attached to the field it is about (never a bare "invalid form"),
and the cross-field rules come from `services` so a form and an API call
give the same answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from portail.portals.models import Membership
from portail.projects import changes, plans, services
from portail.projects.models import (
    RATE_DECIMALS,
    RATE_DIGITS,
    BillingMethod,
    Milestone,
    Project,
    ProjectStatus,
    Task,
    TaskStatus,
)
from portail.web import AmountField, apply_service_errors, id_field
from portail.workspace import selectors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # The browser's date picker sends and expects ISO dates, whatever the language.
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        membership: Membership = obj
        return membership.user.display_name


def _date_field(label: StrOrPromise) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DateInput())


class ProjectListFilterForm(forms.Form):
    """The project list's query string: which statuses it shows ("current" when absent or
    not one of them)."""

    status = forms.ChoiceField(
        required=False, choices=[(status, status) for status in selectors.STATUS_FILTERS]
    )

    def status_filter(self) -> str:
        status: str = self.cleaned_data["status"] if self.is_valid() else ""
        return status or selectors.CURRENT


class TaskStartForm(forms.Form):
    """The full task form's query string: the milestone it was opened from, if any."""

    milestone = id_field()


class ProjectForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("Give the project a name.")},
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    status = forms.ChoiceField(label=_("Status"), choices=ProjectStatus.choices)
    start_date = _date_field(_("Start date"))
    end_date = _date_field(_("End date"))
    owner = PersonChoiceField(
        label=_("Owner"),
        queryset=Membership.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose an active staff member of this portal.")},
    )
    billing_method = forms.ChoiceField(
        label=_("Billing method"),
        choices=BillingMethod.choices,
        help_text=_("The project rate and the fixed cost apply only to their billing method."),
    )
    hourly_rate = AmountField(
        label=_("Project rate (per hour)"),
        required=False,
        min_value=0,
        max_digits=RATE_DIGITS,
        decimal_places=RATE_DECIMALS,
        help_text=_("Only for projects billed on project hours."),
        error_messages={"min_value": _("The project rate cannot be negative.")},
    )
    fixed_cost = AmountField(
        label=_("Fixed cost"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("Only for fixed-cost projects."),
        error_messages={"min_value": _("The fixed cost cannot be negative.")},
    )

    def __init__(
        self, *args: Any, portal_id: int, project: Project | None = None, **kwargs: Any
    ) -> None:
        if project is not None:
            kwargs.setdefault("initial", self.initial_for(project))
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, PersonChoiceField)
        owner.queryset = selectors.project_owners(portal_id=portal_id)
        if project is None:
            # A new project starts in any status but archived.
            status = self.fields["status"]
            assert isinstance(status, forms.ChoiceField)
            status.choices = [c for c in ProjectStatus.choices if c[0] != ProjectStatus.ARCHIVED]

    @staticmethod
    def initial_for(project: Project) -> dict[str, Any]:
        return {
            name: getattr(project, name) for name in services.PROJECT_FIELDS if name != "owner"
        } | {"owner": project.owner_id}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not {"start_date", "end_date"} & set(self.errors):
            try:
                changes.check_dates(data.get("start_date"), data.get("end_date"), "end_date")
            except ValidationError as error:
                apply_service_errors(self, error)
        if not {"billing_method", "hourly_rate", "fixed_cost"} & set(self.errors):
            try:
                services.check_billing(
                    data.get("billing_method", ""), data.get("hourly_rate"), data.get("fixed_cost")
                )
            except ValidationError as error:
                apply_service_errors(self, error)
        return data


class MilestoneForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        error_messages={"required": _("Give the milestone a title.")},
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    start_date = _date_field(_("Start date"))
    due_date = _date_field(_("Due date"))
    client_visible = forms.BooleanField(
        label=_("Visible to clients"),
        required=False,
        help_text=_("Client users of the project see this milestone. Unticked, it is internal."),
    )

    def __init__(self, *args: Any, for_client: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if for_client:
            # What a client user adds is visible to clients; the choice is staff's (CX3).
            del self.fields["client_visible"]

    @staticmethod
    def initial_for(milestone: Milestone) -> dict[str, Any]:
        return {name: getattr(milestone, name) for name in plans.MILESTONE_FIELDS}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not {"start_date", "due_date"} & set(self.errors):
            try:
                changes.check_dates(data.get("start_date"), data.get("due_date"), "due_date")
            except ValidationError as error:
                apply_service_errors(self, error)
        return data


class TaskForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=300,
        error_messages={"required": _("Give the task a title.")},
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices, required=False)
    due_date = _date_field(_("Due date"))
    milestone = forms.ModelChoiceField(
        label=_("Milestone"),
        queryset=Milestone.objects.none(),
        required=False,
        empty_label=_("No milestone"),
        error_messages={"invalid_choice": _("Choose a milestone of this project.")},
    )
    assignee = PersonChoiceField(
        label=_("Assignee"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("Nobody"),
        error_messages={
            "invalid_choice": _("Choose an active staff member who works on this project.")
        },
    )

    client_visible = forms.BooleanField(
        label=_("Visible to clients"),
        required=False,
        help_text=_("Client users of the project see this task. Unticked, it is internal."),
    )
    # Sent by the quick-add row, which has no visibility box: the task then takes its
    # milestone's visibility (see plans.task_create).
    quick = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        milestones: QuerySet[Milestone],
        project: Project,
        for_client: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        milestone = self.fields["milestone"]
        assert isinstance(milestone, forms.ModelChoiceField)
        milestone.queryset = milestones
        if for_client:
            # A client user neither assigns staff nor decides visibility: a task they add
            # is visible to clients (CX3), and the project's staff pick its assignee.
            del self.fields["assignee"]
            del self.fields["client_visible"]
        else:
            assignee = self.fields["assignee"]
            assert isinstance(assignee, PersonChoiceField)
            assignee.queryset = selectors.assignable_staff(project=project)

    @staticmethod
    def initial_for(task: Task) -> dict[str, Any]:
        return {
            "title": task.title,
            "description": task.description,
            "status": task.status,
            "due_date": task.due_date,
            "milestone": task.milestone_id,
            "assignee": task.assignee_id,
            "client_visible": task.client_visible,
        }

    def clean_status(self) -> str:
        # The quick-add row sends only a title: a new task is open.
        status: str = self.cleaned_data.get("status") or TaskStatus.OPEN
        return status

    def changes(self, *, creating: bool = False) -> dict[str, Any]:
        """The cleaned data as service arguments. A task added from the quick-add row
        gets `client_visible=None`: it takes its milestone's visibility."""
        data = dict(self.cleaned_data)
        quick = data.pop("quick", False)
        if creating and quick and "client_visible" in data:
            data["client_visible"] = None
        return data


class MemberAddForm(forms.Form):
    membership = PersonChoiceField(
        label=_("Add someone to the project"),
        queryset=Membership.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("Choose a staff member to add."),
            "invalid_choice": _("Choose an active staff member who is not on the project yet."),
        },
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        assert isinstance(field, PersonChoiceField)
        field.queryset = selectors.staff_not_on_project(project=project)
