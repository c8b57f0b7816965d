"""Chinese-aware text search, shared by every app that searches text (CUS-9, KNW-3).

Chinese has no spaces between words, so text is segmented with jieba and
indexed in PostgreSQL's ``simple`` configuration (no extension needed, works
on the embedded server), together with its pinyin, in full and as initials,
so that ``zs`` or ``zhangsan`` finds 张三. ``customers.search`` builds the
documents of customers and contacts from these helpers, ``knowledge.search``
those of articles and posts (titles with ``search_tokens``, running text
with the lighter ``prose_tokens``); both turn what the user typed into a
``to_tsquery`` text with ``words_tsquery``.

What ``search_tokens`` gives for a name like 上海华信精密机械有限公司:

- the whole run and jieba's words (上海, 华信, 精密, 机械 …);
- the run from each word on (华信精密机械有限公司, 精密机械有限公司 …), so a
  query that starts mid-name is still a *prefix* of a lexeme;
- the same in full pinyin and in initials (shanghaihuaxin…, huaxinjingmi…,
  shhxjm…, hxjm…).

Short runs (people, up to four characters) are cut per character instead of
per word: 王小明 also holds 小明, xiaoming and xm.

Queries are built only from tokens of letters and digits, so nothing the
user types reaches the parser as syntax. Every token is a prefix (as you
type), except very short ones, which would expand to a large part of the
index: latin tokens of two letters and numbers of fewer than four digits
match whole lexemes only (``zs`` is 张三's initials, not every name starting
with z-s).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable

import jieba
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(logging.WARNING)

#: Letters and digits (``\w`` without the underscore, which the parser splits on).
WORD = re.compile(r"[^\W_]+")
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


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def has_han(text: str) -> bool:
    return any(is_han(ch) for ch in text)


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _pinyin(pieces: list[str], words: list[str]) -> tuple[list[str], list[str]]:
    """Full pinyin and initials of each piece.

    jieba's ``words`` are passed to pypinyin as a list, so it reads each as a
    phrase (重庆 is chongqing) without segmenting the text again (with
    jieba, which would double the cost of a document).
    """
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


def _pinyin_tokens(pieces: list[str], words: list[str]) -> list[str]:
    """Full pinyin and initials of ``pieces`` joined, from each piece on."""
    full, initials = _pinyin(pieces, words)
    tokens = []
    for start in range(len(pieces)):
        tokens.append("".join(full[start:]))
        tokens.append("".join(initials[start:]))
    return [token for token in tokens if len(token) >= 2]


def words(run: str) -> tuple[list[str], list[str]]:
    """jieba's words of ``run``, and the same with the shorter dictionary
    words inside the long ones (what ``cut_for_search`` gives), in one pass."""
    found = [w for w in jieba.cut(run) if w]
    frequencies = jieba.dt.FREQ
    for_search = []
    for word in found:
        for size in (2, 3):
            if len(word) > size:
                for start in range(len(word) - size + 1):
                    gram = word[start : start + size]
                    if frequencies.get(gram):
                        for_search.append(gram)
        for_search.append(word)
    return found, for_search


def _han_run_tokens(run: str) -> list[str]:
    """Words, suffixes and pinyin of one run of text that holds Chinese."""
    found, for_search = words(run)
    tokens = [w for w in for_search if WORD.fullmatch(w)]
    pieces = list(run) if len(run) <= PERSON_NAME_MAX else found
    for start in range(1, len(pieces)):
        suffix = "".join(pieces[start:])
        if len(suffix) >= 2:
            tokens.append(suffix)
    tokens.extend(_pinyin_tokens(pieces, found))
    return tokens


def search_tokens(*values: str) -> list[str]:
    """Words, suffixes, pinyin and initials of ``values``, lower case, for a tsvector."""
    tokens: list[str] = []
    for value in values:
        text = normalize(value)
        for run in WORD.findall(text):
            tokens.append(run)
            if has_han(run):
                tokens.extend(_han_run_tokens(run))
    return list(dict.fromkeys(t for t in tokens if WORD.fullmatch(t)))


def prose_tokens(text: str) -> list[str]:
    """Words of running text and their full pinyin, for a tsvector.

    Names get every suffix and initials (``search_tokens``) so that a name is
    found from any of its words as typed; prose would grow quadratically that
    way, so a text keeps jieba's words (with the shorter words inside long
    ones) and each Chinese word's pinyin: 报价 is found by 报价 and baojia, a
    phrase by its words.
    """
    tokens: list[str] = []
    for run in WORD.findall(normalize(text)):
        if not has_han(run):
            tokens.append(run)
            continue
        _found, for_search = words(run)
        for word in for_search:
            if WORD.fullmatch(word):
                tokens.append(word)
                if len(word) >= 2 and all(is_han(ch) for ch in word):
                    tokens.append("".join(lazy_pinyin(word)))
    return list(dict.fromkeys(tokens))


#: Lexemes longer than this are left out of a long text's document (PostgreSQL
#: refuses lexemes over 2 KB; nobody types a 60-character word).
MAX_TEXT_TOKEN = 60


def long_text_tokens(text: str) -> list[str]:
    """Words of a long text (a PDF's, a spreadsheet's) with the pinyin, full
    and initials, of each Chinese word; latin words and numbers as they are.
    Pinyin is looked up once per distinct word (a long text repeats its
    words), and over-long tokens are left out."""
    tokens: dict[str, None] = {}
    han_words: dict[str, None] = {}
    for run in dict.fromkeys(WORD.findall(normalize(text))):
        if not has_han(run):
            if len(run) <= MAX_TEXT_TOKEN:
                tokens[run] = None
            continue
        _found, for_search = words(run)
        for word in for_search:
            if len(word) <= MAX_TEXT_TOKEN and WORD.fullmatch(word):
                han_words[word] = None
    for word in han_words:
        tokens[word] = None
        if has_han(word):
            syllables = lazy_pinyin(word)
            tokens["".join(syllables)] = None
            tokens["".join(s[:1] for s in syllables)] = None
    return [t for t in tokens if t and WORD.fullmatch(t)]


# --- Queries -------------------------------------------------------------------


def term(token: str) -> str:
    """One token as a tsquery operand: quoted, with ``:*`` when long enough."""
    if has_han(token):
        prefix = True
    elif token.isdigit():
        prefix = len(token) >= MIN_PREFIX_DIGITS
    else:
        prefix = len(token) >= MIN_PREFIX_LETTERS
    return f"'{token}'" + (":*" if prefix else "")


def any_of(alternatives: Iterable[str]) -> str:
    items = list(dict.fromkeys(a for a in alternatives if a))
    if len(items) == 1:
        return items[0]
    return "(" + " | ".join(items) + ")"


def all_of(operands: Iterable[str]) -> str:
    items = list(dict.fromkeys(o for o in operands if o))
    if len(items) == 1:
        return items[0]
    return "(" + " & ".join(items) + ")" if items else ""


def word_runs(query: str) -> list[str]:
    """The runs of letters and digits (two or more) of a query that are used."""
    runs = [run for run in WORD.findall(normalize(query)) if len(run) >= 2]
    return list(dict.fromkeys(runs))[:MAX_QUERY_RUNS]


def words_tsquery(runs: list[str]) -> str:
    """A safe ``to_tsquery('simple', …)`` text matching all of ``runs``.

    A run that holds Chinese matches as a prefix of a lexeme (a name, or a
    name from one of its words on), or as all of its jieba words (上海机械
    finds 上海华信精密机械有限公司). Latin runs typed with spaces also match
    joined (``zhang san`` → zhangsan).
    """
    if not runs:
        return ""
    operands = []
    for run in runs:
        if has_han(run):
            pieces = [w for w in jieba.cut(run) if len(w) >= 2 and WORD.fullmatch(w)]
            operands.append(
                any_of([term(run), all_of(term(w) for w in pieces) if len(pieces) > 1 else ""])
            )
        else:
            operands.append(term(run))
    expression = all_of(operands)
    latin = [run for run in runs if not has_han(run)]
    if len(runs) > 1 and len(latin) == len(runs):
        expression = any_of([expression, term("".join(latin))])
    return expression


def text_tsquery(query: str) -> str:
    """``words_tsquery`` of what the user typed; '' when it is noise."""
    if sum(ch.isalnum() for ch in normalize(query)) < MIN_QUERY_CHARS:
        return ""
    return words_tsquery(word_runs(query))
