"""The customer list at a million rows: filters, sorting, keyset pagination.

OFFSET pagination reads and throws away every row before the page, so a page
20,000 rows deep costs as much as reading them all. Here a page continues
from the last row of the previous one: ``WHERE (name, id) > (%s, %s) ORDER
BY name, id LIMIT 25`` seeks straight into an index whose leading columns are
the filter and the sort (``customer_<filter>_name_id``). Counts are exact up
to ``COUNT_CAP`` and shown as "more than 5,000" beyond it, so a count never reads a
whole branch's rows.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property

from django import forms
from django.db.models import BooleanField, F, Func, IntegerField, Q, QuerySet, Subquery
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from crm.models import Department, Employee
from crm.widgets import ListedChoices, PlainCheckboxInput, PlainSelect, PlainTextInput
from customers.models import (
    Customer,
    CustomerType,
    Industry,
    LifecycleStage,
    ValueGrade,
)
from customers.selectors import customer_list

PAGE_SIZE = 25
COUNT_CAP = 5_000
#: What a row of the list shows; the rest of a customer (notes, search
#: document …) is not read for the list.
LIST_COLUMNS = (
    "name",
    "region",
    "industry",
    "type",
    "lifecycle_stage",
    "value_grade",
    "updated_at",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "department__name",
    "department__name_en",
)
#: The related rows a row of the list shows (not its branch).
LIST_RELATED = ("owner", "department")


class RowCompare(Func):
    """``(a, b) > (x, y)``: a row comparison PostgreSQL can seek in an index."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, *fields: str, values: tuple, operator: str):
        super().__init__(*[F(name) for name in fields])
        self.values, self.operator = values, operator

    def as_sql(self, compiler, connection, **extra):
        columns, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            columns.append(sql)
            params.extend(expression_params)
        placeholders = ", ".join(["%s"] * len(self.values))
        return f"({', '.join(columns)}) {self.operator} ({placeholders})", (*params, *self.values)


class CappedCount(Subquery):
    """``(SELECT COUNT(*) FROM (<rows LIMIT cap>))``: an uncorrelated subquery, so
    PostgreSQL evaluates it once however many rows the outer query returns --
    the page's rows carry their count, in the same round trip."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


@dataclass(frozen=True)
class Sort:
    label: str
    field: str  # the first sort column; "id" breaks ties
    descending: bool

    @property
    def order_by(self) -> tuple[str, str]:
        sign = "-" if self.descending else ""
        return (f"{sign}{self.field}", f"{sign}id")


SORTS = {
    "name": Sort(_("Name"), "name", False),
    "-updated": Sort(_("Recently updated"), "updated_at", True),
}


def _blank_and(choices) -> list:
    return [("", "—"), *choices.choices]


def _owner_choices(field: forms.ModelChoiceField):
    """The owner select's options as a callable (Django calls it when the select
    is rendered): ``(user id, full name or login name)`` from one values query."""

    @cache
    def choices() -> list[tuple]:
        rows = field.queryset.values_list(
            "user_id", "user__first_name", "user__last_name", "user__username"
        )
        return [
            ("", field.empty_label),
            *(
                (user_id, f"{first} {last}".strip() or username)
                for user_id, first, last, username in rows
            ),
        ]

    return choices


class CustomerFilterForm(forms.Form):
    """The list's filters; every one is backed by an index ending in the sort."""

    q = forms.CharField(
        label=_("Name starts with"), required=False, max_length=100, widget=PlainTextInput
    )
    owner = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Owner"), widget=PlainSelect
    )
    department = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Department"), widget=PlainSelect
    )
    industry = forms.ChoiceField(
        choices=lambda: _blank_and(Industry),
        required=False,
        label=_("Industry"),
        widget=PlainSelect,
    )
    region = forms.CharField(
        required=False, max_length=50, label=_("Region"), widget=PlainTextInput
    )
    type = forms.ChoiceField(
        choices=lambda: _blank_and(CustomerType),
        required=False,
        label=_("Customer type"),
        widget=PlainSelect,
    )
    lifecycle_stage = forms.ChoiceField(
        choices=lambda: _blank_and(LifecycleStage),
        required=False,
        label=_("Lifecycle stage"),
        widget=PlainSelect,
    )
    value_grade = forms.ChoiceField(
        choices=lambda: _blank_and(ValueGrade),
        required=False,
        label=_("Value grade"),
        widget=PlainSelect,
    )
    is_archived = forms.BooleanField(required=False, label=_("Archived"), widget=PlainCheckboxInput)
    sort = forms.ChoiceField(
        choices=lambda: [(key, sort.label) for key, sort in SORTS.items()],
        required=False,
        label=_("Sort by"),
        widget=PlainSelect,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.handover import employees_in_scope
        from crm.scope import user_scope

        user_scope(user, model=Customer)  # the list's scope, in the query of the owners' scope
        # Owners the user may pick: the employees in their scope, and themself.
        owners = self.fields["owner"]
        owners.queryset = Employee.objects.filter(
            Q(pk__in=employees_in_scope(user).values("pk")) | Q(user=user), is_active=True
        ).order_by("user__username")
        owners.to_field_name = "user_id"
        # Shown as Employee.__str__ shows them, read as plain values (a branch
        # has hundreds of employees: no model instances for a select list).
        owners.widget.choices = _owner_choices(owners)
        departments = self.fields["department"]
        departments.iterator = ListedChoices  # before the queryset, which hands it to the widget
        departments.queryset = Department.objects.only("id", "name", "name_en")

    def filtered(self, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        data = self.cleaned_data
        if data.get("q"):
            queryset = queryset.filter(name__startswith=data["q"].strip())
        if data.get("owner"):
            queryset = queryset.filter(owner_id=data["owner"].user_id)
        if data.get("department"):
            queryset = queryset.filter(department=data["department"])
        for name in ("industry", "type", "lifecycle_stage", "value_grade", "region"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name].strip()})
        return queryset.filter(is_archived=bool(data.get("is_archived")))

    @property
    def chosen_sort(self) -> Sort:
        return SORTS.get(self.cleaned_data.get("sort") or "name", SORTS["name"])


def encode_cursor(sort: Sort, customer: Customer) -> str:
    value = getattr(customer, sort.field)
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, customer.pk], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple | None:
    """The (sort value, id) a cursor stands for; ``None`` if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        pk = int(pk)
        if sort.field == "updated_at":
            value = parse_datetime(value)
            if value is None:
                return None
        elif not isinstance(value, str):
            return None
    except (ValueError, TypeError, json.JSONDecodeError):
        return None
    return value, pk


#: Labels of the coded columns the list shows, looked up by value. (A model's
#: ``get_<field>_display`` rebuilds its choices dict on every call, translating
#: each label: a few hundred translations per page.)
_LABELS = {
    name: dict(Customer._meta.get_field(name).flatchoices)
    for name in ("industry", "type", "lifecycle_stage")
}


#: A pk no customer has, to reverse the detail URL once per page.
_SAMPLE_PK = 987654321987654321


def _detail_url():
    """``pk -> Customer.get_absolute_url()`` with one ``reverse`` per page, not per row."""
    sample = Customer(pk=_SAMPLE_PK).get_absolute_url()
    head, _, tail = sample.partition(str(_SAMPLE_PK))
    return lambda pk: f"{head}{pk}{tail}"


@dataclass(frozen=True)
class Line:
    """One row of the list as it is shown."""

    customer: Customer
    url: str
    industry: str
    type: str
    lifecycle_stage: str
    owner: str
    department: str


@dataclass
class Page:
    rows: list[Customer]
    count: int
    count_capped: bool
    next_cursor: str | None
    previous_cursor: str | None

    @cached_property
    def lines(self) -> list[Line]:
        url = _detail_url()
        return [
            Line(
                customer=customer,
                url=url(customer.pk),
                industry=_LABELS["industry"].get(customer.industry, customer.industry),
                type=_LABELS["type"].get(customer.type, customer.type),
                lifecycle_stage=_LABELS["lifecycle_stage"].get(
                    customer.lifecycle_stage, customer.lifecycle_stage
                ),
                owner=customer.owner_name(),
                department=str(customer.department),
            )
            for customer in self.rows
        ]


def customer_page(*, user, form: CustomerFilterForm, after: str = "", before: str = "") -> Page:
    """One page of the scoped, filtered, sorted list, with its capped count:
    one query, two when a cursor leads past the last row."""
    sort = form.chosen_sort
    base = form.filtered(customer_list(user=user))
    capped = base.order_by().values("pk")[: COUNT_CAP + 1]

    rows_query = base
    going_back = False
    key = decode_cursor(sort, after) if after else None
    if key:
        operator = "<" if sort.descending else ">"
        rows_query = rows_query.filter(RowCompare(sort.field, "id", values=key, operator=operator))
    elif before and (key := decode_cursor(sort, before)):
        going_back = True
        operator = ">" if sort.descending else "<"
        rows_query = rows_query.filter(RowCompare(sort.field, "id", values=key, operator=operator))
    order = sort.order_by
    if going_back:
        order = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in order)
    rows = list(
        rows_query.select_related(None)
        .select_related(*LIST_RELATED)
        .only(*LIST_COLUMNS)
        .annotate(list_count=CappedCount(capped))
        .order_by(*order)[: PAGE_SIZE + 1]
    )
    if rows:
        counted = rows[0].list_count
    elif key:  # past the end: no row to carry the count
        counted = capped.count()
    else:
        counted = 0
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if going_back:
        rows.reverse()
        has_previous, has_next = more, True
    else:
        has_previous, has_next = bool(key), more
    next_cursor = encode_cursor(sort, rows[-1]) if rows and has_next else None
    previous_cursor = encode_cursor(sort, rows[0]) if rows and has_previous else None
    return Page(
        rows=rows,
        count=min(counted, COUNT_CAP),
        count_capped=counted > COUNT_CAP,
        next_cursor=next_cursor,
        previous_cursor=previous_cursor,
    )
