"""Demo organisation and users (seeded by ``manage.py seed_demo``).

Every demo user logs in with ``DEMO_PASSWORD`` (default ``demo12345``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from crm.models import Branch, Department, Employee
from crm.services import employee_create

User = get_user_model()

# code, Chinese name, English name, city, headquarters
BRANCHES = [
    ("hq", "总部", "Headquarters", "北京", True),
    ("east", "华东分公司", "East China Branch", "上海", False),
    ("south", "华南分公司", "South China Branch", "广州", False),
    ("north", "华北分公司", "North China Branch", "天津", False),
    ("central", "华中分公司", "Central China Branch", "武汉", False),
    ("southwest", "西南分公司", "Southwest Branch", "成都", False),
    ("northwest", "西北分公司", "Northwest Branch", "西安", False),
    ("northeast", "东北分公司", "Northeast Branch", "沈阳", False),
]

# key, branch, parent key, Chinese name, English name
DEPARTMENTS = [
    ("hq_office", "hq", None, "总经办", "Executive Office"),
    ("hq_finance", "hq", None, "财务部", "Finance Department"),
    ("east_sales", "east", None, "华东销售部", "East China Sales"),
    ("east_sales_1", "east", "east_sales", "华东销售一部", "East Sales Team 1"),
    ("east_sales_2", "east", "east_sales", "华东销售二部", "East Sales Team 2"),
    ("east_business", "east", None, "华东商务部", "East China Business Office"),
    ("east_finance", "east", None, "华东财务部", "East China Finance"),
    ("east_service", "east", None, "华东服务部", "East China Service"),
    ("south_sales", "south", None, "华南销售部", "South China Sales"),
    ("north_sales", "north", None, "华北销售部", "North China Sales"),
    ("central_sales", "central", None, "华中销售部", "Central China Sales"),
    ("southwest_sales", "southwest", None, "西南销售部", "Southwest Sales"),
    ("northwest_sales", "northwest", None, "西北销售部", "Northwest Sales"),
    ("northeast_sales", "northeast", None, "东北销售部", "Northeast Sales"),
]

#: Sales departments (one per regional branch) under which volume data adds teams.
SALES_DEPARTMENTS = [key for key, *_ in DEPARTMENTS if key.endswith("_sales")]


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    department: str
    title: str
    roles: tuple[str, ...]
    manager: str | None = None
    superuser: bool = False
    note: str = ""


DEMO_USERS = [
    DemoUser(
        "admin",
        "系统管理员",
        "hq_office",
        "系统管理员",
        ("admin",),
        superuser=True,
        note="superuser, Django admin",
    ),
    DemoUser("executive", "王建国", "hq_office", "总裁", ("hq_executive",), note="HQ, sees all"),
    DemoUser(
        "branch_mgr",
        "李明",
        "east_sales",
        "华东分公司总经理",
        ("branch_manager",),
        manager="executive",
        note="East China branch",
    ),
    DemoUser(
        "manager",
        "陈静",
        "east_sales_1",
        "销售经理",
        ("sales_manager",),
        manager="branch_mgr",
        note="East Sales Team 1",
    ),
    DemoUser(
        "rep",
        "张伟",
        "east_sales_1",
        "销售代表",
        ("sales_rep",),
        manager="manager",
        note="East Sales Team 1",
    ),
    DemoUser(
        "rep_b",
        "刘洋",
        "east_sales_1",
        "销售代表",
        ("sales_rep",),
        manager="manager",
        note="East Sales Team 1",
    ),
    DemoUser("rep2", "黄磊", "south_sales", "销售代表", ("sales_rep",), note="South China"),
    DemoUser(
        "secretary", "周婷", "east_business", "商务秘书", ("business_secretary",), note="East China"
    ),
    DemoUser("finance", "吴芳", "east_finance", "财务专员", ("finance",), note="East China"),
    DemoUser(
        "service", "赵强", "east_service", "服务工程师", ("service_agent",), note="East China"
    ),
]


def add_arguments(parser) -> None:
    """The kernel adds no volume options; apps add theirs."""


@transaction.atomic
def seed_organisation() -> dict[str, Department]:
    branches = {}
    for code, name, name_en, city, is_hq in BRANCHES:
        branches[code], _ = Branch.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "city": city, "is_headquarters": is_hq},
        )
    departments: dict[str, Department] = {}
    for key, branch, parent, name, name_en in DEPARTMENTS:
        department = Department.objects.filter(branch=branches[branch], name=name).first()
        if department is None:
            department = Department(
                branch=branches[branch],
                parent=departments[parent] if parent else None,
                name=name,
                name_en=name_en,
            )
            department.full_clean()
            department.save()
        departments[key] = department
    return departments


@transaction.atomic
def seed_users(departments: dict[str, Department]) -> int:
    created = 0
    employees: dict[str, Employee] = {}
    for spec in DEMO_USERS:
        employee = Employee.objects.filter(user__username=spec.username).first()
        if employee is None:
            employee = employee_create(
                username=spec.username,
                password=settings.DEMO_PASSWORD,
                department=departments[spec.department],
                roles=list(spec.roles),
                first_name=spec.name,
                email=f"{spec.username}@example.com",
                title=spec.title,
                manager=employees.get(spec.manager) if spec.manager else None,
                is_superuser=spec.superuser,
            )
            created += 1
        employees[spec.username] = employee
    return created


def seed(*, options, stdout) -> None:
    departments = seed_organisation()
    created = seed_users(departments)
    stdout.write(f"organisation: {len(departments)} departments, {created} new demo users")
