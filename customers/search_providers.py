"""One-box search providers of customers and contacts (CUS-9).

Both search the ``search_vector`` documents built by ``customers.search``
inside the user's data scope, through ``search_visible_to``: the scope is part
of the text search, so one GIN index (``*_scoped_search``) answers the words
and the scope together; a phone number also matches the indexed normalised
columns exactly. Ranking is by simple rules that need no
per-row ``ts_rank``: the exact name first, then names that start with the
query, then the shorter names (the closer match). A common word matching
tens of thousands of rows is ranked over a bounded set (``CANDIDATES`` of
its matches plus the names starting with the query), so a search costs
about the same for a rep and for the head office.
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


#: A common word matches tens of thousands of customers in a branch or in the
#: whole company; the ranking reads this many of the matches (whichever the
#: index gives first) and every customer whose name starts with the query, so
#: a search costs the same whatever the word.
CANDIDATES = 500


def _bounded(model, matches, named=None):
    """The rows of ``matches`` to rank: at most ``CANDIDATES`` of them, and
    the rows of ``named`` (those whose name starts with the query, which rank
    first). Looked up by primary key, so the matches are read once."""
    candidates = matches.order_by().values("pk")[:CANDIDATES]
    if named is not None:
        candidates = candidates.union(named.order_by().values("pk")[:CANDIDATES])
    return model.objects.filter(pk__in=candidates)


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
        matches = _search(Customer, user=user, query=query, phone_field="normalized_phone")
        if matches is None:
            return None
        named = Customer.objects.visible_to(user).filter(
            name__gte=query,
            name__lt=query + "\U0010ffff",  # the (name, id) index
        )
        queryset = _bounded(Customer, matches, named).only(
            "id", "name", "short_name", "region", "credit_code", "is_archived"
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
        matches = _search(Contact, user=user, query=query, phone_field="normalized_mobile")
        if matches is None:
            return None
        queryset = (
            _bounded(Contact, matches)
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
