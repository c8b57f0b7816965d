"""The customer list: scope, filters, sort, keyset pages, capped counts."""

import pytest
from django.urls import reverse

from customers import listing
from customers.models import Industry
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [c.name for c in response.context["page"].rows]


@pytest.fixture
def book(org):
    for index in range(7):
        make_customer(org.rep, name=f"客户{index:02d}", industry="it" if index % 2 else "retail")
    make_customer(org.rep_b, name="客户99")
    make_customer(org.rep2, name="客户98")  # South China


def test_a_rep_sees_their_own_customers_sorted_by_name(org, book, client):
    client.force_login(org.rep)
    response = client.get(reverse("customers:customer:index"))
    assert names(response) == [f"客户{i:02d}" for i in range(7)]
    assert response.context["page"].count == 7


def test_filters_combine_with_the_scope(org, book, client):
    client.force_login(org.manager)
    response = client.get(reverse("customers:customer:index"), {"industry": "it"})
    assert names(response) == ["客户01", "客户03", "客户05"]
    response = client.get(reverse("customers:customer:index"), {"owner": org.rep_b.pk})
    assert names(response) == ["客户99"]


def test_keyset_pages_forward_and_back(org, book, client, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 3)
    client.force_login(org.rep)
    url = reverse("customers:customer:index")
    first = client.get(url)
    assert names(first) == ["客户00", "客户01", "客户02"]
    assert first.context["page"].previous_cursor is None
    second = client.get(url, {"after": first.context["page"].next_cursor})
    assert names(second) == ["客户03", "客户04", "客户05"]
    third = client.get(url, {"after": second.context["page"].next_cursor})
    assert names(third) == ["客户06"]
    assert third.context["page"].next_cursor is None
    back = client.get(url, {"before": third.context["page"].previous_cursor})
    assert names(back) == ["客户03", "客户04", "客户05"]
    back_again = client.get(url, {"before": back.context["page"].previous_cursor})
    assert names(back_again) == ["客户00", "客户01", "客户02"]
    assert back_again.context["page"].previous_cursor is None


def test_recently_updated_sort_pages_too(org, book, client, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 4)
    client.force_login(org.rep)
    url = reverse("customers:customer:index")
    first = client.get(url, {"sort": "-updated"})
    assert names(first) == ["客户06", "客户05", "客户04", "客户03"]
    second = client.get(url, {"sort": "-updated", "after": first.context["page"].next_cursor})
    assert names(second) == ["客户02", "客户01", "客户00"]


def test_counts_are_capped(org, book, client, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_CAP", 5)
    client.force_login(org.rep)
    page = client.get(reverse("customers:customer:index")).context["page"]
    assert (page.count, page.count_capped) == (5, True)


def test_a_forged_cursor_is_ignored(org, book, client):
    client.force_login(org.rep)
    response = client.get(reverse("customers:customer:index"), {"after": "!!not-a-cursor"})
    assert response.status_code == 200
    assert names(response)[0] == "客户00"


def test_list_queries_are_pinned(org, book, client, django_assert_max_num_queries):
    client.force_login(org.manager)
    url = reverse("customers:customer:index")
    client.get(url)
    with django_assert_max_num_queries(12) as captured:
        client.get(url)
    for _ in range(5):
        make_customer(org.rep)
    with django_assert_max_num_queries(len(captured)):
        client.get(url)


@pytest.mark.parametrize("username", ["rep", "manager", "branch_mgr"])
def test_the_list_reads_the_scope_once(org, book, client, username):
    """The owners the filter offers and the rows come from one scope query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(getattr(org, username))
    url = reverse("customers:customer:index")
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    scope_queries = [q for q in captured.captured_queries if q["sql"].startswith("SELECT me.rank")]
    assert len(scope_queries) == 1
    assert response.status_code == 200


def test_filter_selects_render_their_choices_and_the_chosen_one(org, book, client):
    client.force_login(org.manager)
    response = client.get(
        reverse("customers:customer:index"), {"owner": org.rep_b.pk, "industry": "it"}
    )
    html = response.content.decode()
    assert f'<option value="{org.rep_b.pk}" selected>' in html
    assert f'<option value="{org.rep.pk}">' in html
    assert f'<option value="{org.rep2.pk}">' not in html  # another branch: not offered
    assert '<option value="it" selected>' in html
    assert '<select name="owner" id="id_owner">' in html
    owner_label = org.rep.get_full_name() or org.rep.get_username()
    assert f'<option value="{org.rep.pk}">{owner_label}</option>' in html
    assert f'<option value="{org.team1.pk}">{org.team1.display_name}</option>' in html
    assert names(response) == []  # rep_b's only customer is retail


def test_rows_show_labels_owner_department_and_link(org, book, client):
    client.force_login(org.rep)
    response = client.get(reverse("customers:customer:index"), {"industry": "it"})
    line = response.context["page"].lines[0]
    assert (line.customer.name, str(line.industry), str(line.type), line.owner) == (
        "客户01",
        str(Industry.IT.label),
        str(line.customer.get_type_display()),
        org.rep.get_full_name() or "rep",
    )
    assert line.department == str(org.team1)
    assert line.url == line.customer.get_absolute_url()
    assert f'href="{line.url}"' in response.content.decode()


def test_rows_and_their_capped_count_are_one_query(org, book, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org.manager)
    url = reverse("customers:customer:index")
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).context["page"]
    customer_queries = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "customers_customer"')
        or q["sql"].startswith("SELECT COUNT(*)")
    ]
    assert len(customer_queries) == 1
    assert (page.count, len(page.rows)) == (8, 8)  # rep's 7 and rep_b's 1


def test_a_cursor_past_the_last_row_still_counts(org, book, client, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 7)
    client.force_login(org.rep)
    url = reverse("customers:customer:index")
    first = client.get(url).context["page"]
    assert first.next_cursor is None
    last = listing.encode_cursor(listing.SORTS["name"], first.rows[-1])
    beyond = client.get(url, {"after": last}).context["page"]
    assert (beyond.rows, beyond.count, beyond.count_capped) == ([], 7, False)
    assert beyond.previous_cursor is None


def test_an_empty_list_counts_zero(org, client):
    client.force_login(org.rep)
    page = client.get(reverse("customers:customer:index")).context["page"]
    assert (page.rows, page.count, page.next_cursor) == ([], 0, None)


def test_a_region_filter_within_a_branch_counts_and_lists_its_rows(org, client):
    for index in range(3):
        make_customer(org.rep, name=f"上海客户{index}", region="上海")
    make_customer(org.rep_team2, name="杭州客户", region="杭州")
    make_customer(org.rep2, name="华南上海客户", region="上海")  # another branch
    client.force_login(org.branch_mgr)
    page = client.get(reverse("customers:customer:index"), {"region": "上海"}).context["page"]
    assert [c.name for c in page.rows] == ["上海客户0", "上海客户1", "上海客户2"]
    assert (page.count, page.count_capped) == (3, False)


def test_filter_inputs_keep_what_was_typed_escaped(org, book, client):
    client.force_login(org.rep)
    html = client.get(
        reverse("customers:customer:index"), {"q": '客"<', "is_archived": "on"}
    ).content.decode()
    assert '<input type="text" name="q" value="客&quot;&lt;" id="id_q" maxlength="100">' in html
    assert '<input type="checkbox" name="is_archived" id="id_is_archived" checked>' in html
