"""Pages of the knowledge base (KNW-1): list with search and filters, article,
its versions and their comparison, create and edit.

Every page fetches through ``knowledge.selectors`` (404 for an article the
user may not read), checks the permission to write (403), then calls a
service.
"""

from __future__ import annotations

import difflib

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from knowledge import selectors, services
from knowledge.forms import ArticleFilterForm, ArticleForm
from knowledge.search import search_articles, snippet

PAGE_SIZE = 20
ARTICLE_SAVED = _("Article “%(title)s” saved (version %(version)s).")


def add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ArticleListView(View):
    template_name = "knowledge/article_list.html"

    def get(self, request):
        user = request.user
        form = ArticleFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        query = (filters.get("q") or "").strip()
        queryset = selectors.article_list(
            user=user,
            category=filters.get("category"),
            kind=filters.get("kind", ""),
            tag=filters.get("tag"),
            status=filters.get("status", ""),
            mine=bool(filters.get("mine")),
        )
        if query:
            found = search_articles(user=user, query=query)
            queryset = (
                queryset.none()
                if found is None
                else found.filter(pk__in=queryset.order_by().values("pk")).prefetch_related("tags")
            )
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        articles = list(page.object_list)
        for article in articles:
            article.snippet = snippet(article.body_text or article.summary, query) if query else ""
        params = request.GET.copy()
        params.pop("page", None)
        return render(
            request,
            self.template_name,
            {
                "page_title": gettext("Knowledge base"),
                "form": form,
                "query": query,
                "page": page,
                "articles": articles,
                "params": params.urlencode(),
                "can_add": user.has_perm("knowledge.add_article"),
                "is_editor": selectors.is_article_editor(user),
            },
        )


class ArticleDetailView(View):
    template_name = "knowledge/article_detail.html"

    def get(self, request, pk):
        article = selectors.access_article(user=request.user, pk=pk)
        return render(
            request,
            self.template_name,
            {
                "page_title": article.title,
                "article": article,
                "can_edit": selectors.can_edit_article(request.user, article),
            },
        )


class ArticleFormView(View):
    """Create (no ``pk``) or edit an article; each save is a new version."""

    template_name = "knowledge/article_form.html"

    def _article(self, request, pk):
        if pk is None:
            if not request.user.has_perm("knowledge.add_article"):
                raise PermissionDenied
            return None
        article = selectors.access_article(user=request.user, pk=pk)
        if not selectors.can_edit_article(request.user, article):
            raise PermissionDenied
        return article

    def _render(self, request, form, article):
        title = gettext("Edit article") if article is not None else gettext("New article")
        return render(
            request,
            self.template_name,
            {"page_title": title, "form": form, "article": article},
        )

    def get(self, request, pk=None):
        article = self._article(request, pk)
        initial = ArticleForm.initial_for(article) if article else {"audience": "all"}
        return self._render(request, ArticleForm(initial=initial), article)

    def post(self, request, pk=None):
        article = self._article(request, pk)
        form = ArticleForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, article)
        data = dict(form.cleaned_data)
        try:
            if article is None:
                article = services.article_create(by=request.user, **data)
            else:
                article = services.article_update(article=article, by=request.user, **data)
        except ValidationError as error:
            add_errors(form, error)
            return self._render(request, form, article if pk else None)
        messages.success(
            request, ARTICLE_SAVED % {"title": article.title, "version": article.version}
        )
        return HttpResponseRedirect(article.get_absolute_url())


def diff_rows(old: str, new: str) -> list[tuple[str, str]]:
    """Line-by-line differences of two plain texts: ``(op, line)`` with op
    ``" "`` (same), ``"-"`` (removed) or ``"+"`` (added)."""
    rows = []
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend((" ", line) for line in old_lines[i1:i2])
        else:
            rows.extend(("-", line) for line in old_lines[i1:i2])
            rows.extend(("+", line) for line in new_lines[j1:j2])
    return rows


class ArticleVersionsView(View):
    """The versions of an article, and the comparison of two (``?a=&b=``)."""

    template_name = "knowledge/article_versions.html"

    def get(self, request, pk):
        article = selectors.access_article(user=request.user, pk=pk)
        versions = list(selectors.article_versions(article=article))
        compare = None
        a, b = request.GET.get("a"), request.GET.get("b")
        if a and b:
            old = selectors.article_version(article=article, number=a)
            new = selectors.article_version(article=article, number=b)
            if old.number > new.number:
                old, new = new, old
            compare = {
                "old": old,
                "new": new,
                "title_changed": old.title != new.title,
                "rows": diff_rows(old.body_text, new.body_text),
            }
        return render(
            request,
            self.template_name,
            {
                "page_title": gettext("Versions of “%(title)s”") % {"title": article.title},
                "article": article,
                "versions": versions,
                "compare": compare,
            },
        )


class ArticleVersionView(View):
    template_name = "knowledge/article_version.html"

    def get(self, request, pk, number):
        article = selectors.access_article(user=request.user, pk=pk)
        version = selectors.article_version(article=article, number=number)
        return render(
            request,
            self.template_name,
            {
                "page_title": f"{version.title} · v{version.number}",
                "article": article,
                "version": version,
            },
        )
