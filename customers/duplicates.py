"""Duplicate control (CUS-8): which existing customers a new or changed one
probably duplicates, and why.

Exact matches come from indexed columns: the credit code, the normalised
name, the normalised phone (the customer's, and its contacts' mobiles) and
the contacts' e-mail. Similar names are found with rapidfuzz among the
customers that share the name's blocking key (``name_key``, indexed) and
those whose normalised name starts with the same few characters (index on
``normalized_name``): only these candidates are fetched, at most
``MAX_FUZZY_CANDIDATES`` + ``MAX_PREFIX_CANDIDATES`` of them and only
``(id, normalized_name)``. One check against a million customers is three
round trips of index lookups (exact matches, candidates, details of the
matches in the user's scope) and a comparison of a few thousand short
strings; ``bench/duplicates.py`` measures it.

Scope. A rep must learn that the company already exists, or they would
create it a second time, but must not see another team's customer. Every
match is therefore reported, and a match outside the user's data scope
carries no name, owner, link or id: only "exists, owned by another team"
and the reason. Matches in scope get the name, owner and a link.

Archived customers (merged ones among them) are left out, except for the
credit code: its uniqueness holds for archived rows too, so a clash with an
archived customer blocks the save as well and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, Value
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from customers.models import Contact, Customer
from customers.normalize import company_name_key, normalize_company_name, normalize_phone

#: At most this many customers with the same blocking key are compared by similarity.
MAX_FUZZY_CANDIDATES = 1000
#: ... and at most this many whose normalised name starts with the same characters.
MAX_PREFIX_CANDIDATES = 500
PREFIX_LENGTH = 4
#: rapidfuzz WRatio (0–100) from which two normalised names count as similar.
SIMILARITY_THRESHOLD = 85
#: At most this many exact matches of each kind (customers, contacts) are read.
MAX_EXACT = 200
#: Names shorter than this (normalised) are only matched exactly.
MIN_FUZZY_LENGTH = 2

CREDIT_CODE = "credit_code"
NAME = "name"
PHONE = "phone"
EMAIL = "email"
SIMILAR_NAME = "similar_name"

#: Strongest first: the order in which matches are listed.
REASON_ORDER = (CREDIT_CODE, NAME, SIMILAR_NAME, PHONE, EMAIL)
REASON_LABELS = {
    CREDIT_CODE: _("same credit code"),
    NAME: _("same name"),
    SIMILAR_NAME: _("similar name"),
    PHONE: _("same phone number"),
    EMAIL: _("same e-mail address"),
}


@dataclass(frozen=True)
class DuplicateMatch:
    """One existing customer that the checked data probably duplicates.

    Outside the user's scope, ``visible`` is False and the identifying
    fields (``customer_id``, ``name``, ``owner_name``, ``url``) are empty.
    """

    visible: bool
    reasons: tuple[str, ...]
    score: int  # 100 for an exact match, else the name similarity
    customer_id: int | None = None
    name: str = ""
    region: str = ""
    owner_name: str = ""
    url: str = ""
    is_archived: bool = False

    @property
    def blocks_saving(self) -> bool:
        """A credit code is unique: such a match cannot be saved anyway."""
        return CREDIT_CODE in self.reasons

    @property
    def reason_labels(self) -> list[str]:
        labels = []
        for reason in self.reasons:
            label = str(REASON_LABELS[reason])
            if reason == SIMILAR_NAME:
                label = f"{label} ({self.score}%)"
            labels.append(label)
        return labels


@dataclass
class _Found:
    reasons: set[str]
    score: int = 0


def _exact_matches(
    *, credit_code: str, normalized_name: str, phone: str, email: str
) -> list[tuple[int, str, str, str, str]]:
    """``(customer id, credit code, name, phone, e-mail)`` of exact matches: the
    customers' own columns and their contacts', in one round trip (UNION ALL)."""
    parts = []
    condition = Q()
    if credit_code:
        condition |= Q(credit_code=credit_code)
    if normalized_name:
        condition |= Q(normalized_name=normalized_name, is_archived=False)
    if phone:
        condition |= Q(normalized_phone=phone, is_archived=False)
    if condition:
        parts.append(
            Customer.objects.filter(condition)
            .order_by()
            .annotate(found_email=Value(""))
            .values_list("pk", "credit_code", "normalized_name", "normalized_phone", "found_email")[
                :MAX_EXACT
            ]
        )
    condition = Q()
    if phone:
        condition |= Q(normalized_mobile=phone)
    if email:
        condition |= Q(email__in={email, email.lower()})
    if condition:
        parts.append(
            Contact.objects.filter(condition, customer__is_archived=False)
            .order_by()
            .annotate(found_code=Value(""), found_name=Value(""))
            .values_list("customer_id", "found_code", "found_name", "normalized_mobile", "email")[
                :MAX_EXACT
            ]
        )
    if not parts:
        return []
    if len(parts) == 1:
        return list(parts[0])
    return list(parts[0].union(parts[1], all=True))


def _candidates(*, normalized_name: str, exclude_pk) -> dict[int, str]:
    """``{id: normalised name}`` to compare, in one round trip (UNION ALL of two
    index scans): customers with the same blocking key, and, because a key can
    be shared by tens of thousands of customers while only
    ``MAX_FUZZY_CANDIDATES`` are read, those whose normalised name starts with
    the same ``PREFIX_LENGTH`` characters (same city and brand, say), which
    are the likeliest respellings."""
    active = Customer.objects.filter(is_archived=False).order_by()
    if exclude_pk is not None:
        active = active.exclude(pk=exclude_pk)
    by_key = active.filter(name_key=company_name_key(normalized_name)).values_list(
        "pk", "normalized_name"
    )[:MAX_FUZZY_CANDIDATES]
    if len(normalized_name) < PREFIX_LENGTH:
        return dict(by_key)
    prefix = normalized_name[:PREFIX_LENGTH]
    by_prefix = active.filter(
        normalized_name__gte=prefix, normalized_name__lt=prefix + "\U0010ffff"
    ).values_list("pk", "normalized_name")[:MAX_PREFIX_CANDIDATES]
    return dict(by_key.union(by_prefix, all=True))


def _similar_names(*, normalized_name: str, exclude_pk, limit: int) -> list[tuple[int, int]]:
    """``(customer id, score)`` of similar names among the candidates."""
    if len(normalized_name) < MIN_FUZZY_LENGTH:
        return []
    found = process.extract(
        normalized_name,
        _candidates(normalized_name=normalized_name, exclude_pk=exclude_pk),
        scorer=fuzz.WRatio,
        processor=None,
        score_cutoff=SIMILARITY_THRESHOLD,
        limit=limit,
    )
    return [(pk, round(score)) for _name, score, pk in found]


def find_duplicates(
    *,
    user,
    name: str,
    credit_code: str = "",
    phone: str = "",
    email: str = "",
    exclude_pk=None,
    limit: int = 10,
) -> list[DuplicateMatch]:
    """Existing customers that the given data probably duplicates, strongest first.

    ``exclude_pk`` is the customer being edited. At most ``limit`` matches.
    """
    normalized_name = normalize_company_name(name)
    credit_code = (credit_code or "").strip().upper()
    phone = normalize_phone(phone)
    email = (email or "").strip()

    found: dict[int, _Found] = {}

    def add(pk: int, reason: str, score: int = 100) -> None:
        if pk == exclude_pk:
            return
        entry = found.setdefault(pk, _Found(reasons=set()))
        entry.reasons.add(reason)
        entry.score = max(entry.score, score)

    for pk, code, other_name, other_phone, other_email in _exact_matches(
        credit_code=credit_code, normalized_name=normalized_name, phone=phone, email=email
    ):
        if credit_code and code == credit_code:
            add(pk, CREDIT_CODE)
        if normalized_name and other_name == normalized_name:
            add(pk, NAME)
        if phone and other_phone == phone:
            add(pk, PHONE)
        if email and other_email.lower() == email.lower():
            add(pk, EMAIL)
    for pk, score in _similar_names(
        normalized_name=normalized_name, exclude_pk=exclude_pk, limit=limit
    ):
        if NAME not in found.get(pk, _Found(reasons=set())).reasons:
            add(pk, SIMILAR_NAME, score)

    if not found:
        return []

    def strength(item: tuple[int, _Found]):
        pk, entry = item
        first = min(REASON_ORDER.index(reason) for reason in entry.reasons)
        return (first, -len(entry.reasons), -entry.score, pk)

    ranked = sorted(found.items(), key=strength)[:limit]
    visible = {
        row["pk"]: row
        for row in Customer.objects.visible_to(user)
        .filter(pk__in=[pk for pk, _entry in ranked])
        .order_by()
        .values(
            "pk",
            "name",
            "region",
            "is_archived",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
    }
    matches = []
    for pk, entry in ranked:
        reasons = tuple(reason for reason in REASON_ORDER if reason in entry.reasons)
        row = visible.get(pk)
        if row is None:
            matches.append(DuplicateMatch(visible=False, reasons=reasons, score=entry.score))
            continue
        owner = " ".join(filter(None, (row["owner__first_name"], row["owner__last_name"])))
        matches.append(
            DuplicateMatch(
                visible=True,
                reasons=reasons,
                score=entry.score,
                customer_id=pk,
                name=row["name"],
                region=row["region"],
                owner_name=owner or row["owner__username"] or "",
                url=reverse("customers:customer:detail", kwargs={"pk": pk}),
                is_archived=row["is_archived"],
            )
        )
    return matches
