"""One-box search providers of customers and contacts (CUS-9).

Both search the ``search_vector`` documents built by ``customers.search``
inside the user's data scope, through ``search_visible_to``: the scope is part
of the text search, so one GIN index (``*_scoped_search``) answers the words
and the scope together; a phone number also matches the indexed normalised
columns exactly. Ranking is by simple rules that need no
per-row ``ts_rank``: the exact name first, then names that start with the
query, then the shorter names (the closer match) -- so a common word costs
a top-N sort over its visible matches, nothing more.
"""

from __future__ import annotations

from django.db.models import BooleanField, Case, F, Q, Value, When
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from crm.search import SearchHit, SearchProvider, search_providers
from customers.models import Contact, Customer
from customers.search import phone_query, tsquery


def _search(model, *, user, query: str, phone_field: str):
    """``model``'s rows in ``user``'s scope that match ``query`` (words, pinyin,
    initials, numbers) or whose normalised phone is the number typed; ``None``
    when the text is noise."""
    text = tsquery(query)
    if not text:
        return None
    phone = phone_query(query)
    return model.objects.search_visible_to(
        user, text=text, also=Q(**{phone_field: phone}) if phone else None
    )


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
        queryset = _search(Customer, user=user, query=query, phone_field="normalized_phone")
        if queryset is None:
            return None
        queryset = queryset.only("id", "name", "short_name", "region", "credit_code", "is_archived")
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
        queryset = _search(Contact, user=user, query=query, phone_field="normalized_mobile")
        if queryset is None:
            return None
        queryset = queryset.select_related("customer").only(
            "id", "name", "title", "mobile", "email", "customer__id", "customer__name"
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
