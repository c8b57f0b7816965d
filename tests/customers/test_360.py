"""The customer's 360° page (CUS-2): one page, scoped, fixed query count."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.panels import Panel
from customers.models import Customer
from customers.panels import customer_panels
from customers.views_360 import decision_tree_dot
from tests.factories import make_contact, make_customer, make_follow_up

pytestmark = pytest.mark.django_db


def detail_url(customer):
    return reverse("customers:customer:detail", kwargs={"pk": customer.pk})


def test_page_shows_every_section(org, client):
    customer = make_customer(org.rep, name="杭州启明软件有限公司", region="杭州", industry="it")
    boss = make_contact(customer, name="王总", decision_role="decider", attitude="champion")
    make_contact(customer, name="李工", title="IT经理", reports_to=boss)
    make_follow_up(customer, by=org.rep, subject="首次拜访", contacts=[boss])
    client.force_login(org.rep)

    page = client.get(detail_url(customer)).content.decode()

    for panel in ("info", "contacts", "decision-tree", "follow-ups", "lifecycle", "history"):
        assert f'data-panel="{panel}"' in page
    assert "杭州启明软件有限公司" in page and "Information technology" in page
    assert "王总" in page and "李工" in page and "首次拜访" in page
    assert "<vf-network" in page and "decision_tree.js" in page
    assert 'data-stage="target" data-state="current"' in page


def test_page_is_404_outside_the_scope(org, client):
    customer = make_customer(org.rep2)
    client.force_login(org.rep)
    assert client.get(detail_url(customer)).status_code == 404


def test_query_count_does_not_grow_with_contacts_and_follow_ups(
    org, client, django_assert_max_num_queries, django_assert_num_queries
):
    customer = make_customer(org.rep)
    boss = make_contact(customer, decision_role="decider")
    make_follow_up(customer, by=org.rep, contacts=[boss], next_step="报价", next_step_date=None)
    client.force_login(org.rep)
    client.get(detail_url(customer))  # first request of the session
    with django_assert_max_num_queries(17) as captured:
        client.get(detail_url(customer))

    for n in range(10):
        contact = make_contact(customer, reports_to=boss, attitude="supporter")
        make_follow_up(customer, by=org.rep, contacts=[boss, contact], next_step=f"步骤{n}")
    for _ in range(15):
        make_follow_up(customer, by=org.rep)

    with django_assert_num_queries(len(captured)):
        response = client.get(detail_url(customer))
    assert response.status_code == 200
    assert len(response.context["follow_ups"]) == 20
    assert response.context["more_follow_ups"] is True
    assert len(response.context["contacts"]) == 11


def test_only_the_latest_twenty_follow_ups_with_a_link_to_all(org, client):
    customer = make_customer(org.rep)
    start = timezone.now() - timedelta(days=30)
    for n in range(22):
        make_follow_up(
            customer, by=org.rep, subject=f"记录{n:02d}", occurred_at=start + timedelta(days=n)
        )
    client.force_login(org.rep)

    page = client.get(detail_url(customer)).content.decode()
    assert "记录21" in page and "记录02" in page
    assert "记录01" not in page and "记录00" not in page
    all_url = reverse("customers:customer_follow_ups", kwargs={"pk": customer.pk})
    assert all_url in page
    assert "记录00" in client.get(all_url).content.decode()


def test_all_follow_ups_page_is_404_outside_the_scope(org, client):
    customer = make_customer(org.rep2)
    client.force_login(org.rep)
    url = reverse("customers:customer_follow_ups", kwargs={"pk": customer.pk})
    assert client.get(url).status_code == 404


def test_panels_of_later_apps_render_with_the_customer(org, client, settings, tmp_path):
    (tmp_path / "test_panel.html").write_text(
        '<section data-panel="{{ panel.key }}">{% for row in panel.rows %}{{ row }}{% endfor %}'
        "{{ customer.name }}</section>"
    )
    template_settings = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**template_settings, "DIRS": [*template_settings["DIRS"], tmp_path]}]
    customer = make_customer(org.rep, name="面板客户有限公司")
    seen = []

    def context(request, customer):
        seen.append((request.user, customer.pk))
        return {"title": "Opportunities", "rows": ["示例商机"]}

    customer_panels.register(
        Panel(key="test_panel", template_name="test_panel.html", context=context)
    )
    try:
        client.force_login(org.rep)
        response = client.get(detail_url(customer))
    finally:
        customer_panels._panels.pop("test_panel")

    assert seen == [(org.rep, customer.pk)]
    page = response.content.decode()
    assert 'id="panel-test_panel"' in page and "示例商机面板客户有限公司" in page


def test_action_links_follow_permissions_and_state(org, client):
    customer = make_customer(org.rep)
    client.force_login(org.secretary)  # sees the branch, may only view

    page = client.get(detail_url(customer)).content.decode()

    assert reverse("customers:customer:change", kwargs={"pk": customer.pk}) not in page
    assert reverse("customers:customer_archive", kwargs={"pk": customer.pk}) not in page
    assert reverse("customers:contact_add", kwargs={"pk": customer.pk}) not in page
    assert 'data-testid="follow-up-form"' not in page
    assert 'data-testid="stage-form"' not in page

    client.force_login(org.rep)
    page = client.get(detail_url(customer)).content.decode()
    assert reverse("customers:customer:change", kwargs={"pk": customer.pk}) in page
    assert reverse("customers:customer_archive", kwargs={"pk": customer.pk}) in page
    assert reverse("customers:contact_add", kwargs={"pk": customer.pk}) in page


def test_archive_and_restore_from_the_page(org, client):
    customer = make_customer(org.rep)
    client.force_login(org.rep)

    response = client.post(
        reverse("customers:customer_archive", kwargs={"pk": customer.pk}), {"reason": "重复"}
    )
    customer.refresh_from_db()
    assert response.status_code == 302 and customer.is_archived is True
    assert customer.history.first().history_change_reason == "重复"

    client.post(reverse("customers:customer_restore", kwargs={"pk": customer.pk}))
    customer.refresh_from_db()
    assert customer.is_archived is False


def test_archive_is_denied_without_the_permission_and_outside_the_scope(org, client):
    customer = make_customer(org.rep)
    hidden = make_customer(org.rep2)

    client.force_login(org.secretary)
    response = client.post(reverse("customers:customer_archive", kwargs={"pk": customer.pk}))
    assert response.status_code == 403

    client.force_login(org.rep)
    response = client.post(reverse("customers:customer_archive", kwargs={"pk": hidden.pk}))
    assert response.status_code == 404
    assert not Customer.objects.filter(is_archived=True).exists()


def test_decision_tree_dot_escapes_labels_and_links_superiors(org):
    customer = make_customer(org.rep)
    boss = make_contact(
        customer, name='王"总\\', decision_role="decider", attitude="champion", influence=5
    )
    staff = make_contact(
        customer, name="李工", title="IT经理\n二部", reports_to=boss, attitude="opponent"
    )
    gone = make_contact(customer, name="离职者", reports_to=boss, is_active=False)

    dot = decision_tree_dot([boss, staff, gone])

    assert (
        f'"c{boss.pk}" [label="王\\"总\\\\\\nDecider · 5/5", color="#2e7d32", fontcolor="#ffffff"];'
        in dot
    )
    assert (
        f'"c{staff.pk}" [label="李工\\nIT经理\\n二部", color="#ef9a9a", fontcolor="#212121"];'
        in dot
    )
    assert f'"c{boss.pk}" -> "c{staff.pk}";' in dot
    assert f"c{gone.pk}" not in dot
    assert dot.startswith("digraph {") and dot.endswith("}")


def test_an_archived_customer_takes_no_contacts_follow_ups_or_stage_changes(org, client):
    from customers.models import Contact, FollowUp
    from customers.services import customer_archive

    customer = customer_archive(customer=make_customer(org.rep), by=org.rep)
    client.force_login(org.rep)

    responses = [
        client.post(
            reverse("customers:contact_add", kwargs={"pk": customer.pk}),
            {"name": "王总", "is_active": "on"},
        ),
        client.post(
            reverse("customers:follow_up_add", kwargs={"pk": customer.pk}),
            {"fu-kind": "call", "fu-occurred_at": "2026-01-05T10:00", "fu-subject": "电话"},
        ),
        client.post(
            reverse("customers:customer_change_stage", kwargs={"pk": customer.pk}),
            {"stage": "lost", "cause": "倒闭"},
        ),
    ]

    assert [r.status_code for r in responses] == [302, 302, 302]
    assert not Contact.objects.exists() and not FollowUp.objects.exists()
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "target"
    page = client.get(detail_url(customer)).content.decode()
    assert 'data-testid="archived"' in page
    assert reverse("customers:customer_restore", kwargs={"pk": customer.pk}) in page
