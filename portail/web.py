"""Small helpers every page module uses: the GET-or-POST guard, the posted data of a form
page, putting a service's ValidationError on the form's fields, the amount field, the
reading of a page number or an id from a query string or a post (through form fields, so
a NUL byte, 10,000 digits or "²" is bad input, never a crash), and choices of rows limited
to a scope (the person's portal), where another portal's id answers 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, QueryDict
from django.urls import reverse
from django.views.decorators.http import require_http_methods

if TYPE_CHECKING:
    from django.core.paginator import _SupportsPagination

T = TypeVar("T")

# Largest id a 64-bit signed column holds; a larger number would crash the database driver.
MAX_ID = 2**63 - 1

get_or_post = require_http_methods(["GET", "HEAD", "POST"])


def posted(request: HttpRequest) -> Any:
    """The form data of a POST, or None for a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the fields it names (others on the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class AmountField(forms.DecimalField):
    """A money amount typed and shown the way the reader writes it: "85,50" in French (a
    point is accepted there too), "85.50" in English.

    A text box with a decimal keyboard, not `type=number`: browsers' number boxes refuse
    or silently drop a decimal comma depending on their own locale.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(localize=True, **kwargs)


class PageForm(forms.Form):
    """The `page` parameter of a paginated list."""

    page = forms.IntegerField(required=False, min_value=1)


def paginate(
    request: HttpRequest, items: _SupportsPagination[T], per_page: int, count: int | None = None
) -> Page[T]:
    """The page of `items` the query string asks for; the first page when `page` is not a
    page number, the last when it is past the end. `count`, when the page already knows
    how many items there are, saves counting them again."""
    form = PageForm(request.GET)
    number = form.cleaned_data["page"] if form.is_valid() else None
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: set beforehand, it is not computed
    return paginator.get_page(number)


def row_url(viewname: str, key: str, **kwargs: Any) -> Callable[[int], str]:
    """The URL of `viewname` for each row of a long list, reversed once: a function of a
    row's id that gives the URL with that id as `key` (the other `kwargs` are the page's).

    `reverse()` costs tens of microseconds; a list of 1,000 rows with five links each
    spent most of its time there. This reverses once with a sentinel id and puts each
    row's id in its place. It raises NoReverseMatch, once, where `reverse()` would.
    """
    sentinel = str(MAX_ID)
    url = reverse(viewname, kwargs={**kwargs, key: MAX_ID})
    head, found, tail = url.partition(sentinel)
    if not found or sentinel in tail:  # the sentinel is not where the id goes: one by one
        return lambda pk: reverse(viewname, kwargs={**kwargs, key: pk})
    return lambda pk: f"{head}{int(pk)}{tail}"


def id_field(**kwargs: Any) -> forms.IntegerField:
    """An optional id: a whole number a database key column can hold."""
    return forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, **kwargs)


def clean_id(raw: Any) -> int | None:
    """`raw` (from a URL, a form, an API body) as an id, or None when it is not one."""
    try:
        value: int | None = id_field().clean(raw)
    except ValidationError:
        return None
    return value


def read_id(data: QueryDict, name: str) -> int | None:
    """The id `data` (request.GET or request.POST) holds under `name`, or None when it is
    absent or not an id. For ids read before the page's form (to answer 404 for another
    portal's, or to start the form from one); the form itself then says what is wrong."""
    return clean_id(data.get(name))


def read_ids(data: QueryDict, name: str) -> set[int]:
    """Every well-formed id `data` holds under `name` (a multiple choice); others left out."""
    return {value for raw in data.getlist(name) if (value := clean_id(raw)) is not None}


class ModelIdsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A multiple choice of rows by id that refuses a number no key column holds as a bad
    choice: Django hands such a number to the `__in` lookup, and the database driver
    overflows (a 500 on SQLite and PostgreSQL)."""

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                number = int(str(pk).strip())
            except ValueError:
                continue  # not a number: Django refuses it as a bad choice itself
            if not -MAX_ID - 1 <= number <= MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


class ScopedChoices:
    """Mixin for a model choice field of rows a person may name only within a scope (the
    rows of their portal, say), of which the field offers some: its `queryset`.

    An id outside the scope, posted by hand, is another portal's row or nobody's: the
    page answers 404, as for a URL naming it, rather than a form error that would
    confirm it exists (`refuse_outside_scope`). An id in the scope but not among the
    choices gets the field's own error, and a malformed one too. The scope is the
    choices themselves unless the form sets `scope` apart (a selector given the portal).
    """

    scope: QuerySet[Any] | None = None

    def outside_scope(self, ids: set[int]) -> bool:
        """Whether any of these ids is not a row of the scope (one query; none without ids)."""
        if not ids:
            return False
        scope = self.scope if self.scope is not None else getattr(self, "queryset", None)
        if scope is None:
            raise ValueError("A ScopedChoices field needs a queryset or a scope.")
        return bool(scope.filter(pk__in=ids).count() != len(ids))


def refuse_outside_scope(form: forms.Form) -> None:
    """Raise Http404 when the bound `form` holds an id that one of its ScopedChoices
    fields does not find in its scope. Call it before `is_valid()`."""
    if not form.is_bound:
        return
    for name, field in form.fields.items():
        if isinstance(field, ScopedChoices):
            raw = field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
            values = raw if isinstance(raw, list | tuple) else [raw]
            ids = {value for item in values if (value := clean_id(item)) is not None}
            if field.outside_scope(ids):
                raise Http404
