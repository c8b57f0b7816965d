"""One-box search (CUS-9): the kernel's registry of search providers and its page.

The kernel knows no app to its right, so it owns the search box and the
page, and every app registers a provider for its records from its
``AppConfig.ready`` (customers: customers and contacts; later projects:
opportunities). A provider turns the typed text into a *scoped, ranked*
queryset -- it must start from ``Model.objects.visible_to(user)`` -- and
describes one row for the result list. The view only slices and
renders, so each provider costs one query, in the dropdown and on the
full page alike, whatever the number of matches (nothing is counted).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from crm import paging
from crm.inputs import strip_controls
from crm.scope import load_scopes

#: Longest query considered (the rest is ignored).
MAX_QUERY_LENGTH = 100
#: Rows per provider in the as-you-type dropdown.
DROPDOWN_LIMIT = 8
#: Rows per page on the full results page.
PAGE_SIZE = 25
#: Pages beyond this are not served (refine the search instead).
MAX_PAGE = 40
#: Memory for the bitmaps of one search (PostgreSQL's ``work_mem``, for its
#: transaction only). A common word within a branch ANDs the word's index
#: bitmap with the branch's (hundreds of thousands of rows); with the default
#: 4 MB that bitmap turns lossy (whole pages), and the search then reads
#: every page holding any row of the branch among the word's pages -- two to
#: three times the pages of the rows it needs.
SEARCH_WORK_MEM = "32MB"


@dataclass(frozen=True)
class SearchHit:
    """One row of a result list."""

    title: str
    url: str
    detail: str = ""


class SearchProvider:
    """Searches one kind of record. Subclass and register an instance.

    ``queryset`` receives the user and the text as typed; it returns the
    matching records the user may see (``visible_to``), best first, or
    ``None`` when the text is noise for this provider. ``hit`` describes one
    record without further queries (select what it needs in ``queryset``).
    """

    key: str = ""
    title: Any = ""
    order: int = 100
    #: The scoped model searched, if any: the search loads the user's scope
    #: of every provider's model in one query before the providers run.
    model: type[models.Model] | None = None
    #: Permission needed to see this provider's results at all (``app.codename``).
    permission: str = ""

    def queryset(self, *, user, query: str) -> models.QuerySet | None:  # pragma: no cover
        raise NotImplementedError

    def hit(self, obj) -> SearchHit:
        return SearchHit(title=str(obj), url=obj.get_absolute_url())

    def allowed(self, user) -> bool:
        return not self.permission or user.has_perm(self.permission)


class SearchRegistry:
    def __init__(self) -> None:
        self._providers: dict[str, SearchProvider] = {}

    def register(self, provider: SearchProvider) -> SearchProvider:
        if not provider.key:
            raise ValueError("A search provider needs a key.")
        self._providers[provider.key] = provider
        return provider

    def unregister(self, key: str) -> None:
        self._providers.pop(key, None)

    def get(self, key: str) -> SearchProvider | None:
        return self._providers.get(key)

    def __iter__(self):
        return iter(sorted(self._providers.values(), key=lambda p: (p.order, p.key)))

    def for_user(self, user) -> list[SearchProvider]:
        return [provider for provider in self if provider.allowed(user)]


#: The providers of the one-box search; each app adds its own.
search_providers = SearchRegistry()


#: Fewer letters or digits than this is noise: nothing is searched.
MIN_QUERY_CHARS = 2


def clean_query(raw: str | None) -> str:
    """The query as searched: no control characters (PostgreSQL text cannot
    hold NUL), single spaces, at most ``MAX_QUERY_LENGTH`` characters."""
    return " ".join(strip_controls(raw or "").split())[:MAX_QUERY_LENGTH]


def is_noise(query: str) -> bool:
    return sum(ch.isalnum() for ch in query) < MIN_QUERY_CHARS


@dataclass(frozen=True)
class ResultPage:
    """One page of a provider's results, found without counting them all.

    Counting every match of a common word costs as much as a second search,
    so a page reads one row more than it shows: enough to know whether
    there is a next page.
    """

    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


@dataclass
class ResultGroup:
    provider: SearchProvider
    hits: list[SearchHit]
    page: ResultPage | None = None  # None in the dropdown


@contextmanager
def _search_transaction(user, providers: list[SearchProvider]) -> Iterator[None]:
    """The providers' queries in one read transaction with ``SEARCH_WORK_MEM``,
    after the user's scope of all their models (one query)."""
    load_scopes(user, [p.model for p in providers if p.model is not None])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [SEARCH_WORK_MEM])
        yield


def dropdown_groups(user, query: str) -> list[ResultGroup]:
    groups = []
    providers = search_providers.for_user(user)
    if not providers:
        return groups
    with _search_transaction(user, providers):
        for provider in providers:
            queryset = provider.queryset(user=user, query=query)
            if queryset is None:
                continue
            hits = [provider.hit(obj) for obj in queryset[:DROPDOWN_LIMIT]]
            if hits:
                groups.append(ResultGroup(provider=provider, hits=hits))
    return groups


def page_groups(user, query: str, *, only: str, page_number) -> list[ResultGroup]:
    """A page of ``PAGE_SIZE`` results per provider (of one provider if ``only``)."""
    number = paging.page_number(page_number, last=MAX_PAGE) if only else 1
    offset = (number - 1) * PAGE_SIZE
    groups = []
    providers = [p for p in search_providers.for_user(user) if not only or p.key == only]
    if not providers:
        return groups
    with _search_transaction(user, providers):
        for provider in providers:
            queryset = provider.queryset(user=user, query=query)
            if queryset is None:
                continue
            rows = list(queryset[offset : offset + PAGE_SIZE + 1])
            if not rows:
                continue
            groups.append(
                ResultGroup(
                    provider=provider,
                    hits=[provider.hit(obj) for obj in rows[:PAGE_SIZE]],
                    page=ResultPage(number=number, has_next=len(rows) > PAGE_SIZE),
                )
            )
    return groups


def _in_site_shell(request: HttpRequest) -> None:
    """Show the page in the viewflow shell (menu, colours) like the area pages."""
    from crm.site import site

    if request.resolver_match is not None and not getattr(request.resolver_match, "site", None):
        request.resolver_match.site = site


@never_cache  # results depend on the user and on data that changes
@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    """The full results page, or with ``partial=1`` the dropdown's fragment."""
    query = clean_query(request.GET.get("q"))
    if request.GET.get("partial") == "1":
        if is_noise(query):
            query = ""  # an empty fragment: the dropdown stays closed
        groups = dropdown_groups(request.user, query) if query else []
        return TemplateResponse(
            request,
            "crm/search_dropdown.html",
            {"query": query, "groups": groups},
        )
    only = request.GET.get("type", "")
    if only and search_providers.get(only) is None:
        raise Http404("No such kind of record.")
    groups = (
        page_groups(request.user, query, only=only, page_number=request.GET.get("page"))
        if not is_noise(query)
        else []
    )
    _in_site_shell(request)
    return TemplateResponse(
        request,
        "crm/search.html",
        {
            "query": query,
            "search_query": query,
            "only": only,
            "groups": groups,
            "page_title": _("Search"),
        },
    )
