"""The roles and their baseline model permissions.

Roles are created by migration ``crm.0002_roles``. After every migrate (and
after the flush of a transactional test) ``grant_role_permissions`` makes
sure they exist and grants each app's baseline permissions: every app
declares ``role_permissions`` on its AppConfig, a mapping of role code to the
permission codenames that role needs to use the app. Existing roles are not
changed, so a data scope or permission an admin edited is kept. Which
*records* a role sees is its data scope, not these permissions.
"""

from django.apps import AppConfig
from django.contrib.auth.models import Group, Permission

# code -> (group name, default data scope); the migration holds a frozen copy.
DEFAULT_ROLES = {
    "sales_rep": ("Sales rep", "own"),
    "sales_manager": ("Sales manager", "department"),
    "branch_manager": ("Branch manager", "branch"),
    "business_secretary": ("Business secretary", "branch"),
    "finance": ("Finance", "branch"),
    "service_agent": ("Service agent", "branch"),
    "hq_executive": ("HQ executive", "all"),
    "admin": ("Administrator", "all"),
}


def ensure_roles(*, using: str = "default") -> None:
    from crm.models import Role

    existing = set(Role.objects.using(using).values_list("code", flat=True))
    for code, (name, scope) in DEFAULT_ROLES.items():
        if code not in existing:
            group, _ = Group.objects.using(using).get_or_create(name=name)
            Role.objects.using(using).create(code=code, group=group, data_scope=scope)


def grant_role_permissions(sender: AppConfig, *, using: str = "default", **kwargs) -> None:
    from crm.models import Role

    if sender.label == "crm":
        ensure_roles(using=using)
    wanted = getattr(sender, "role_permissions", None)
    if not wanted:
        return
    roles = {role.code: role for role in Role.objects.using(using).select_related("group")}
    for code, codenames in wanted.items():
        role = roles.get(code)
        if role is None:
            continue
        permissions = Permission.objects.using(using).filter(
            content_type__app_label=sender.label, codename__in=codenames
        )
        role.group.permissions.add(*permissions)
