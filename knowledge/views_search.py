"""Self-service search (KNW-3): articles and discussion posts, ranked, with
highlighted snippets, within what the user may read."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext
from django.views import View

from crm import paging
from crm.search import clean_query, is_noise
from knowledge.search import search_articles, search_posts, snippet

PAGE_SIZE = 20
MAX_PAGE = 25
KINDS = ("articles", "posts")


def _page(queryset, number: int) -> tuple[list, bool]:
    offset = (number - 1) * PAGE_SIZE
    rows = list(queryset[offset : offset + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


class KnowledgeSearchView(View):
    template_name = "knowledge/search.html"

    def get(self, request):
        query = clean_query(request.GET.get("q"))
        only = request.GET.get("type", "")
        if only not in KINDS:
            only = ""
        number = paging.page_number(request.GET.get("page"), last=MAX_PAGE) if only else 1
        sections = []
        if query and not is_noise(query):
            searches = {
                "articles": (gettext("Articles"), search_articles, "body_text"),
                "posts": (gettext("Discussions"), search_posts, "body"),
            }
            for key, (title, search, field) in searches.items():
                if only and key != only:
                    continue
                found = search(user=request.user, query=query)
                if found is None:
                    continue
                rows, has_next = _page(found, number)
                for row in rows:
                    row.snippet = snippet(getattr(row, field) or "", query)
                sections.append({"key": key, "title": title, "rows": rows, "has_next": has_next})
        return render(
            request,
            self.template_name,
            {
                "page_title": gettext("Search the knowledge base"),
                "query": query,
                "only": only,
                "number": number,
                "sections": sections,
            },
        )
