"""Search documents of customers and contacts, and the queries over them (CUS-9).

Chinese has no spaces between words, so names are segmented with jieba and
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

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba
from django.db import connection
from pypinyin import Style, lazy_pinyin

from customers.normalize import normalize_phone

jieba.setLogLevel(logging.WARNING)

#: Letters and digits (``\w`` without the underscore, which the parser splits on).
_WORD = re.compile(r"[^\W_]+")
#: A query made of a phone number only: digits, spaces and ``+-()``.
_PHONE = re.compile(r"^[\d\s+\-()]+$")
#: Runs up to this long are treated as a person's name: cut per character.
PERSON_NAME_MAX = 4
#: Latin tokens shorter than this, and numbers shorter than ``MIN_PREFIX_DIGITS``,
#: match whole lexemes only.
MIN_PREFIX_LETTERS = 3
MIN_PREFIX_DIGITS = 4
#: A query shorter than this (letters and digits) is noise and finds nothing.
MIN_QUERY_CHARS = 2
#: At most this many runs of a query are used (the rest is ignored).
MAX_QUERY_RUNS = 6


def _has_han(text: str) -> bool:
    return any(_is_han(ch) for ch in text)


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _pinyin(pieces: list[str], words: list[str]) -> tuple[list[str], list[str]]:
    """Full pinyin and initials of each piece.

    jieba's ``words`` are passed to pypinyin as a list, so it reads each as a
    phrase (重庆 is chongqing) without segmenting the text again (with
    jieba, which would double the cost of a document).
    """
    run = "".join(pieces)
    if all(_is_han(ch) for ch in run):
        syllables = lazy_pinyin(words)
        if len(syllables) == len(run):
            full, initials, start = [], [], 0
            for piece in pieces:
                chunk = syllables[start : start + len(piece)]
                start += len(piece)
                full.append("".join(chunk))
                initials.append("".join(syllable[:1] for syllable in chunk))
            return full, initials
    full = ["".join(lazy_pinyin([piece])) for piece in pieces]
    initials = ["".join(lazy_pinyin([piece], style=Style.FIRST_LETTER)) for piece in pieces]
    return full, initials


def _pinyin_tokens(pieces: list[str], words: list[str]) -> list[str]:
    """Full pinyin and initials of ``pieces`` joined, from each piece on."""
    full, initials = _pinyin(pieces, words)
    tokens = []
    for start in range(len(pieces)):
        tokens.append("".join(full[start:]))
        tokens.append("".join(initials[start:]))
    return [token for token in tokens if len(token) >= 2]


def _words(run: str) -> tuple[list[str], list[str]]:
    """jieba's words of ``run``, and the same with the shorter dictionary
    words inside the long ones (what ``cut_for_search`` gives), in one pass."""
    words = [w for w in jieba.cut(run) if w]
    frequencies = jieba.dt.FREQ
    for_search = []
    for word in words:
        for size in (2, 3):
            if len(word) > size:
                for start in range(len(word) - size + 1):
                    gram = word[start : start + size]
                    if frequencies.get(gram):
                        for_search.append(gram)
        for_search.append(word)
    return words, for_search


def _han_run_tokens(run: str) -> list[str]:
    """Words, suffixes and pinyin of one run of text that holds Chinese."""
    words, for_search = _words(run)
    tokens = [w for w in for_search if _WORD.fullmatch(w)]
    pieces = list(run) if len(run) <= PERSON_NAME_MAX else words
    for start in range(1, len(pieces)):
        suffix = "".join(pieces[start:])
        if len(suffix) >= 2:
            tokens.append(suffix)
    tokens.extend(_pinyin_tokens(pieces, words))
    return tokens


def search_tokens(*values: str) -> list[str]:
    """Words, suffixes, pinyin and initials of ``values``, lower case, for a tsvector."""
    tokens: list[str] = []
    for value in values:
        text = _normalize(value)
        for run in _WORD.findall(text):
            tokens.append(run)
            if _has_han(run):
                tokens.extend(_han_run_tokens(run))
    return list(dict.fromkeys(t for t in tokens if _WORD.fullmatch(t)))


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


def _term(token: str) -> str:
    """One token as a tsquery operand: quoted, with ``:*`` when long enough."""
    if _has_han(token):
        prefix = True
    elif token.isdigit():
        prefix = len(token) >= MIN_PREFIX_DIGITS
    else:
        prefix = len(token) >= MIN_PREFIX_LETTERS
    return f"'{token}'" + (":*" if prefix else "")


def _any(alternatives: Iterable[str]) -> str:
    items = list(dict.fromkeys(a for a in alternatives if a))
    if len(items) == 1:
        return items[0]
    return "(" + " | ".join(items) + ")"


def _all(operands: Iterable[str]) -> str:
    items = list(dict.fromkeys(o for o in operands if o))
    if len(items) == 1:
        return items[0]
    return "(" + " & ".join(items) + ")" if items else ""


def query_tokens(query: str) -> list[str]:
    """The runs of letters and digits of what the user typed that are used."""
    text = _normalize(query)
    if _PHONE.match(text) and sum(ch.isdigit() for ch in text) >= MIN_PREFIX_DIGITS:
        return [re.sub(r"\D", "", text)]
    runs = [run for run in _WORD.findall(text) if len(run) >= 2]
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
        return _any([_term(digits), _term(normalized) if normalized else ""])
    operands = []
    for run in runs:
        if _has_han(run):
            words = [w for w in jieba.cut(run) if len(w) >= 2 and _WORD.fullmatch(w)]
            operands.append(
                _any([_term(run), _all(_term(w) for w in words) if len(words) > 1 else ""])
            )
        else:
            operands.append(_term(run))
    expression = _all(operands)
    latin = [run for run in runs if not _has_han(run)]
    if len(runs) > 1 and len(latin) == len(runs):
        expression = _any([expression, _term("".join(latin))])
    return expression


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
