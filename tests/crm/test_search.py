"""CUS-9: the one-box search page, its dropdown fragment and the provider registry."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from crm import search as crm_search
from crm.search import SearchProvider, SearchRegistry, search_providers
from tests.factories import make_contact, make_customer

URL = "/search/"


def _results(response) -> list[str]:
    """Titles of the results in a page or fragment, in order."""
    html = response.content.decode()
    return re.findall(
        r'data-testid="search-result"[^>]*>\s*(?:<a [^>]*>)?\s*'
        r'(?:<span class="crm-search__item-title">)?([^<]+)<',
        html,
    )


@pytest.fixture
def records(org):
    huaxin = make_customer(org.rep, name="上海华信精密机械有限公司", short_name="华信")
    make_contact(huaxin, name="张三", mobile="13812345678", email="zhangsan@huaxin.example.com")
    make_contact(huaxin, name="赵四")  # initials zs too
    hidden = make_customer(org.rep2, name="上海华信物流有限公司")  # another branch
    make_contact(hidden, name="张珊", mobile="13912345678")  # zs, another branch
    return huaxin


def test_the_url_is_search():
    assert reverse("search") == URL


def test_the_search_box_is_in_the_toolbar_of_every_page(org, client):
    client.force_login(org.rep)

    html = client.get(reverse("today:index")).content.decode()

    assert 'data-testid="search-box"' in html
    assert re.search(r'<input[^>]*name="q"[^>]*data-testid="search-box"', html)
    assert 'action="/search/"' in html
    assert "crm/js/search" in html
    assert "<script>" not in html  # no inline script (CSP)


def test_the_dropdown_fragment_lists_what_the_user_sees(org, client, records):
    client.force_login(org.rep)

    response = client.get(URL, {"q": "zs", "partial": "1"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment, not a page
    assert _results(response) == ["张三", "赵四"]
    assert f'href="{records.contacts.get(name="张三").get_absolute_url()}"' in html
    assert 'href="/search/?q=zs"' in html  # all results


def test_the_dropdown_groups_results_per_kind(org, client, records):
    client.force_login(org.rep)

    response = client.get(URL, {"q": "huaxin", "partial": "1"})

    html = response.content.decode()
    assert _results(response) == ["上海华信精密机械有限公司", "张三"]  # the contact by email
    assert html.index("Customers") < html.index("Contacts")
    assert f'href="{records.get_absolute_url()}"' in html


def test_the_full_page_groups_results_with_links(org, client, records):
    client.force_login(org.rep)

    response = client.get(URL, {"q": "上海华信"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and 'class="vf-page__menu' in html  # the site shell
    assert _results(response) == ["上海华信精密机械有限公司"]
    assert f'href="{records.get_absolute_url()}"' in html
    assert 'data-provider="customers"' in html
    assert 'data-provider="contacts"' not in html  # no contact matches


def test_a_contact_links_to_its_detail_page(org, client, records):
    client.force_login(org.rep)
    contact = records.contacts.get(name="张三")

    response = client.get(URL, {"q": "13812345678"})

    assert _results(response) == ["张三"]
    assert reverse("customers:contact:detail", kwargs={"pk": contact.pk}) in (
        response.content.decode()
    )


def test_a_user_who_must_not_see_finds_nothing(org, client, records):
    # rep2 (South China) does not see rep's East China customer and contacts,
    # and rep does not see rep2's.
    client.force_login(org.rep2)
    assert _results(client.get(URL, {"q": "上海华信精密", "partial": "1"})) == []
    assert _results(client.get(URL, {"q": "13812345678"})) == []
    assert _results(client.get(URL, {"q": "zs"})) == ["张珊"]

    client.force_login(org.rep)
    assert _results(client.get(URL, {"q": "13912345678"})) == []
    assert _results(client.get(URL, {"q": "上海华信", "partial": "1"})) == [
        "上海华信精密机械有限公司"
    ]


@pytest.mark.parametrize("query", ["", "   ", "a", "张", "!"])
def test_an_empty_or_noise_query_finds_nothing_quickly(
    org, client, records, query, django_assert_max_num_queries
):
    client.force_login(org.rep)
    client.get(URL, {"q": "warm up", "partial": "1"})

    with django_assert_max_num_queries(3):  # session, user, employee; no search at all
        partial = client.get(URL, {"q": query, "partial": "1"})
    page = client.get(URL, {"q": query})

    assert partial.status_code == page.status_code == 200
    assert partial.content.decode().strip() == ""
    assert _results(page) == []


def test_nothing_found_says_so(org, client, records):
    client.force_login(org.rep)

    partial = client.get(URL, {"q": "不存在的名字", "partial": "1"})
    page = client.get(URL, {"q": "不存在的名字"})

    assert "Nothing found for “不存在的名字”." in partial.content.decode()
    assert 'data-testid="search-empty"' in page.content.decode()


def test_login_is_required(client, records):
    response = client.get(URL, {"q": "华信", "partial": "1"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _grow(org, rows: int) -> None:
    for index in range(rows):
        customer = make_customer(org.rep, name=f"上海华信第{index}分公司")
        make_contact(customer, name=f"张三{index}", email=f"z{index}@huaxin.example.com")


@pytest.mark.parametrize("partial", ["1", ""])
def test_query_count_is_pinned_and_does_not_grow_with_rows(
    org, client, records, partial, django_assert_num_queries
):
    """Session, user, the user's permissions (2), the user's scope of every
    provider's model (one query; a provider without a model loads its own),
    the search's transaction (here a savepoint, its release and its
    work_mem), then one query per provider: nothing is counted."""
    providers = search_providers.for_user(org.rep)  # later apps add theirs
    # The knowledge providers (articles, posts) read no data scope: their
    # audiences are subqueries of their one search query.
    scope_free = {"articles", "posts"}
    without_model = sum(1 for p in providers if p.model is None and p.key not in scope_free)
    queries = 4 + 1 + without_model + 3 + len(providers)
    client.force_login(org.rep)
    client.get(URL, {"q": "warm up", "partial": partial})  # content types cached
    with django_assert_num_queries(queries):
        few = client.get(URL, {"q": "huaxin", "partial": partial})

    _grow(org, 12)
    with django_assert_num_queries(queries):
        many = client.get(URL, {"q": "huaxin", "partial": partial})

    assert len(_results(few)) == 2
    assert len(_results(many)) == (2 * 8 if partial else 2 + 2 * 12)  # 8 per kind


def test_the_full_page_paginates_one_kind(org, client, records, monkeypatch):
    monkeypatch.setattr(crm_search, "PAGE_SIZE", 3)
    _grow(org, 5)  # 6 customers and 6 contacts match huaxin for rep
    client.force_login(org.rep)

    overview = client.get(URL, {"q": "huaxin"})
    first = client.get(URL, {"q": "huaxin", "type": "customers"})
    second = client.get(URL, {"q": "huaxin", "type": "customers", "page": "2"})
    third = client.get(URL, {"q": "huaxin", "type": "customers", "page": "3"})

    assert len(_results(overview)) == 6  # first 3 of each kind
    assert 'href="?q=huaxin&amp;type=customers"' in overview.content.decode()
    assert len(_results(first)) == 3 and len(_results(second)) == 3
    assert set(_results(first)).isdisjoint(_results(second))
    assert 'data-provider="contacts"' not in first.content.decode()
    assert "page=2" in first.content.decode()
    assert "Page 2" in second.content.decode()
    assert "page=3" not in second.content.decode()  # no next page
    assert "page=1" in second.content.decode()  # a previous one
    assert _results(third) == []


@pytest.mark.parametrize("page", ["0", "-1", "x", ""])
def test_a_bad_page_number_shows_the_first_page(org, client, records, page):
    client.force_login(org.rep)

    response = client.get(URL, {"q": "huaxin", "type": "customers", "page": page})

    assert _results(response) == ["上海华信精密机械有限公司"]


def test_an_unknown_kind_is_not_found(org, client):
    client.force_login(org.rep)

    assert client.get(URL, {"q": "华信", "type": "nope"}).status_code == 404


def test_a_provider_needs_its_permission(org, client, records, monkeypatch):
    class Secret(SearchProvider):
        key = "secret"
        title = "Secret"
        permission = "crm.no_such_permission"

        def queryset(self, *, user, query):  # pragma: no cover - must not run
            raise AssertionError("searched without permission")

    monkeypatch.setitem(search_providers._providers, "secret", Secret())
    client.force_login(org.rep)

    response = client.get(URL, {"q": "华信", "partial": "1"})

    assert response.status_code == 200
    assert "Secret" not in response.content.decode()


def test_the_registry_orders_providers_and_refuses_a_provider_without_key():
    registry = SearchRegistry()

    class A(SearchProvider):
        key, order = "a", 20

    class B(SearchProvider):
        key, order = "b", 10

    registry.register(A())
    registry.register(B())

    assert [p.key for p in registry] == ["b", "a"]
    with pytest.raises(ValueError):
        registry.register(SearchProvider())
