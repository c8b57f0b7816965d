"""Baseline model permissions of the roles.

Every app declares ``role_permissions`` on its AppConfig: a mapping of role
code to the permission codenames that role needs to use the app. After each
migrate the missing ones are granted; what an admin adds in Django admin is
kept. Which *records* a role sees is its data scope, not these permissions.
"""

from django.apps import AppConfig
from django.contrib.auth.models import Permission


def grant_role_permissions(sender: AppConfig, *, using: str = "default", **kwargs) -> None:
    from crm.models import Role

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
