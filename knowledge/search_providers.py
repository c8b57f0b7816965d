"""One-box search providers of articles and discussion posts (KNW-3)."""

from __future__ import annotations

from django.db.models import CharField, Value
from django.utils.translation import gettext_lazy as _

from crm.search import SearchHit, SearchProvider, search_providers
from knowledge.search import search_articles, search_posts, snippet_text

#: Characters of text shown under a hit in the one-box dropdown.
DETAIL_LENGTH = 60


class ArticleSearchProvider(SearchProvider):
    key = "articles"
    title = _("Knowledge base")
    order = 60
    permission = "knowledge.view_article"

    def queryset(self, *, user, query: str):
        found = search_articles(user=user, query=query)
        # The typed text rides along with each row (providers are shared by threads).
        return (
            None if found is None else found.annotate(typed=Value(query, output_field=CharField()))
        )

    def hit(self, obj) -> SearchHit:
        text = snippet_text(obj.body_text or obj.summary, obj.typed, length=DETAIL_LENGTH)
        return SearchHit(
            title=obj.title,
            url=obj.get_absolute_url(),
            detail=" · ".join(d for d in (str(obj.category), text) if d),
        )


class PostSearchProvider(SearchProvider):
    key = "posts"
    title = _("Discussions")
    order = 70
    permission = "knowledge.view_post"

    def queryset(self, *, user, query: str):
        found = search_posts(user=user, query=query)
        return (
            None if found is None else found.annotate(typed=Value(query, output_field=CharField()))
        )

    def hit(self, obj) -> SearchHit:
        text = snippet_text(obj.body, obj.typed, length=DETAIL_LENGTH)
        return SearchHit(title=obj.topic.title, url=obj.get_absolute_url(), detail=text)


def register() -> None:
    search_providers.register(ArticleSearchProvider())
    search_providers.register(PostSearchProvider())
