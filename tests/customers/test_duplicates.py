"""Duplicate control (CUS-8): find_duplicates and the check before saving."""

import pytest
from django.urls import reverse

from customers.duplicates import (
    CREDIT_CODE,
    EMAIL,
    NAME,
    PHONE,
    SIMILAR_NAME,
    find_duplicates,
)
from customers.models import Customer
from customers.services import customer_archive
from customers.validators import credit_code_check_character
from customers.views_forms import CREDIT_CODE_TAKEN
from tests.factories import make_contact, make_customer

pytestmark = pytest.mark.django_db
REQUIRED = {"type": "end_customer", "credit_status": "normal"}


def credit_code(body: str = "91310000MA1FL0000") -> str:
    return body + credit_code_check_character(body)


# --- find_duplicates -------------------------------------------------------------


def test_nothing_found_for_a_new_company(org):
    make_customer(org.rep, name="杭州启明软件有限公司")

    assert find_duplicates(user=org.rep, name="深圳远大物流有限公司") == []


def test_same_credit_code_is_found_and_blocks_saving(org):
    existing = make_customer(org.rep, name="杭州启明软件有限公司", credit_code=credit_code())

    (match,) = find_duplicates(user=org.rep, name="别的名字", credit_code=credit_code().lower())

    assert (match.customer_id, match.reasons, match.blocks_saving) == (
        existing.pk,
        (CREDIT_CODE,),
        True,
    )


def test_another_spelling_of_the_name_is_an_exact_match(org):
    existing = make_customer(org.rep, name="杭州启明软件有限公司", region="杭州")

    (match,) = find_duplicates(user=org.rep, name="杭州 启明软件 股份有限公司")

    assert match.customer_id == existing.pk
    assert match.reasons == (NAME,)
    assert match.score == 100
    assert (match.name, match.region, match.owner_name) == ("杭州启明软件有限公司", "杭州", "rep")
    assert match.url == reverse("customers:customer:detail", kwargs={"pk": existing.pk})
    assert match.blocks_saving is False
    assert match.reason_labels == ["same name"]


def test_a_similar_name_is_found_with_its_score(org):
    existing = make_customer(org.rep, name="杭州启明软件有限公司")

    (match,) = find_duplicates(user=org.rep, name="杭州启明软件技术有限公司")

    assert match.customer_id == existing.pk
    assert match.reasons == (SIMILAR_NAME,)
    assert 85 <= match.score < 100
    assert match.reason_labels == [f"similar name ({match.score}%)"]


def test_a_different_name_with_the_same_key_is_not_similar(org):
    make_customer(org.rep, name="杭州启明软件有限公司")

    assert find_duplicates(user=org.rep, name="北京启航国际物流有限公司") == []


def test_a_branch_is_not_an_exact_match_of_its_parent(org):
    make_customer(org.rep, name="启明软件有限公司")

    matches = find_duplicates(user=org.rep, name="启明软件有限公司上海分公司")

    assert all(NAME not in match.reasons for match in matches)


def test_the_customers_phone_in_another_format_is_found(org):
    existing = make_customer(org.rep, name="甲公司", phone="021-61234567")

    (match,) = find_duplicates(user=org.rep, name="乙公司", phone="+86 21 6123 4567")

    assert (match.customer_id, match.reasons) == (existing.pk, (PHONE,))


def test_a_contacts_mobile_and_email_are_found(org):
    existing = make_customer(org.rep, name="甲公司")
    make_contact(existing, mobile="13800138000", email="Zhang.San@example.com")

    (match,) = find_duplicates(
        user=org.rep, name="乙公司", phone="+86 138 0013 8000", email="zhang.san@example.com"
    )

    assert (match.customer_id, match.reasons) == (existing.pk, (PHONE, EMAIL))


def test_reasons_are_combined_and_the_strongest_comes_first(org):
    by_phone = make_customer(org.rep, name="甲公司", phone="13800138000")
    by_name = make_customer(org.rep, name="杭州启明软件有限公司")
    by_code = make_customer(org.rep, name="乙公司", credit_code=credit_code())

    matches = find_duplicates(
        user=org.rep,
        name="杭州启明软件有限公司",
        credit_code=credit_code(),
        phone="13800138000",
    )

    assert [m.customer_id for m in matches] == [by_code.pk, by_name.pk, by_phone.pk]


def test_the_customer_being_edited_is_left_out(org):
    existing = make_customer(org.rep, name="杭州启明软件有限公司", credit_code=credit_code())

    assert (
        find_duplicates(
            user=org.rep,
            name=existing.name,
            credit_code=existing.credit_code,
            exclude_pk=existing.pk,
        )
        == []
    )


def test_archived_customers_only_count_for_the_credit_code(org):
    by_name = make_customer(org.rep, name="杭州启明软件有限公司")
    by_code = make_customer(org.rep, name="乙公司", credit_code=credit_code())
    for customer in (by_name, by_code):
        customer_archive(customer=customer, by=org.rep)

    (match,) = find_duplicates(user=org.rep, name="杭州启明软件有限公司", credit_code=credit_code())

    assert (match.customer_id, match.reasons, match.is_archived) == (
        by_code.pk,
        (CREDIT_CODE,),
        True,
    )


def test_a_match_outside_the_scope_is_reported_without_details(org):
    make_customer(org.rep2, name="杭州启明软件有限公司", region="杭州")  # South China

    (match,) = find_duplicates(user=org.rep, name="杭州启明软件有限公司")

    assert match.visible is False
    assert match.reasons == (NAME,)
    assert (match.customer_id, match.name, match.region, match.owner_name, match.url) == (
        None,
        "",
        "",
        "",
        "",
    )


def test_the_same_match_is_detailed_for_a_user_who_sees_it(org):
    existing = make_customer(org.rep2, name="杭州启明软件有限公司")

    (match,) = find_duplicates(user=org.executive, name="杭州启明软件有限公司")

    assert (match.visible, match.customer_id, match.name) == (
        True,
        existing.pk,
        "杭州启明软件有限公司",
    )


def test_limit_caps_the_matches(org):
    for index in range(4):
        make_customer(org.rep, name=f"杭州启明软件有限公司{index}号")
    make_customer(org.rep, name="杭州启明软件有限公司")

    matches = find_duplicates(user=org.rep, name="杭州启明软件有限公司", limit=3)

    assert len(matches) == 3
    assert matches[0].reasons == (NAME,)


def test_query_count_does_not_grow_with_candidates(org, django_assert_num_queries):
    make_customer(org.rep, name="杭州启明软件有限公司")
    find_duplicates(user=org.rep, name="杭州启明软件科技有限公司", phone="13800138000")
    with django_assert_num_queries(3) as captured:  # exact (union), similar, details
        find_duplicates(user=org.rep, name="杭州启明软件科技有限公司", phone="13800138000")
    for index in range(20):
        make_customer(org.rep, name=f"杭州启明软件{index}有限公司", phone="13800138000")
    with django_assert_num_queries(len(captured)):
        matches = find_duplicates(
            user=org.rep, name="杭州启明软件科技有限公司", phone="13800138000"
        )
    assert len(matches) == 10


# --- The check before saving -------------------------------------------------


def add_url():
    return reverse("customers:customer:add")


def test_creating_a_likely_duplicate_shows_the_list_and_saves_nothing(org, client):
    existing = make_customer(org.rep, name="杭州启明软件有限公司")
    client.force_login(org.rep)

    response = client.post(add_url(), {**REQUIRED, "name": "杭州启明软件股份有限公司"})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-panel="duplicates"' in page
    assert reverse("customers:customer:detail", kwargs={"pk": existing.pk}) in page
    assert 'name="confirm_duplicates"' in page
    assert list(Customer.objects.values_list("pk", flat=True)) == [existing.pk]


def test_save_anyway_creates_the_customer(org, client):
    make_customer(org.rep, name="杭州启明软件有限公司")
    client.force_login(org.rep)

    response = client.post(
        add_url(),
        {**REQUIRED, "name": "杭州启明软件股份有限公司", "confirm_duplicates": "1"},
    )

    assert response.status_code == 302
    assert Customer.objects.filter(name="杭州启明软件股份有限公司").count() == 1


def test_no_duplicates_saves_at_once(org, client):
    client.force_login(org.rep)

    response = client.post(add_url(), {**REQUIRED, "name": "杭州启明软件有限公司"})

    assert response.status_code == 302
    assert Customer.objects.count() == 1


def test_a_duplicate_of_another_team_is_shown_without_its_name(org, client):
    make_customer(org.rep2, name="杭州启明软件有限公司", region="秘密地区")
    client.force_login(org.rep)

    response = client.post(add_url(), {**REQUIRED, "name": "杭州启明软件有限公司"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "A customer that exists already, owned by another team." in page
    assert 'data-duplicate="hidden"' in page
    assert "秘密地区" not in page
    assert Customer.objects.count() == 1


def test_same_credit_code_is_a_hard_block_even_with_save_anyway(org, client):
    make_customer(org.rep2, name="别的公司", credit_code=credit_code())
    client.force_login(org.rep)

    response = client.post(
        add_url(),
        {
            **REQUIRED,
            "name": "杭州启明软件有限公司",
            "credit_code": credit_code(),
            "confirm_duplicates": "1",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-panel="duplicates"' in page
    assert 'data-action="save-anyway"' not in page
    assert Customer.objects.count() == 1


def test_credit_code_typed_in_lower_case_is_blocked_with_the_message(org, client):
    make_customer(org.rep, name="别的公司", credit_code=credit_code())
    client.force_login(org.rep)

    response = client.post(
        add_url(),
        {**REQUIRED, "name": "杭州启明软件有限公司", "credit_code": credit_code().lower()},
    )

    assert response.status_code == 200
    assert str(CREDIT_CODE_TAKEN) in response.content.decode()
    assert Customer.objects.count() == 1


def test_editing_without_changing_name_code_or_phone_is_not_checked(org, client):
    make_customer(org.rep, name="杭州启明软件有限公司")
    twin = make_customer(org.rep, name="杭州启明软件股份有限公司")
    client.force_login(org.rep)

    response = client.post(
        reverse("customers:customer:change", kwargs={"pk": twin.pk}),
        {**REQUIRED, "name": twin.name, "region": "苏州"},
    )

    assert response.status_code == 302
    twin.refresh_from_db()
    assert twin.region == "苏州"


def test_renaming_into_a_duplicate_asks_first(org, client):
    existing = make_customer(org.rep, name="杭州启明软件有限公司")
    other = make_customer(org.rep, name="北京远大物流有限公司")
    client.force_login(org.rep)
    url = reverse("customers:customer:change", kwargs={"pk": other.pk})

    response = client.post(url, {**REQUIRED, "name": "杭州启明软件股份有限公司"})

    assert response.status_code == 200
    assert reverse("customers:customer:detail", kwargs={"pk": existing.pk}) in (
        response.content.decode()
    )
    other.refresh_from_db()
    assert other.name == "北京远大物流有限公司"

    response = client.post(
        url, {**REQUIRED, "name": "杭州启明软件股份有限公司", "confirm_duplicates": "1"}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.name == "杭州启明软件股份有限公司"


def test_the_edit_page_offers_merge_into(org, client):
    customer = make_customer(org.rep)
    client.force_login(org.rep)

    page = client.get(reverse("customers:customer:change", kwargs={"pk": customer.pk}))

    assert reverse("customers:customer_merge", kwargs={"pk": customer.pk}) in page.content.decode()
