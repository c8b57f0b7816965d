"""Search documents of customers and contacts (CUS-9).

Chinese has no spaces between words, so names are segmented with jieba and
indexed in PostgreSQL's ``simple`` configuration (no extension needed, works
on the embedded server), together with their pinyin, in full and as
initials, so that ``zs`` or ``zhangsan`` finds 张三.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable

import jieba
from django.db import connection
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(logging.WARNING)

_WORD = re.compile(r"\w+")


def _has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def search_tokens(*values: str) -> list[str]:
    """Words, pinyin and initials of ``values``, lower case, for a tsvector."""
    tokens: list[str] = []
    for value in values:
        text = unicodedata.normalize("NFKC", value or "").lower()
        if not text:
            continue
        tokens.extend(w for w in jieba.cut_for_search(text) if _WORD.fullmatch(w))
        for part in _WORD.findall(text):
            tokens.append(part)
            if _has_han(part):
                syllables = lazy_pinyin(part)
                tokens.append("".join(syllables))
                tokens.append("".join(lazy_pinyin(part, style=Style.FIRST_LETTER)))
    return list(dict.fromkeys(tokens))


def query_tokens(query: str) -> list[str]:
    """What the user typed, as prefixes to match (as-you-type)."""
    text = unicodedata.normalize("NFKC", query or "").lower()
    words = [w for w in jieba.cut_for_search(text) if _WORD.fullmatch(w)] if _has_han(text) else []
    words.extend(_WORD.findall(text))
    return list(dict.fromkeys(words))[:8]


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


def customer_document(name: str, short_name: str, credit_code: str) -> str:
    return " ".join(search_tokens(name, short_name, credit_code))


def contact_document(name: str, phone: str, mobile: str, email: str) -> str:
    return " ".join(search_tokens(name, phone, mobile, email))


def refresh_customer_search(*, customer_ids: list[int]) -> None:
    from customers.models import Customer

    values = Customer.objects.filter(pk__in=customer_ids).values_list(
        "pk", "name", "short_name", "credit_code"
    )
    _refresh(
        Customer._meta.db_table,
        ((pk, customer_document(name, short, code)) for pk, name, short, code in values),
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
