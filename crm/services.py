"""Writes of the shared kernel. Views, admin and commands call these."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models, transaction
from guardian.shortcuts import assign_perm, remove_perm

from crm.models import Department, Employee, Role
from crm.scope import forget_scope

User = get_user_model()


def employee_set_language(*, user, language: str) -> None:
    Employee.objects.filter(user=user).update(language=language)


@transaction.atomic
def employee_create(
    *,
    username: str,
    password: str,
    department: Department,
    roles: list[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    title: str = "",
    manager: Employee | None = None,
    language: str = "",
    is_superuser: bool = False,
    password_hash: str = "",
) -> Employee:
    """Create a user with their employee record and roles in one step.

    ``password_hash`` (from ``make_password``) replaces ``password`` when many
    users get the same one, to hash it once (demo volume data)."""
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=is_superuser,
        is_superuser=is_superuser,
    )
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(role__code__in=roles))
    employee = Employee(
        user=user, department=department, title=title, manager=manager, language=language
    )
    employee.full_clean()
    employee.save()
    forget_scope(user)
    return employee


def _permission_codename(obj: models.Model) -> str:
    return f"view_{obj._meta.model_name}"


def object_share(*, obj: models.Model, user=None, group=None):
    """Let one user or group see ``obj`` whatever their data scope (ORG-3)."""
    target = user or group
    assign_perm(_permission_codename(obj), target, obj)
    if user is not None:
        forget_scope(user)
    return obj


def object_unshare(*, obj: models.Model, user=None, group=None):
    target = user or group
    remove_perm(_permission_codename(obj), target, obj)
    if user is not None:
        forget_scope(user)
    return obj


def role_set_scope(*, code: str, data_scope: str) -> Role:
    role = Role.objects.get(code=code)
    role.data_scope = data_scope
    role.full_clean()
    role.save(update_fields=["data_scope"])
    return role
