"""Merging a duplicate customer into another (CUS-8): service and page."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from guardian.shortcuts import assign_perm

from customers import merge
from customers.forms import NO_SUCH_TARGET
from customers.merge import (
    MERGE_INTO_ITSELF,
    MERGE_NOT_PERMITTED,
    MERGE_OUT_OF_SCOPE,
    MERGE_SOURCE_ARCHIVED,
    MERGE_TARGET_ARCHIVED,
    customer_merge,
    customer_relations,
    merge_related_counts,
)
from customers.models import (
    Contact,
    Customer,
    CustomerGroupObjectPermission,
    CustomerUserObjectPermission,
    FollowUp,
    LifecycleEvent,
)
from customers.services import customer_archive, customer_change_stage
from customers.validators import credit_code_check_character
from tests.factories import make_contact, make_customer, make_follow_up

pytestmark = pytest.mark.django_db


def credit_code(body: str = "91310000MA1FL0000") -> str:
    return body + credit_code_check_character(body)


def related_counts(customer) -> dict[str, int]:
    return {
        "contacts": Contact.objects.filter(customer=customer).count(),
        "follow_ups": FollowUp.objects.filter(customer=customer).count(),
        "events": LifecycleEvent.objects.filter(customer=customer).count(),
        "user_shares": CustomerUserObjectPermission.objects.filter(content_object=customer).count(),
        "group_shares": CustomerGroupObjectPermission.objects.filter(
            content_object=customer
        ).count(),
    }


@pytest.fixture
def pair(org):
    """Two customers of rep: the duplicate (source) with records, and the kept one."""
    source = make_customer(
        org.rep,
        name="杭州启明软件股份有限公司",
        phone="0571-88886666",
        industry="it",
        tags=["重点", "华东"],
        credit_code=credit_code(),
    )
    target = make_customer(org.rep, name="杭州启明软件有限公司", region="杭州", tags=["华东"])
    boss = make_contact(source, name="王总", mobile="13800138000")
    make_contact(source, name="李工", reports_to=boss)
    make_contact(target, name="张三")
    make_follow_up(source, by=org.rep, contacts=[boss])
    make_follow_up(source, by=org.manager)
    customer_change_stage(customer=source, stage="potential", by=org.rep)
    group = Group.objects.create(name="东区协作组")
    assign_perm("view_customer", org.rep_b, source)
    assign_perm("view_customer", org.rep_b, target)  # the target has this share already
    assign_perm("view_customer", org.rep_team2, source)
    assign_perm("view_customer", group, source)
    return source, target


# --- The service -----------------------------------------------------------------


def test_every_related_record_moves_and_nothing_is_lost(org, pair):
    source, target = pair
    before_source, before_target = related_counts(source), related_counts(target)
    assert before_source == {
        "contacts": 2,
        "follow_ups": 2,
        "events": 2,
        "user_shares": 2,
        "group_shares": 1,
    }

    customer_merge(source=source, target=target, by=org.rep)

    assert related_counts(source) == {
        "contacts": 0,
        "follow_ups": 0,
        "events": 0,
        "user_shares": 0,
        "group_shares": 0,
    }
    after = related_counts(target)
    for key, count in before_source.items():
        expected = before_target[key] + count
        if key == "user_shares":
            expected -= 1  # rep_b's share of the target was there already
        assert after[key] == expected, key
    assert set(
        CustomerUserObjectPermission.objects.filter(content_object=target).values_list(
            "user__username", flat=True
        )
    ) == {"rep_b", "rep_team2"}


def test_the_source_is_archived_with_its_history_and_the_target_records_it(org, pair):
    source, target = pair
    history_before = source.history.count()

    customer_merge(source=source, target=target, by=org.rep)

    source.refresh_from_db()
    assert source.is_archived is True
    assert source.archived_at is not None
    assert source.history.count() == history_before + 1
    latest = source.history.first()
    assert (latest.history_change_reason, latest.history_user) == (
        f"merged into #{target.pk}",
        org.rep,
    )
    target_latest = target.history.first()
    assert (target_latest.history_change_reason, target_latest.history_user) == (
        f"merged from #{source.pk}",
        org.rep,
    )


def test_moved_contacts_follow_the_target_and_record_the_move(org, pair):
    source, _target = pair
    target = make_customer(org.rep_b, name="启明软件（杭州）有限公司")  # another rep's
    contact_ids = list(Contact.objects.filter(customer=source).values_list("pk", flat=True))

    customer_merge(source=source, target=target, by=org.manager)

    for contact in Contact.objects.filter(pk__in=contact_ids):
        assert (contact.customer_id, contact.owner_id, contact.department_id) == (
            target.pk,
            org.rep_b.pk,
            target.department_id,
        )
        latest = contact.history.first()
        assert (latest.history_change_reason, latest.history_user, latest.customer_id) == (
            f"merged from #{source.pk}",
            org.manager,
            target.pk,
        )
    # Reporting lines and follow-up attendance stay as they were.
    boss = Contact.objects.get(name="王总")
    assert Contact.objects.get(name="李工").reports_to == boss
    assert list(boss.follow_ups.values_list("customer_id", flat=True)) == [target.pk]
    # A follow-up keeps who logged it.
    assert set(
        FollowUp.objects.filter(customer=target).values_list("owner__username", flat=True)
    ) == {"rep", "manager"}


def test_empty_fields_of_the_target_are_filled_and_its_name_stays(org, pair):
    source, target = pair

    merged = customer_merge(source=source, target=target, by=org.rep)

    merged.refresh_from_db()
    source.refresh_from_db()
    assert merged.name == "杭州启明软件有限公司"
    assert merged.region == "杭州"  # the target's own value
    assert (merged.phone, merged.normalized_phone, merged.industry) == (
        "0571-88886666",
        "057188886666",
        "it",
    )
    assert merged.tags == ["华东", "重点"]
    assert merged.credit_code == credit_code()
    assert source.credit_code == ""  # unique: it moved


def test_merging_into_itself_is_refused(org, pair):
    source, _target = pair

    with pytest.raises(ValidationError) as error:
        customer_merge(source=source, target=source, by=org.rep)

    assert error.value.messages == [str(MERGE_INTO_ITSELF)]


def test_merging_with_a_customer_outside_the_scope_is_refused_and_changes_nothing(org, pair):
    source, target = pair
    foreign = make_customer(org.rep2, name="杭州启明软件（中国）有限公司")
    before = (related_counts(source), related_counts(foreign))

    for args in ({"source": source, "target": foreign}, {"source": foreign, "target": source}):
        with pytest.raises(ValidationError) as error:
            customer_merge(**args, by=org.rep)
        assert error.value.messages == [str(MERGE_OUT_OF_SCOPE)]

    assert (related_counts(source), related_counts(foreign)) == before
    assert not Customer.objects.filter(is_archived=True).exists()


def test_a_user_without_the_change_permission_may_not_merge(org, pair):
    source, target = pair  # the secretary sees the branch, may only view

    with pytest.raises(ValidationError) as error:
        customer_merge(source=source, target=target, by=org.secretary)

    assert error.value.messages == [str(MERGE_NOT_PERMITTED)]
    assert related_counts(source)["contacts"] == 2
    assert not Customer.objects.filter(is_archived=True).exists()


def test_a_manager_merges_two_customers_of_the_team(org):
    source = make_customer(org.rep, name="甲公司")
    target = make_customer(org.rep_b, name="甲有限公司")

    customer_merge(source=source, target=target, by=org.manager)

    source.refresh_from_db()
    assert source.is_archived is True


def test_an_archived_target_or_source_is_refused(org, pair):
    source, target = pair
    customer_archive(customer=target, by=org.rep)

    with pytest.raises(ValidationError) as error:
        customer_merge(source=source, target=target, by=org.rep)
    assert error.value.messages == [str(MERGE_TARGET_ARCHIVED)]

    with pytest.raises(ValidationError) as error:
        customer_merge(source=target, target=source, by=org.rep)
    assert error.value.messages == [str(MERGE_SOURCE_ARCHIVED)]
    assert related_counts(source)["contacts"] == 2


def test_a_failure_midway_rolls_everything_back(org, pair, monkeypatch):
    source, target = pair
    before = (related_counts(source), related_counts(target))
    history = (source.history.count(), target.history.count())

    def fail(**kwargs):
        raise RuntimeError("search index down")

    monkeypatch.setattr(merge, "refresh_customer_search", fail)
    with pytest.raises(RuntimeError):
        customer_merge(source=source, target=target, by=org.rep)

    assert (related_counts(source), related_counts(target)) == before
    assert (source.history.count(), target.history.count()) == history
    source.refresh_from_db()
    assert (source.is_archived, source.credit_code) == (False, credit_code())


def test_relations_are_found_by_introspection():
    found = {(relation.model, relation.field_name) for relation in customer_relations()}

    assert {
        (Contact, "customer"),
        (FollowUp, "customer"),
        (LifecycleEvent, "customer"),
        (CustomerUserObjectPermission, "content_object"),
        (CustomerGroupObjectPermission, "content_object"),
    } <= found
    assert not any(model.__name__.startswith("Historical") for model, _field in found)


def test_related_counts_take_one_query_however_many_relations(
    org, pair, django_assert_num_queries
):
    source, _target = pair
    assert len(customer_relations()) > 5  # every app relating records to customers

    with django_assert_num_queries(1):
        counts = dict(merge_related_counts(customer=source))

    assert (counts["contacts"], counts["follow-up records"], counts["lifecycle events"]) == (
        2,
        2,
        2,
    )


# --- The page --------------------------------------------------------------------


def merge_url(customer) -> str:
    return reverse("customers:customer_merge", kwargs={"pk": customer.pk})


def test_the_page_lists_the_likely_duplicates_in_scope(org, pair, client):
    source, target = pair
    make_customer(org.rep2, name="杭州启明软件集团有限公司")  # another team's
    client.force_login(org.rep)

    response = client.get(merge_url(source))

    page = response.content.decode()
    assert response.status_code == 200
    assert f'name="target" value="{target.pk}"' in page
    assert page.count('type="radio"') == 1


def test_the_review_shows_what_moves(org, pair, client):
    source, target = pair
    client.force_login(org.rep)

    response = client.get(merge_url(source), {"target": target.pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-panel="merge-confirm"' in page
    assert "Follow-up records" in page
    assert related_counts(source)["contacts"] == 2  # a review changes nothing


def test_the_review_query_count_does_not_grow_with_records(
    org, pair, client, django_assert_max_num_queries, django_assert_num_queries
):
    source, target = pair
    client.force_login(org.rep)
    client.get(merge_url(source), {"target": target.pk})  # first request of the session
    with django_assert_max_num_queries(20) as captured:
        client.get(merge_url(source), {"target": target.pk})
    for _ in range(5):
        make_contact(source)
        make_follow_up(source, by=org.rep)
        make_customer(org.rep, name="杭州启明软件集团有限公司")
    with django_assert_num_queries(len(captured)):
        response = client.get(merge_url(source), {"target": target.pk})
    assert response.status_code == 200


def test_confirming_merges_and_redirects_to_the_target(org, pair, client):
    source, target = pair
    client.force_login(org.rep)

    response = client.post(merge_url(source), {"target": target.pk})

    assert response.status_code == 302
    assert response["Location"] == target.get_absolute_url()
    source.refresh_from_db()
    assert source.is_archived is True
    assert Contact.objects.filter(customer=target).count() == 3


def test_a_target_outside_the_scope_is_refused_on_the_page(org, pair, client):
    source, _target = pair
    foreign = make_customer(org.rep2)
    client.force_login(org.rep)

    response = client.post(merge_url(source), {"target": foreign.pk})

    assert response.status_code == 200
    assert str(NO_SUCH_TARGET) in response.content.decode()
    assert not Customer.objects.filter(is_archived=True).exists()
    assert Contact.objects.filter(customer=source).count() == 2


def test_the_services_refusal_is_shown_on_the_page(org, pair, client):
    source, target = pair
    customer_archive(customer=target, by=org.rep)
    client.force_login(org.rep)

    response = client.post(merge_url(source), {"target": target.pk})

    assert response.status_code == 200
    assert str(MERGE_TARGET_ARCHIVED) in response.content.decode()
    source.refresh_from_db()
    assert source.is_archived is False


def test_a_source_outside_the_scope_is_404(org, pair, client):
    source, target = pair
    client.force_login(org.rep2)

    assert client.get(merge_url(source)).status_code == 404
    assert client.post(merge_url(source), {"target": target.pk}).status_code == 404
    source.refresh_from_db()
    assert source.is_archived is False


def test_a_user_who_may_only_view_gets_403(org, pair, client):
    source, target = pair
    client.force_login(org.secretary)

    assert client.get(merge_url(source)).status_code == 403
    assert client.post(merge_url(source), {"target": target.pk}).status_code == 403
    source.refresh_from_db()
    assert source.is_archived is False
