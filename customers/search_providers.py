"""One-box search providers of customers and contacts (CUS-9).

Both search the ``search_vector`` documents built by ``customers.search``
(GIN-indexed) inside the user's data scope; a phone number also matches the
indexed normalised columns exactly. Ranking is by simple rules that need no
per-row ``ts_rank``: the exact name first, then names that start with the
query, then the shorter names (the closer match) -- so a common word costs
a top-N sort over its visible matches, nothing more.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery
from django.db.models import BooleanField, Case, F, Q, Value, When
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from crm.search import SearchHit, SearchProvider, search_providers
from customers.models import Contact, Customer
from customers.search import phone_query, tsquery


def _matches(query: str, *, phone_field: str) -> Q | None:
    text = tsquery(query)
    if not text:
        return None
    condition = Q(search_vector=SearchQuery(text, search_type="raw", config="simple"))
    phone = phone_query(query)
    if phone:
        condition |= Q(**{phone_field: phone})
    return condition


def _ranked(queryset, query: str):
    exact = Case(
        When(name=query, then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    starts = Case(
        When(name__startswith=query, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return queryset.annotate(_exact=exact, _starts=starts).order_by(
        F("_exact").desc(), F("_starts").desc(), Length("name"), "name", "id"
    )


class CustomerSearchProvider(SearchProvider):
    key = "customers"
    model = Customer
    title = _("Customers")
    order = 10
    permission = "customers.view_customer"

    def queryset(self, *, user, query: str):
        condition = _matches(query, phone_field="normalized_phone")
        if condition is None:
            return None
        queryset = (
            Customer.objects.visible_to(user)
            .filter(condition)
            .only("id", "name", "short_name", "region", "credit_code", "is_archived")
        )
        return _ranked(queryset, query)

    def hit(self, obj: Customer) -> SearchHit:
        details = [obj.short_name, obj.region, obj.credit_code]
        if obj.is_archived:
            details.append(str(_("archived")))
        return SearchHit(
            title=obj.name,
            url=obj.get_absolute_url(),
            detail=" · ".join(d for d in details if d),
        )


class ContactSearchProvider(SearchProvider):
    key = "contacts"
    model = Contact
    title = _("Contacts")
    order = 20
    permission = "customers.view_contact"

    def queryset(self, *, user, query: str):
        condition = _matches(query, phone_field="normalized_mobile")
        if condition is None:
            return None
        queryset = (
            Contact.objects.visible_to(user)
            .filter(condition)
            .select_related("customer")
            .only("id", "name", "title", "mobile", "email", "customer__id", "customer__name")
        )
        return _ranked(queryset, query)

    def hit(self, obj: Contact) -> SearchHit:
        details = [obj.customer.name, obj.title, obj.mobile, obj.email]
        return SearchHit(
            title=obj.name,
            url=obj.get_absolute_url(),
            detail=" · ".join(d for d in details if d),
        )


def register() -> None:
    """Register the customer and contact providers with the kernel's search."""
    search_providers.register(CustomerSearchProvider())
    search_providers.register(ContactSearchProvider())
