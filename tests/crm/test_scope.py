"""ORG-3: every scope, plus ownership, memberships and per-object shares."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from crm.models import DataScope, Role
from crm.scope import UserScope, access_object, forget_scope
from crm.services import object_share, object_unshare, role_set_scope
from customers.models import Customer
from customers.selectors import access_customer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def visible_owners(user) -> set[str]:
    return set(Customer.objects.visible_to(user).values_list("owner__username", flat=True))


def test_sales_rep_sees_only_own_records(org, customers):
    assert visible_owners(org.rep) == {"rep"}


def test_sales_manager_sees_department_subtree_not_sibling_or_other_branch(org, customers):
    assert visible_owners(org.manager) == {"manager", "rep", "rep_b", "sub_rep"}


def test_branch_manager_sees_whole_branch_only(org, customers):
    assert visible_owners(org.branch_mgr) == {
        "manager",
        "rep",
        "rep_b",
        "sub_rep",
        "rep_team2",
        "branch_mgr",
    }


def test_hq_executive_and_superuser_see_all(org, customers, django_user_model):
    everything = set(customers)
    assert visible_owners(org.executive) == everything
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x" * 12)
    assert visible_owners(root) == everything


def test_anonymous_and_inactive_users_see_nothing(org, customers):
    assert not Customer.objects.visible_to(AnonymousUser()).exists()
    org.rep.is_active = False
    org.rep.save(update_fields=["is_active"])
    forget_scope(org.rep)
    assert not Customer.objects.visible_to(org.rep).exists()


def test_user_without_employee_record_sees_only_own(org, customers, django_user_model):
    outsider = django_user_model.objects.create_user("outsider", password="x" * 12)
    assert not Customer.objects.visible_to(outsider).exists()


def test_widest_of_several_roles_applies(org, customers):
    org.rep.groups.add(Group.objects.get(role__code=Role.Code.BRANCH_MANAGER))
    forget_scope(org.rep)
    assert visible_owners(org.rep) == visible_owners(org.branch_mgr)


def test_role_scope_is_data_not_code(org, customers):
    role_set_scope(code=Role.Code.SALES_REP, data_scope=DataScope.BRANCH)
    forget_scope(org.rep2)
    assert visible_owners(org.rep2) == {"rep2"}  # South has no other records
    forget_scope(org.rep)
    assert "rep_team2" in visible_owners(org.rep)


def test_own_records_stay_visible_after_moving_department(org, customers):
    employee = org.rep.employee
    employee.department = org.south_sales
    employee.save(update_fields=["department"])
    forget_scope(org.rep)
    assert "rep" in visible_owners(org.rep)


def test_object_shared_with_user_becomes_visible_and_unshared_again(org, customers):
    south_customer = customers["rep2"]
    object_share(obj=south_customer, user=org.rep)
    assert visible_owners(org.rep) == {"rep", "rep2"}
    object_unshare(obj=south_customer, user=org.rep)
    assert visible_owners(org.rep) == {"rep"}


def test_object_shared_with_group_is_visible_to_its_members(org, customers):
    group = Group.objects.create(name="Key accounts")
    org.rep.groups.add(group)
    object_share(obj=customers["rep2"], group=group)
    assert visible_owners(org.rep) == {"rep", "rep2"}
    assert visible_owners(org.rep_b) == {"rep_b"}


def test_membership_tables_extend_the_scope(org, customers, monkeypatch):
    # Any table with a foreign key to the record and one to the user works as
    # a membership (later: deal teams); guardian's share table is one.
    from customers.models import CustomerUserObjectPermission

    monkeypatch.setattr(
        Customer,
        "scope_memberships",
        (("customers.CustomerUserObjectPermission", "content_object", "user"),),
    )
    from django.contrib.auth.models import Permission

    CustomerUserObjectPermission.objects.create(
        user=org.rep,
        content_object=customers["rep_team2"],
        permission=Permission.objects.get(codename="change_customer"),
    )
    assert visible_owners(org.rep) == {"rep", "rep_team2"}


def test_access_object_returns_visible_and_404s_the_rest(org, customers):
    own = customers["rep"]
    assert access_customer(user=org.rep, pk=own.pk) == own
    with pytest.raises(Http404):
        access_customer(user=org.rep, pk=customers["rep_b"].pk)
    with pytest.raises(Http404):
        access_object(Customer, user=org.rep, pk="not-a-number")
    with pytest.raises(Http404):
        access_object(Customer, user=org.rep, pk=10**12)


def test_scope_is_resolved_once_per_user_object(org, customers, django_assert_num_queries):
    # The scope (employee, roles, department subtree) and the extra ways in
    # (shares, memberships, own records outside the scope) cost one query
    # together, once: 1 + the list itself, then the list alone.
    list(Customer.objects.visible_to(org.rep))  # warms the content-type cache
    with django_assert_num_queries(2):
        list(Customer.objects.visible_to(org.manager))
    with django_assert_num_queries(1):
        list(Customer.objects.visible_to(org.manager))


def test_the_plain_scope_has_no_or(org, customers):
    """Without shares the condition is one indexed predicate (fast counts)."""
    sql = str(Customer.objects.visible_to(org.manager).query)
    assert " OR " not in sql
    object_share(obj=customers["rep2"], user=org.manager)
    assert " OR " in str(Customer.objects.visible_to(org.manager).query)


def test_own_records_outside_the_scope_add_the_owner_arm(org, customers):
    make_customer(org.branch_mgr)  # in East; now move the branch manager south
    employee = org.branch_mgr.employee
    employee.department = org.south_sales
    employee.save(update_fields=["department"])
    forget_scope(org.branch_mgr)
    assert visible_owners(org.branch_mgr) == {"rep2", "branch_mgr"}


def _plans(run) -> list[str]:
    """EXPLAIN every query ``run`` sends, with sequential scans disabled."""
    with CaptureQueriesContext(connection) as captured:
        run()
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        for query in captured.captured_queries:
            if "customers_customer" in query["sql"]:
                cursor.execute(f"EXPLAIN {query['sql']}")
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        cursor.execute("RESET enable_seqscan")
    return plans


@pytest.mark.parametrize("username", ["rep", "manager", "branch_mgr"])
def test_scoped_count_and_first_page_use_indexes(org, customers, username):
    """With sequential scans disabled, PostgreSQL still picks a sequential
    scan when no index can answer the condition; so none may appear."""
    user = getattr(org, username)
    object_share(obj=customers["rep2"], user=user)
    forget_scope(user)

    def count_and_first_page():
        scoped = Customer.objects.visible_to(user)
        scoped.count()
        list(scoped.order_by("name", "id")[:25])

    plans = _plans(count_and_first_page)
    assert len(plans) >= 2  # the scope's own lookups, the count, the page
    for plan in plans:
        assert "Seq Scan on customers_customer " not in plan, plan


def test_the_scope_of_each_kind_of_user(org, django_user_model):
    from crm.scope import user_scope

    subtree = {org.team1.pk, org.sub_team.pk}
    assert user_scope(org.rep) == UserScope(
        user_id=org.rep.pk, level=DataScope.OWN, branch_id=org.east.pk
    )
    manager = user_scope(org.manager)
    assert (manager.level, set(manager.department_ids), manager.branch_id) == (
        DataScope.DEPARTMENT,
        subtree,
        org.east.pk,
    )
    assert len(manager.department_ids) == len(subtree)
    assert user_scope(org.branch_mgr) == UserScope(
        user_id=org.branch_mgr.pk, level=DataScope.BRANCH, branch_id=org.east.pk
    )
    assert user_scope(org.executive).sees_all
    outsider = django_user_model.objects.create_user("outsider", password="x" * 12)
    assert user_scope(outsider) == UserScope(user_id=outsider.pk, level=DataScope.OWN)


def test_a_group_without_a_role_and_a_left_employee_do_not_widen_the_scope(org, customers):
    from crm.scope import user_scope

    org.rep.groups.add(Group.objects.create(name="Newsletter"))
    forget_scope(org.rep)
    assert user_scope(org.rep).level == DataScope.OWN
    employee = org.manager.employee
    employee.is_active = False
    employee.save(update_fields=["is_active"])
    forget_scope(org.manager)
    assert user_scope(org.manager) == UserScope(user_id=org.manager.pk, level=DataScope.OWN)
    assert visible_owners(org.manager) == {"manager"}


def test_own_records_outside_a_department_scope_add_the_owner_arm(org, customers):
    employee = org.manager.employee
    employee.department = org.team2  # the manager's own customer stays in team 1
    employee.save(update_fields=["department"])
    forget_scope(org.manager)
    assert visible_owners(org.manager) == {"rep_team2", "manager"}
    assert " OR " in str(Customer.objects.visible_to(org.manager).query)


def test_a_user_without_an_employee_record_still_sees_what_is_shared(
    org, customers, django_user_model
):
    outsider = django_user_model.objects.create_user("outsider", password="x" * 12)
    object_share(obj=customers["rep2"], user=outsider)
    assert visible_owners(outsider) == {"rep2"}


def test_a_second_model_costs_one_query_for_its_shares_the_scope_is_kept(
    org, customers, django_assert_num_queries
):
    from crm.scope import user_scope
    from customers.models import Contact

    list(Customer.objects.visible_to(org.rep))  # warms the content-type cache
    list(Contact.objects.visible_to(org.rep))
    scope = user_scope(org.manager)  # e.g. a form reads the scope first
    with django_assert_num_queries(1):
        assert user_scope(org.manager) is scope
        Customer.objects.visible_to(org.manager)  # its shares, memberships, own records
    with django_assert_num_queries(1):
        Contact.objects.visible_to(org.manager)
    with django_assert_num_queries(0):
        Customer.objects.visible_to(org.manager)
        Contact.objects.visible_to(org.manager)
    assert user_scope(org.manager) is scope


def test_the_scopes_of_several_models_load_in_one_query(org, customers, django_assert_num_queries):
    from crm.scope import load_scopes
    from customers.models import Contact

    object_share(obj=customers["rep2"], user=org.rep)
    list(Customer.objects.visible_to(org.rep_b))  # warms the content-type cache
    list(Contact.objects.visible_to(org.rep_b))
    forget_scope(org.rep)
    with django_assert_num_queries(1):
        load_scopes(org.rep, [Customer, Contact])
    with django_assert_num_queries(0):
        customer_sql = str(Customer.objects.visible_to(org.rep).query)
        Contact.objects.visible_to(org.rep)
    assert " OR " in customer_sql  # the share came with the scope
    assert visible_owners(org.rep) == {"rep", "rep2"}
