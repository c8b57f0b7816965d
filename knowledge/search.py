"""Self-service search (KNW-3) over articles and posts.

Documents are built with the one-box search's Chinese segmentation and
pinyin (``crm.textsearch``): the title (and tags, summary) weighted ``A``,
the text ``D``, both in PostgreSQL's ``simple`` configuration, in
``search_vector`` columns with GIN indexes (``article_search``,
``post_search``). A query is matched with ``to_tsquery('simple', …)`` built
from plain tokens, within what the user may read (``article_visible_to``,
``post_visible_to``), and ranked with ``ts_rank`` (the weights put title
matches first), then by date.

Snippets are cut in Python from the plain text of the rows shown: PostgreSQL's
``ts_headline`` parses Chinese text as whole runs and could not mark a word
inside one. The snippet is escaped and the query's words (and their jieba
words) are wrapped in ``<mark>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import jieba
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from crm.textsearch import (
    WORD,
    has_han,
    normalize,
    prose_tokens,
    search_tokens,
    text_tsquery,
    word_runs,
)
from knowledge.models import Article, Post
from knowledge.selectors import article_visible_to, post_visible_to

#: Length of a snippet in characters.
SNIPPET_LENGTH = 120


def article_documents(title: str, summary: str, tags: Iterable[str], text: str) -> tuple[str, str]:
    """(title document, text document) token texts of an article."""
    return " ".join(search_tokens(title, *tags, summary)), " ".join(prose_tokens(text))


def _refresh(table: str, rows: list[tuple[int, str, str]]) -> None:
    """``title_vector`` = the title document; ``search_vector`` = both, the
    title's lexemes weighted ``A``."""
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS t
            SET title_vector = to_tsvector('simple', d.head),
                search_vector = setweight(to_tsvector('simple', d.head), 'A')
                    || to_tsvector('simple', d.body)
            FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS d(id, head, body)
            WHERE t.id = d.id
            """,
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
        )


def refresh_article_search(*, article_ids: list[int]) -> None:
    articles = Article.objects.filter(pk__in=article_ids).prefetch_related("tags")
    _refresh(
        Article._meta.db_table,
        [
            (
                a.pk,
                *article_documents(a.title, a.summary, [t.name for t in a.tags.all()], a.body_text),
            )
            for a in articles
        ],
    )


def refresh_post_search(*, post_ids: list[int]) -> None:
    posts = Post.objects.filter(pk__in=post_ids).values_list("pk", "topic__title", "body")
    _refresh(
        Post._meta.db_table,
        [
            (pk, " ".join(search_tokens(title)), " ".join(prose_tokens(body)))
            for pk, title, body in posts
        ],
    )


# --- Queries -------------------------------------------------------------------


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="raw", config="simple")


#: A common word matches thousands of texts; the ranking reads at most this
#: many of the title matches and this many of the most recent text matches
#: (each through its own index), so a search costs about the same whatever
#: the word.
CANDIDATES = 500


def search_articles(*, user, query: str) -> QuerySet[Article] | None:
    """Articles the user may read that match ``query``, best first; ``None``: noise.

    Title (and summary, tag) matches come first, by ``ts_rank`` of the small
    title document; then the text matches, newest first.
    """
    text = text_tsquery(query)
    if not text:
        return None
    search = _query(text)
    visible = article_visible_to(user)
    titled = visible.filter(title_vector=search).order_by().values("pk")[:CANDIDATES]
    recent = (visible.filter(search_vector=search).order_by("-published_at", "-id").values("pk"))[
        :CANDIDATES
    ]
    return (
        Article.objects.filter(pk__in=titled.union(recent))
        .annotate(rank=SearchRank(F("title_vector"), search))
        .select_related("category")
        .defer("body", "search_vector", "title_vector")
        .order_by("-rank", "-published_at", "-id")
    )


def search_posts(*, user, query: str) -> QuerySet[Post] | None:
    """Posts the user may read that match ``query``, best first; ``None``: noise.

    Posts of topics whose title matches first, then the newest posts."""
    text = text_tsquery(query)
    if not text:
        return None
    search = _query(text)
    visible = post_visible_to(user)
    titled = visible.filter(title_vector=search).order_by().values("pk")[:CANDIDATES]
    recent = (visible.filter(search_vector=search).order_by("-created_at", "-id").values("pk"))[
        :CANDIDATES
    ]
    return (
        Post.objects.filter(pk__in=titled.union(recent))
        .annotate(rank=SearchRank(F("title_vector"), search))
        .select_related("topic", "topic__group", "author")
        .defer("search_vector", "title_vector")
        .order_by("-rank", "-created_at", "-id")
    )


# --- Snippets ------------------------------------------------------------------


def highlight_terms(query: str) -> list[str]:
    """The words of ``query`` to mark in a text: its runs and their jieba words."""
    terms = []
    for run in word_runs(query):
        terms.append(run)
        if has_han(run):
            terms.extend(w for w in jieba.cut(run) if len(w) >= 2 and WORD.fullmatch(w))
    return sorted(dict.fromkeys(terms), key=len, reverse=True)


def _window(text: str, query: str, length: int) -> tuple[str, list[tuple[str, bool]], str]:
    """``(prefix, [(piece, is_match)…], suffix)`` of the snippet of ``text``."""
    text = " ".join((text or "").split())
    terms = highlight_terms(query)
    folded = normalize(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms)) if terms else None
    # NFKC may change lengths (ligatures); then no marks rather than wrong ones.
    usable = pattern is not None and len(folded) == len(text)
    start = 0
    if usable:
        first = pattern.search(folded)
        if first:
            start = max(0, first.start() - length // 4)
    window, folded_window = text[start : start + length], folded[start : start + length]
    pieces, position = [], 0
    if usable:
        for match in pattern.finditer(folded_window):
            pieces.append((window[position : match.start()], False))
            pieces.append((window[match.start() : match.end()], True))
            position = match.end()
    pieces.append((window[position:], False))
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + length < len(text) else ""
    return prefix, [p for p in pieces if p[0]], suffix


def snippet(text: str, query: str, *, length: int = SNIPPET_LENGTH) -> SafeString:
    """A window of ``text`` around the first match of ``query``, escaped, with
    the matches in ``<mark>``; the text's beginning when nothing matches
    literally (a pinyin query)."""
    prefix, pieces, suffix = _window(text, query, length)
    body = "".join(
        f"<mark>{escape(piece)}</mark>" if is_match else escape(piece) for piece, is_match in pieces
    )
    return mark_safe(prefix + body + suffix)  # noqa: S308 - every piece is escaped


def snippet_text(text: str, query: str, *, length: int = SNIPPET_LENGTH) -> str:
    """The same window as plain text (for the one-box dropdown)."""
    prefix, pieces, suffix = _window(text, query, length)
    return prefix + "".join(piece for piece, _ in pieces) + suffix
