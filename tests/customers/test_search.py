"""CUS-9: search documents, query building and the customer/contact providers."""

from __future__ import annotations

import pytest
from django.db import connection

from crm.search import search_providers
from customers.models import Contact, Customer
from customers.search import (
    contact_document,
    customer_document,
    query_tokens,
    search_tokens,
    tsquery,
)
from customers.search_providers import ContactSearchProvider, CustomerSearchProvider
from customers.services import contact_update, customer_update
from customers.validators import credit_code_check_character
from tests.factories import make_contact, make_customer

CREDIT_CODE = "91310000MA1FL8XX3" + credit_code_check_character("91310000MA1FL8XX3")


def _names(queryset) -> list[str]:
    return [obj.name for obj in queryset] if queryset is not None else []


def customers_found(user, query: str) -> list[str]:
    return _names(CustomerSearchProvider().queryset(user=user, query=query))


def contacts_found(user, query: str) -> list[str]:
    return _names(ContactSearchProvider().queryset(user=user, query=query))


# --- Documents and queries (no database) -----------------------------------


def test_a_company_name_is_segmented_with_its_pinyin_and_initials():
    tokens = search_tokens("上海华信精密机械有限公司")

    assert {"上海华信精密机械有限公司", "上海", "华信", "精密", "机械", "有限公司"} <= set(tokens)
    # From each word on, so a query starting mid-name is still a prefix.
    assert {"华信精密机械有限公司", "精密机械有限公司"} <= set(tokens)
    assert {"shanghaihuaxinjingmijixieyouxiangongsi", "shhxjmjxyxgs"} <= set(tokens)
    assert {"huaxinjingmijixieyouxiangongsi", "hxjmjxyxgs"} <= set(tokens)


def test_a_person_name_is_cut_per_character():
    tokens = search_tokens("王小明")

    assert {"王小明", "小明", "wangxiaoming", "wxm", "xiaoming", "xm"} <= set(tokens)


def test_documents_hold_codes_phones_and_emails():
    customer = customer_document("华信", "", CREDIT_CODE, "021-6288 1234")
    contact = contact_document(
        "张三", "(021) 6288-1234", "+86 138 1234 5678", "Zhang.San@Example.com"
    )

    assert CREDIT_CODE.lower() in customer.split()
    assert "02162881234" in customer.split()
    assert {"zhangsan", "zs", "02162881234", "13812345678"} <= set(contact.split())
    assert {"zhang.san@example.com", "zhang", "san", "example", "com"} <= set(contact.split())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("   ", ""),
        ("a", ""),
        ("张", ""),
        ("!!", ""),
        ("zs", "'zs'"),  # two letters: whole initials, not a prefix
        ("zhangsan", "'zhangsan':*"),
        ("zhang san", "(('zhang':* & 'san':*) | 'zhangsan':*)"),
        ("上海华信", "('上海华信':* | ('上海':* & '华信':*))"),
        ("张三", "'张三':*"),
        ("138 1234", "'1381234':*"),
        ("021-62881234", "'02162881234':*"),
        ("0086 138 1234 5678", "('008613812345678':* | '13812345678':*)"),
        ("123", "'123'"),
    ],
)
def test_queries_become_safe_prefix_tsqueries(query, expected):
    assert tsquery(query) == expected


@pytest.mark.parametrize(
    "query",
    ["a' | b:*", "x & !y", "(foo) <-> bar", "\\'; DROP TABLE x; --", "a:*:*:*", "上海'&|!"],
)
@pytest.mark.django_db
def test_tsquery_syntax_in_the_input_is_never_passed_through(query):
    text = tsquery(query)

    assert all(ch not in text.replace(":*", "").replace("'", "") for ch in "!<>\\;-")
    with connection.cursor() as cursor:  # and PostgreSQL accepts it
        cursor.execute("SELECT to_tsquery('simple', %s)", [text])


def test_query_tokens_drop_one_character_noise():
    assert query_tokens("上海 a 华信") == ["上海", "华信"]
    assert query_tokens("021 6288 1234") == ["02162881234"]


# --- Providers -------------------------------------------------------------------


@pytest.fixture
def huaxin(org):
    return make_customer(
        org.rep,
        name="上海华信精密机械有限公司",
        short_name="华信精密",
        credit_code=CREDIT_CODE,
        phone="021-62881234",
    )


@pytest.fixture
def zhangsan(huaxin):
    return make_contact(
        huaxin,
        name="张三",
        phone="021-62885678",
        mobile="13812345678",
        email="zhang.san@huaxin.example.com",
    )


@pytest.fixture
def others(org):
    """Names that share words or sounds with the ones searched for."""
    shanghai = make_customer(org.rep, name="上海恒通物流有限公司")
    make_customer(org.rep, name="北京华阳软件有限公司")
    make_contact(shanghai, name="张伟", mobile="13912345678")
    make_contact(shanghai, name="李四", email="lisi@hengtong.example.com")
    return shanghai


@pytest.mark.parametrize(
    "query",
    [
        "上海华信",
        "华信",
        "华信精密",
        "上海机械",
        "上海华信精密机械有限公司",
        "shhx",
        "hxjm",
        "huaxin",
        "shanghaihuaxin",
        "华信精密",
    ],
)
def test_a_company_is_found_by_words_pinyin_and_initials(org, huaxin, others, query):
    assert customers_found(org.rep, query) == ["上海华信精密机械有限公司"]


def test_a_common_word_finds_every_company_with_it_exact_name_then_closest_first(
    org, huaxin, others
):
    make_customer(org.rep, name="上海")
    make_customer(org.rep, name="华东上海有限公司")

    assert customers_found(org.rep, "上海") == [
        "上海",  # the exact name
        "上海恒通物流有限公司",  # names starting with it, shorter first
        "上海华信精密机械有限公司",
        "华东上海有限公司",  # then the others
    ]


@pytest.mark.parametrize("query", [CREDIT_CODE, CREDIT_CODE.lower(), CREDIT_CODE[:8]])
def test_a_company_is_found_by_its_credit_code(org, huaxin, others, query):
    assert customers_found(org.rep, query) == ["上海华信精密机械有限公司"]


@pytest.mark.parametrize("query", ["021-62881234", "02162881234", "(021) 6288 1234", "6288123"])
def test_a_company_is_found_by_its_phone(org, huaxin, others, query):
    assert customers_found(org.rep, query) == ["上海华信精密机械有限公司"]


@pytest.mark.parametrize("query", ["张三", "zs", "zhangsan", "zhang san", "zhangs"])
def test_a_contact_is_found_by_name_pinyin_and_initials(org, zhangsan, others, query):
    assert contacts_found(org.rep, query) == ["张三"]


def test_two_letter_initials_match_whole_initials_only(org, zhangsan, others):
    make_contact(others, name="赵四")  # zs as well
    make_contact(others, name="张三丰")  # zsf: starts with zs, but is not zs

    assert contacts_found(org.rep, "zs") == ["张三", "赵四"]
    assert contacts_found(org.rep, "zsf") == ["张三丰"]


@pytest.mark.parametrize(
    "query",
    [
        "13812345678",
        "138 1234 5678",
        "+86 138-1234-5678",
        "1381234",
        "13812",
        "02162885678",
        "62885678",
        "zhang.san@huaxin.example.com",
        "zhang.san@hua",
        "zhang.san",
    ],
)
def test_a_contact_is_found_by_phone_mobile_and_email(org, zhangsan, others, query):
    assert contacts_found(org.rep, query) == ["张三"]


def test_a_given_name_finds_the_person(org, huaxin):
    make_contact(huaxin, name="王小明")

    assert contacts_found(org.rep, "小明") == ["王小明"]
    assert contacts_found(org.rep, "xiaoming") == ["王小明"]


def test_noise_finds_nothing_without_a_query(org, huaxin, django_assert_num_queries):
    with django_assert_num_queries(0):
        for query in ("", " ", "a", "张", "-", "!!", "a b c"):
            assert CustomerSearchProvider().queryset(user=org.rep, query=query) is None
            assert ContactSearchProvider().queryset(user=org.rep, query=query) is None


def test_search_obeys_the_data_scope(org, zhangsan, others):
    # rep2 works in another branch; rep_b is rep's colleague (own scope).
    for user in (org.rep2, org.rep_b):
        assert customers_found(user, "上海华信") == []
        assert contacts_found(user, "张三") == []
        assert contacts_found(user, "13812345678") == []
        assert customers_found(user, CREDIT_CODE) == []
    # Those above rep in the department and branch do see them.
    for user in (org.manager, org.branch_mgr):
        assert customers_found(user, "上海华信") == ["上海华信精密机械有限公司"]
        assert contacts_found(user, "zs") == ["张三"]


def test_documents_follow_changes_made_through_the_services(org, zhangsan, huaxin):
    customer_update(customer=huaxin, by=org.rep, name="苏州远大新材料有限公司")
    contact_update(contact=zhangsan, by=org.rep, name="李雷", mobile="13700001111")

    assert customers_found(org.rep, "上海华信") == []
    assert customers_found(org.rep, "远大") == ["苏州远大新材料有限公司"]
    assert contacts_found(org.rep, "zs") == []
    assert contacts_found(org.rep, "lilei") == ["李雷"]
    assert contacts_found(org.rep, "13700001111") == ["李雷"]
    assert Customer.objects.filter(search_vector__isnull=True).count() == 0
    assert Contact.objects.filter(search_vector__isnull=True).count() == 0


def test_customers_registers_its_providers():
    assert [p.key for p in search_providers if p.key in ("customers", "contacts")] == [
        "customers",
        "contacts",
    ]


# --- The scope inside the text search ---------------------------------------


@pytest.fixture
def spread(org):
    """华信 customers and contacts owned across the organisation."""
    owners = ("rep", "rep_b", "sub_rep", "rep_team2", "rep2", "manager", "branch_mgr")
    return {
        name: make_contact(
            make_customer(getattr(org, name), name=f"{name}华信有限公司", phone="021-62881234"),
            name="张三",
            mobile="13812345678",
        )
        for name in owners
    }


def _plain(model, user, text, also=None):
    from django.contrib.postgres.search import SearchQuery
    from django.db.models import Q

    condition = Q(search_vector=SearchQuery(text, search_type="raw", config="simple"))
    return set(
        model.objects.visible_to(user)
        .filter(condition if also is None else condition | also)
        .values_list("pk", flat=True)
    )


def _scoped(model, user, text, also=None):
    return set(
        model.objects.search_visible_to(user, text=text, also=also).values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    "username", ["rep", "manager", "branch_mgr", "executive", "rep2", "outsider", "moved"]
)
def test_the_scoped_search_finds_exactly_the_visible_matches(
    org, spread, username, django_user_model
):
    """Shares, records owned outside the scope and the phone arm included."""
    from django.db.models import Q

    from crm.scope import forget_scope
    from crm.services import object_share

    if username == "outsider":
        user = django_user_model.objects.create_user("outsider", password="x" * 12)
        object_share(obj=spread["rep2"].customer, user=user)
        object_share(obj=spread["rep2"], user=user)
    elif username == "moved":  # the branch manager moves south, keeping East customers
        user = org.branch_mgr
        employee = user.employee
        employee.department = org.south_sales
        employee.save(update_fields=["department"])
    else:
        user = getattr(org, username)
        object_share(obj=spread["rep_team2"].customer, user=user)
    forget_scope(user)
    cases = (
        (Customer, tsquery("华信"), Q(normalized_phone="02162881234")),
        (Contact, tsquery("张三"), Q(normalized_mobile="13812345678")),
    )
    for model, text, phone in cases:
        expected = _plain(model, user, text)
        assert expected  # every user sees some
        assert _scoped(model, user, text) == expected
        assert _scoped(model, user, "'nomatch'", also=phone) == _plain(
            model, user, "'nomatch'", also=phone
        )
        assert _scoped(model, user, text, also=phone) == _plain(model, user, text, also=phone)
        invisible = set(model.objects.values_list("pk", flat=True)) - set(
            model.objects.visible_to(user).values_list("pk", flat=True)
        )
        assert not invisible & _scoped(model, user, text, also=phone)


def test_a_search_lexeme_cannot_widen_the_scope(org, spread):
    """A scope lexeme typed into the box is not a token; ANDed, it could only narrow."""
    text = tsquery(f"#b{org.south.pk}")
    assert "#" not in text
    assert customers_found(org.rep, f"华信 #b{org.south.pk}") == []


@pytest.mark.parametrize("username", ["rep", "manager", "branch_mgr", "executive"])
def test_the_scoped_search_reads_its_gin_index(org, spread, username):
    """With sequential and plain index scans disabled, PostgreSQL can only
    reach the rows through an index condition: the query's document must be
    written as the index's expression, or the table is read sequentially."""
    from django.test.utils import CaptureQueriesContext

    user = getattr(org, username)
    cases = (
        (CustomerSearchProvider(), "华信", "customer_scoped_search", "customers_customer"),
        (ContactSearchProvider(), "张三", "contact_scoped_search", "customers_contact"),
    )
    for provider, query, index, table in cases:
        list(provider.queryset(user=user, query=query)[:8])  # the scope, cached
        with CaptureQueriesContext(connection) as captured:
            list(provider.queryset(user=user, query=query)[:8])
        (sql,) = [q["sql"] for q in captured.captured_queries]
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_indexscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexscan")
        assert f"Bitmap Index Scan on {index}" in plan, plan
        assert f"Seq Scan on {table} " not in plan, plan


def test_a_common_word_ranks_a_bounded_set_that_keeps_the_names_starting_with_it(org, monkeypatch):
    """Past ``CANDIDATES`` matches the ranking reads any ``CANDIDATES`` of
    them, plus every visible customer whose name starts with the query, so
    the best names are never lost however common the word."""
    from customers import search_providers as providers

    for n in range(12):
        make_customer(org.rep, name=f"宁波第{n:02}号机电设备有限公司")
    make_customer(org.rep, name="机电设备")
    make_customer(org.rep, name="机电设备集团有限公司")
    make_customer(org.rep2, name="机电设备总公司")  # outside the rep's scope
    monkeypatch.setattr(providers, "CANDIDATES", 3)

    found = customers_found(org.rep, "机电设备")

    assert found[:2] == ["机电设备", "机电设备集团有限公司"]
    assert "机电设备总公司" not in found
    assert len(found) <= 2 + 3  # the two named, and at most three of the other matches
