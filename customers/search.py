"""Search documents of customers and contacts, and the queries over them (CUS-9).

The segmentation and pinyin are ``crm.textsearch``'s (shared with the knowledge
base). Chinese has no spaces between words, so names are segmented with jieba and
indexed in PostgreSQL's ``simple`` configuration (no extension needed, works
on the embedded server), together with their pinyin, in full and as
initials, so that ``zs`` or ``zhangsan`` finds 张三.

What a document holds, for a name like 上海华信精密机械有限公司:

- the whole name and jieba's words (``cut_for_search``: 上海, 华信, 精密, 机械 …);
- the name from each word on (华信精密机械有限公司, 精密机械有限公司 …), so a
  query that starts mid-name is still a *prefix* of a lexeme;
- the same in full pinyin and in initials (shanghaihuaxin…, huaxinjingmi…,
  shhxjm…, hxjm…).

Short names (people, up to four characters) are cut per character instead of
per word: 王小明 also holds 小明, xiaoming and xm. Phone numbers are indexed
as their digits and in the normalised form of duplicate control.

Queries are turned into a ``to_tsquery`` text built only from tokens of
letters and digits, so nothing the user types reaches the parser as syntax.
Every token is a prefix (as you type), except very short ones, which would
expand to a large part of the index: latin tokens of two letters and numbers
of fewer than four digits match whole lexemes only (``zs`` is 张三's
initials, not every name starting with z-s).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from django.db import connection

from crm.textsearch import (
    MAX_QUERY_RUNS,
    MIN_PREFIX_DIGITS,
    MIN_QUERY_CHARS,
    WORD,
    any_of,
    normalize,
    search_tokens,
    term,
    words_tsquery,
)
from customers.normalize import normalize_phone

__all__ = ["search_tokens", "tsquery", "query_tokens", "customer_document", "contact_document"]

#: A query made of a phone number only: digits, spaces and ``+-()``.
_PHONE = re.compile(r"^[\d\s+\-()]+$")
_normalize = normalize


def _phone_tokens(*phones: str) -> list[str]:
    """All digits, the normalised number, and each group as written (the
    local number of ``021-62881234``)."""
    tokens = []
    for phone in phones:
        text = _normalize(phone)
        digits = re.sub(r"\D", "", text)
        if digits:
            tokens.extend([digits, normalize_phone(phone), *re.findall(r"\d{4,}", text)])
    return tokens


def customer_document(name: str, short_name: str, credit_code: str, phone: str = "") -> str:
    return " ".join(
        dict.fromkeys([*search_tokens(name, short_name, credit_code), *_phone_tokens(phone)])
    )


def contact_document(name: str, phone: str, mobile: str, email: str) -> str:
    email = _normalize(email).strip()
    tokens = [*search_tokens(name, email), *_phone_tokens(phone, mobile)]
    if email and "'" not in email and " " not in email:
        tokens.append(email)  # the parser keeps an address as one lexeme
    return " ".join(dict.fromkeys(t for t in tokens if t))


# --- Queries -------------------------------------------------------------------


def query_tokens(query: str) -> list[str]:
    """The runs of letters and digits of what the user typed that are used."""
    text = _normalize(query)
    if _PHONE.match(text) and sum(ch.isdigit() for ch in text) >= MIN_PREFIX_DIGITS:
        return [re.sub(r"\D", "", text)]
    runs = [run for run in WORD.findall(text) if len(run) >= 2]
    return list(dict.fromkeys(runs))[:MAX_QUERY_RUNS]


def phone_query(query: str) -> str:
    """The normalised phone number if ``query`` is one (seven digits or more), else ''."""
    text = _normalize(query)
    if not _PHONE.match(text) or sum(ch.isdigit() for ch in text) < 7:
        return ""
    return normalize_phone(text)


@lru_cache(maxsize=1024)  # each provider asks; as-you-type repeats prefixes
def tsquery(query: str) -> str:
    """A safe ``to_tsquery('simple', …)`` text for ``query``; '' when it is noise.

    Each run of the query must match (AND). A run that holds Chinese matches
    as a prefix of a lexeme (a name, or a name from one of its words on), or
    as all of its jieba words (上海机械 finds 上海华信精密机械有限公司). Latin
    runs typed with spaces also match joined (``zhang san`` → zhangsan).
    """
    text = _normalize(query)
    if sum(ch.isalnum() for ch in text) < MIN_QUERY_CHARS:
        return ""
    runs = query_tokens(text)
    if not runs:
        return ""
    if len(runs) == 1 and runs[0].isdigit() and _PHONE.match(text):
        digits = runs[0]
        normalized = normalize_phone(digits)
        return any_of([term(digits), term(normalized) if normalized else ""])
    return words_tsquery(runs)


# --- Documents ---------------------------------------------------------------


def _refresh(table: str, documents: Iterable[tuple[int, str]]) -> None:
    rows = list(documents)
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS t SET search_vector = to_tsvector('simple', d.doc)
            FROM unnest(%s::bigint[], %s::text[]) AS d(id, doc)
            WHERE t.id = d.id
            """,
            [[pk for pk, _ in rows], [doc for _, doc in rows]],
        )


def refresh_customer_search(*, customer_ids: list[int]) -> None:
    from customers.models import Customer

    values = Customer.objects.filter(pk__in=customer_ids).values_list(
        "pk", "name", "short_name", "credit_code", "phone"
    )
    _refresh(
        Customer._meta.db_table,
        ((pk, customer_document(*row)) for pk, *row in values),
    )


def refresh_contact_search(*, contact_ids: list[int]) -> None:
    from customers.models import Contact

    values = Contact.objects.filter(pk__in=contact_ids).values_list(
        "pk", "name", "phone", "mobile", "email"
    )
    _refresh(
        Contact._meta.db_table,
        ((pk, contact_document(*row)) for pk, *row in values),
    )
