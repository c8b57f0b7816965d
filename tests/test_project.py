"""Project-wide checks: migrations, demo data, the organisation tree, roles."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import F

from crm.demo import DEMO_USERS
from crm.models import DataScope, Department, Role
from customers.models import Customer
from tests.factories import DepartmentFactory

User = get_user_model()


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_roles_come_from_the_migration_with_their_scopes():
    scopes = dict(Role.objects.values_list("code", "data_scope"))
    assert scopes == {
        "sales_rep": DataScope.OWN,
        "sales_manager": DataScope.DEPARTMENT,
        "branch_manager": DataScope.BRANCH,
        "business_secretary": DataScope.BRANCH,
        "finance": DataScope.BRANCH,
        "service_agent": DataScope.BRANCH,
        "hq_executive": DataScope.ALL,
        "admin": DataScope.ALL,
    }
    rep = Role.objects.get(code="sales_rep").group
    assert set(rep.permissions.values_list("codename", flat=True)) >= {
        "view_customer",
        "add_customer",
        "change_customer",
    }
    assert not rep.permissions.filter(codename="delete_customer").exists()


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_builds_volume(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    users, customers = User.objects.count(), Customer.objects.count()
    call_command("seed_demo", verbosity=0)
    assert (User.objects.count(), Customer.objects.count()) == (users, customers)

    assert {u.username for u in DEMO_USERS} <= set(User.objects.values_list("username", flat=True))
    rep = User.objects.get(username="rep")
    assert rep.check_password(settings.DEMO_PASSWORD)
    assert rep.employee.manager.user.username == "manager"
    assert User.objects.get(username="admin").is_superuser

    call_command("seed_demo", customers=customers + 500, verbosity=0)
    assert Customer.objects.count() == customers + 500
    # Denormalised scope columns agree with the owner's department.
    assert not Customer.objects.exclude(department=F("owner__employee__department")).exists()
    assert not Customer.objects.exclude(branch=F("department__branch")).exists()


@pytest.mark.django_db
def test_department_paths_follow_moves(org):
    assert org.sub_team.path == f"{org.east_sales.path}{org.team1.pk}/{org.sub_team.pk}/"
    org.team1.parent = org.team2
    org.team1.save()
    org.sub_team.refresh_from_db()
    assert org.sub_team.path == f"{org.team2.path}{org.team1.pk}/{org.sub_team.pk}/"
    assert set(org.team2.subtree()) == {org.team2, org.team1, org.sub_team}


@pytest.mark.django_db
def test_department_parent_must_be_in_the_same_branch_and_not_below_itself(org):
    foreign = DepartmentFactory.build(branch=org.south, parent=org.east_sales, name="x")
    with pytest.raises(ValidationError):
        foreign.full_clean()
    org.east_sales.parent = org.sub_team
    with pytest.raises(ValidationError):
        org.east_sales.full_clean()
    assert Department.objects.get(pk=org.east_sales.pk).parent is None


def test_analytics_only_reads():
    """analytics imports no other app's services: it writes nothing of theirs."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "analytics"
    writes = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                app, _, rest = node.module.partition(".")
                if app != "analytics" and (rest.endswith("services") or ".services." in rest):
                    writes.append(f"{path.name}: {node.module}")
    assert writes == []
