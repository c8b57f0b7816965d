"""Contacts and the decision tree on the customer page (CUS-4, CUS-5)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import views_360, viewsets
from customers.models import Contact, ContactJobChange
from tests.factories import make_contact, make_customer, make_follow_up

pytestmark = pytest.mark.django_db

CONTACT_PAGE_WIRED = viewsets.ContactViewset.detail_view_class is views_360.ContactDetailView
needs_contact_page = pytest.mark.skipif(
    not CONTACT_PAGE_WIRED,
    reason="ContactViewset.detail_view_class is not views_360.ContactDetailView yet",
)


def add_url(customer):
    return reverse("customers:contact_add", kwargs={"pk": customer.pk})


def edit_url(contact):
    return reverse("customers:contact_edit", kwargs={"pk": contact.pk})


def detail_url(customer):
    return reverse("customers:customer:detail", kwargs={"pk": customer.pk})


FULL_CONTACT = {
    "name": "王建国",
    "title": "信息中心主任",
    "department_name": "信息中心",
    "phone": "0571-88886666",
    "mobile": "138 0013 8000",
    "email": "wangjg@example.com",
    "wechat": "wangjg",
    "birthday": "1975-06-01",
    "interests": "围棋",
    "notes": "喜欢喝龙井",
    "decision_role": "decider",
    "influence": "5",
    "attitude": "supporter",
    "is_active": "on",
}


def test_rep_adds_a_contact_with_every_field(org, client):
    customer = make_customer(org.rep)
    client.force_login(org.rep)
    assert client.get(add_url(customer)).status_code == 200

    response = client.post(add_url(customer), FULL_CONTACT)

    assert response.status_code == 302
    assert response["Location"] == detail_url(customer) + "#contacts"
    contact = Contact.objects.get()
    assert (contact.customer, contact.owner, contact.department) == (customer, org.rep, org.team1)
    assert (contact.title, contact.mobile, contact.normalized_mobile) == (
        "信息中心主任",
        "138 0013 8000",
        "13800138000",
    )
    assert (contact.decision_role, contact.influence, contact.attitude) == (
        "decider",
        5,
        "supporter",
    )
    assert contact.birthday == date(1975, 6, 1)
    assert contact.history.get().history_user == org.rep


def test_reports_to_offers_only_contacts_of_the_same_customer(org, client):
    customer = make_customer(org.rep)
    other = make_customer(org.rep)
    boss = make_contact(customer, name="王总")
    stranger = make_contact(other, name="外人")
    client.force_login(org.rep)

    response = client.post(
        add_url(customer), {**FULL_CONTACT, "name": "李工", "reports_to": stranger.pk}
    )

    assert response.status_code == 200
    assert "reports_to" in response.context["form"].errors
    assert not Contact.objects.filter(name="李工").exists()

    response = client.post(
        add_url(customer), {**FULL_CONTACT, "name": "李工", "reports_to": boss.pk}
    )
    assert response.status_code == 302
    assert Contact.objects.get(name="李工").reports_to == boss


def test_adding_a_contact_needs_the_permission(org, client):
    customer = make_customer(org.rep)
    client.force_login(org.secretary)  # sees the branch, may only view

    assert client.get(add_url(customer)).status_code == 403
    assert client.post(add_url(customer), FULL_CONTACT).status_code == 403
    assert not Contact.objects.exists()


def test_adding_a_contact_is_404_outside_the_scope(org, client):
    customer = make_customer(org.rep2)
    client.force_login(org.rep)

    assert client.get(add_url(customer)).status_code == 404
    assert client.post(add_url(customer), FULL_CONTACT).status_code == 404
    assert not Contact.objects.exists()


def test_editing_the_title_records_a_job_change(org, client):
    customer = make_customer(org.rep)
    contact = make_contact(customer, name="王建国", title="IT经理", department_name="信息部")
    client.force_login(org.manager)

    response = client.post(
        edit_url(contact),
        {
            **FULL_CONTACT,
            "title": "CIO",
            "department_name": "信息部",
            "job_changed_on": "2026-03-01",
        },
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.title == "CIO"
    change = ContactJobChange.objects.get()
    assert (change.old_title, change.new_title, change.changed_at, change.recorded_by) == (
        "IT经理",
        "CIO",
        date(2026, 3, 1),
        org.manager,
    )


def test_editing_other_fields_records_no_job_change(org, client):
    customer = make_customer(org.rep)
    contact = make_contact(
        customer, name="王建国", title="信息中心主任", department_name="信息中心"
    )
    client.force_login(org.rep)

    response = client.post(edit_url(contact), {**FULL_CONTACT, "attitude": "champion"})

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.attitude == "champion"
    assert not ContactJobChange.objects.exists()


def test_a_contact_cannot_report_to_themselves(org, client):
    customer = make_customer(org.rep)
    contact = make_contact(customer, name="王建国")
    client.force_login(org.rep)

    response = client.post(edit_url(contact), {**FULL_CONTACT, "reports_to": contact.pk})

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.reports_to is None


def test_editing_needs_the_permission_and_the_scope(org, client):
    contact = make_contact(make_customer(org.rep), name="王建国", title="经理")
    hidden = make_contact(make_customer(org.rep2), name="外人", title="经理")

    client.force_login(org.secretary)
    assert client.get(edit_url(contact)).status_code == 403
    assert client.post(edit_url(contact), {**FULL_CONTACT, "title": "CIO"}).status_code == 403

    client.force_login(org.rep)
    assert client.get(edit_url(hidden)).status_code == 404
    assert client.post(edit_url(hidden), {**FULL_CONTACT, "title": "CIO"}).status_code == 404

    assert set(Contact.objects.values_list("title", flat=True)) == {"经理"}
    assert not ContactJobChange.objects.exists()


def test_coverage_gap_when_there_is_no_decider(org, client):
    customer = make_customer(org.rep)
    make_contact(customer, decision_role="influencer")
    client.force_login(org.rep)

    response = client.get(detail_url(customer))

    assert [gap.kind for gap in response.context["coverage_gaps"]] == ["no_decider"]
    assert 'data-gap="no_decider"' in response.content.decode()


def test_coverage_gap_when_the_decider_was_not_met_for_thirty_days(org, client):
    customer = make_customer(org.rep)
    decider = make_contact(customer, name="王总", decision_role="decider")
    make_follow_up(
        customer, by=org.rep, contacts=[decider], occurred_at=timezone.now() - timedelta(days=31)
    )
    client.force_login(org.rep)

    response = client.get(detail_url(customer))

    gaps = response.context["coverage_gaps"]
    assert [(gap.kind, gap.contact) for gap in gaps] == [("decider_not_met", decider)]
    assert "Decider 王总 not met for 30 days." in response.content.decode()


def test_no_coverage_gap_when_the_decider_was_met_recently(org, client):
    customer = make_customer(org.rep)
    decider = make_contact(customer, decision_role="decider")
    make_follow_up(
        customer, by=org.rep, contacts=[decider], occurred_at=timezone.now() - timedelta(days=3)
    )
    client.force_login(org.rep)

    response = client.get(detail_url(customer))

    assert response.context["coverage_gaps"] == []
    assert 'data-testid="coverage-gaps"' not in response.content.decode()


def test_decision_tree_is_drawn_from_the_contacts(org, client):
    customer = make_customer(org.rep)
    boss = make_contact(customer, name="王总", decision_role="decider", attitude="champion")
    staff = make_contact(customer, name="李工", reports_to=boss)
    client.force_login(org.rep)

    response = client.get(detail_url(customer))

    dot = response.context["decision_tree_dot"]
    assert f'"c{boss.pk}" -> "c{staff.pk}";' in dot
    page = response.content.decode()
    assert f"&quot;c{boss.pk}&quot; -&gt; &quot;c{staff.pk}&quot;;" in page


@needs_contact_page
def test_contact_page_shows_job_changes_follow_ups_and_history(org, client):
    customer = make_customer(org.rep)
    contact = make_contact(customer, name="王建国", title="IT经理")
    client.force_login(org.rep)
    client.post(edit_url(contact), {**FULL_CONTACT, "title": "CIO", "department_name": ""})
    make_follow_up(customer, by=org.rep, subject="技术交流", contacts=[contact])
    make_follow_up(customer, by=org.manager, subject="经理拜访", contacts=[contact])

    response = client.get(contact.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="job-changes"' in page and "IT经理 → CIO" in page
    assert "技术交流" in page
    assert "经理拜访" not in page  # the manager's record is outside the rep's own scope
    assert 'data-panel="history"' in page


def test_contact_page_is_404_outside_the_scope(org, client):
    contact = make_contact(make_customer(org.rep2))
    client.force_login(org.rep)
    assert client.get(contact.get_absolute_url()).status_code == 404
