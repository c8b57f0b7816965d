"""Chinese-aware search documents and queries for the kernel's own records.

The kernel may not import ``customers``, whose ``customers.search`` builds
the one-box search documents of customers and contacts. This module holds
the same rules for what the kernel indexes (attachments): jieba's words,
their pinyin in full and as initials, in PostgreSQL's ``simple``
configuration, and ``to_tsquery`` texts built only from tokens of letters
and digits. It follows ``customers.search`` token for token (without the
phone numbers), so that a query finds a customer and an attachment alike;
``customers.search`` could import its generic half from here.

Names get the full treatment (suffixes from each word on, so a query that
starts mid-name is a prefix of a lexeme). Long texts (the text of a PDF)
get each word and its pinyin only: suffixes of every sentence would grow
with the square of its length.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(logging.WARNING)

#: Letters and digits (``\w`` without the underscore, which the parser splits on).
_WORD = re.compile(r"[^\W_]+")
#: Runs up to this long are cut per character (people's names).
PERSON_NAME_MAX = 4
#: Latin tokens shorter than this, and numbers shorter than ``MIN_PREFIX_DIGITS``,
#: match whole lexemes only.
MIN_PREFIX_LETTERS = 3
MIN_PREFIX_DIGITS = 4
#: A query shorter than this (letters and digits) is noise and finds nothing.
MIN_QUERY_CHARS = 2
#: At most this many runs of a query are used (the rest is ignored).
MAX_QUERY_RUNS = 6
#: Lexemes longer than this are left out of a text's document (PostgreSQL
#: refuses lexemes over 2 KB; nobody types a 60-character word).
MAX_TEXT_TOKEN = 60


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def has_han(text: str) -> bool:
    return any(is_han(ch) for ch in text)


def _pinyin(pieces: list[str], words: list[str]) -> tuple[list[str], list[str]]:
    """Full pinyin and initials of each piece (jieba's words read as phrases)."""
    run = "".join(pieces)
    if all(is_han(ch) for ch in run):
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


def _words(run: str) -> tuple[list[str], list[str]]:
    """jieba's words of ``run``, and the same with the shorter dictionary
    words inside the long ones (what ``cut_for_search`` gives)."""
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
    words, for_search = _words(run)
    tokens = [w for w in for_search if _WORD.fullmatch(w)]
    pieces = list(run) if len(run) <= PERSON_NAME_MAX else words
    for start in range(1, len(pieces)):
        suffix = "".join(pieces[start:])
        if len(suffix) >= 2:
            tokens.append(suffix)
    full, initials = _pinyin(pieces, words)
    for start in range(len(pieces)):
        tokens.append("".join(full[start:]))
        tokens.append("".join(initials[start:]))
    return tokens


def name_tokens(*values: str) -> list[str]:
    """Words, suffixes, pinyin and initials of short values (names, titles)."""
    tokens: list[str] = []
    for value in values:
        for run in _WORD.findall(normalize(value)):
            tokens.append(run)
            if has_han(run):
                tokens.extend(_han_run_tokens(run))
    return list(dict.fromkeys(t for t in tokens if len(t) >= 1 and _WORD.fullmatch(t)))


def text_tokens(text: str) -> list[str]:
    """Words of a long text with the pinyin (full and initials) of each
    Chinese word; latin words and numbers as they are. Pinyin is looked up
    once per distinct word (a text repeats its words)."""
    tokens: dict[str, None] = {}
    han_words: dict[str, None] = {}
    for run in dict.fromkeys(_WORD.findall(normalize(text))):
        if not has_han(run):
            if len(run) <= MAX_TEXT_TOKEN:
                tokens[run] = None
            continue
        _, for_search = _words(run)
        for word in for_search:
            if len(word) <= MAX_TEXT_TOKEN and _WORD.fullmatch(word):
                han_words[word] = None
    for word in han_words:
        tokens[word] = None
        if has_han(word):
            syllables = lazy_pinyin(word)
            tokens["".join(syllables)] = None
            tokens["".join(s[:1] for s in syllables)] = None
    return [t for t in tokens if t and _WORD.fullmatch(t)]


# --- Queries -------------------------------------------------------------------


def _term(token: str) -> str:
    if has_han(token):
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


@lru_cache(maxsize=1024)
def tsquery(query: str) -> str:
    """A safe ``to_tsquery('simple', …)`` text for ``query``; '' when it is noise.

    Every run must match (AND); a Chinese run as a prefix of a lexeme or as
    all of its jieba words; latin runs typed apart also match joined.
    """
    text = normalize(query)
    if sum(ch.isalnum() for ch in text) < MIN_QUERY_CHARS:
        return ""
    runs = list(dict.fromkeys(run for run in _WORD.findall(text) if len(run) >= 2))
    runs = runs[:MAX_QUERY_RUNS]
    if not runs:
        return ""
    operands = []
    for run in runs:
        if has_han(run):
            words = [w for w in jieba.cut(run) if len(w) >= 2 and _WORD.fullmatch(w)]
            operands.append(
                _any([_term(run), _all(_term(w) for w in words) if len(words) > 1 else ""])
            )
        else:
            operands.append(_term(run))
    expression = _all(operands)
    latin = [run for run in runs if not has_han(run)]
    if len(runs) > 1 and len(latin) == len(runs):
        expression = _any([expression, _term("".join(latin))])
    return expression
