"""Demo customers: a hand-sized realistic set, and bulk volume on request.

``seed_demo`` creates about sixty customers for the demo users through the
services (so they have history). ``seed_demo --customers N`` tops the table
up to N rows with PostgreSQL ``COPY``, spread over synthetic sales teams of
ten reps in every regional branch, as a national sales organisation would
be; bulk rows carry no history entries (they were never edited).
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from crm.demo import SALES_DEPARTMENTS, seed_organisation
from crm.models import Department, Employee
from crm.services import employee_create
from customers.models import (
    CreditStatus,
    Customer,
    CustomerSource,
    CustomerType,
    Industry,
    LifecycleStage,
)
from customers.normalize import company_name_key, normalize_company_name, normalize_phone
from customers.search import refresh_customer_search
from customers.services import customer_create, customer_update

User = get_user_model()

CITIES = [
    "上海",
    "北京",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "天津",
    "武汉",
    "成都",
    "重庆",
    "西安",
    "沈阳",
    "青岛",
    "宁波",
    "无锡",
    "厦门",
    "长沙",
    "郑州",
    "合肥",
    "济南",
    "福州",
    "大连",
    "昆明",
    "东莞",
    "佛山",
    "常州",
    "南通",
    "温州",
    "哈尔滨",
]
BRAND_WORDS = [
    "华信",
    "恒通",
    "中联",
    "远大",
    "鼎盛",
    "天成",
    "宏达",
    "瑞丰",
    "金桥",
    "新源",
    "东方",
    "海川",
    "正泰",
    "博远",
    "凯达",
    "永安",
    "盛世",
    "长城",
    "联创",
    "启明",
    "航宇",
    "锦程",
    "万邦",
    "同方",
    "嘉禾",
    "力拓",
    "汇丰",
    "安信",
    "昌盛",
    "明德",
    "华阳",
    "国泰",
    "新纪元",
    "蓝海",
    "卓越",
    "创新",
    "百川",
    "九州",
    "泰和",
    "中科",
]
INDUSTRY_WORDS = {
    Industry.MANUFACTURING: ["精密机械", "汽车零部件", "电子制造", "新材料"],
    Industry.IT: ["信息技术", "软件", "数据科技", "网络科技"],
    Industry.FINANCE: ["投资", "融资租赁", "保险代理"],
    Industry.ENERGY: ["能源", "电力设备", "新能源"],
    Industry.HEALTHCARE: ["医疗器械", "生物医药", "健康科技"],
    Industry.EDUCATION: ["教育科技", "职业培训"],
    Industry.RETAIL: ["商贸", "连锁超市", "电子商务"],
    Industry.LOGISTICS: ["物流", "供应链管理", "国际货运"],
    Industry.CONSTRUCTION: ["建设工程", "建筑设计", "工程咨询"],
    Industry.GOVERNMENT: ["城市建设投资", "公共资源交易中心"],
}
SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司", "有限责任公司"]
TEAMS_PER_BRANCH = 4
REPS_PER_TEAM = 10
TEAM_NAMES = ["一部", "二部", "三部", "四部", "五部", "六部"]


def add_arguments(parser) -> None:
    parser.add_argument(
        "--customers",
        type=int,
        default=0,
        help="Top the customer table up to this many rows (bulk COPY).",
    )


def company_name(rng: random.Random) -> tuple[str, str, str, str]:
    """(name, short name, industry, city) of a plausible Chinese company."""
    industry = rng.choice(list(INDUSTRY_WORDS))
    city = rng.choice(CITIES)
    brand = rng.choice(BRAND_WORDS)
    name = f"{city}{brand}{rng.choice(INDUSTRY_WORDS[industry])}{rng.choice(SUFFIXES)}"
    return name, brand, industry.value, city


# The demo users' own customers: username -> how many.
DEMO_OWNERS = {"rep": 18, "rep_b": 14, "manager": 8, "rep2": 12, "branch_mgr": 4}


@transaction.atomic
def seed_demo_customers() -> int:
    if Customer.objects.filter(owner__username__in=DEMO_OWNERS).exists():
        return 0
    rng = random.Random(20261123)
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_OWNERS)}
    created = 0
    for username, count in DEMO_OWNERS.items():
        for _ in range(count):
            name, short, industry, city = company_name(rng)
            customer_create(
                by=users[username],
                name=name,
                short_name=short,
                industry=industry,
                region=city,
            )
            created += 1
    # A few edits so the history pages show changes.
    for customer in Customer.objects.filter(owner=users["rep"]).order_by("id")[:3]:
        customer_update(customer=customer, by=users["manager"], region="苏州")
    return created


def _ensure_volume_reps(needed_reps: int) -> list[tuple[int, int, int]]:
    """Synthetic sales teams in every regional branch; (user, department, branch) ids."""
    departments = seed_organisation()
    sales_roots = [departments[key] for key in SALES_DEPARTMENTS]
    per_branch = -(-needed_reps // (REPS_PER_TEAM * len(sales_roots)))
    teams_per_branch = max(1, min(len(TEAM_NAMES), per_branch))
    for root in sales_roots:
        for index in range(teams_per_branch):
            team_name = f"{root.name[:2]}销售{TEAM_NAMES[index]}"
            team = Department.objects.filter(branch_id=root.branch_id, name=team_name).first()
            if team is None:
                team = Department(
                    branch_id=root.branch_id,
                    parent=root,
                    name=team_name,
                    name_en=f"{root.name_en.replace(' Sales', '')} Sales Team {index + 1}",
                )
                team.full_clean()
                team.save()
            existing = Employee.objects.filter(department=team).count()
            for number in range(existing, REPS_PER_TEAM):
                employee_create(
                    username=f"v{team.pk}_{number:02d}",
                    password=settings.DEMO_PASSWORD,
                    department=team,
                    roles=["sales_rep"],
                    first_name=f"销售{team.pk}-{number:02d}",
                    title="销售代表",
                )
    return list(
        Employee.objects.filter(
            department__parent__in=sales_roots, user__groups__role__code="sales_rep"
        ).values_list("user_id", "department_id", "department__branch_id")
    )


def bulk_customers(target: int, *, stdout, batch: int = 50_000) -> int:
    """Top ``customers_customer`` up to ``target`` rows with COPY."""
    missing = target - Customer.objects.count()
    if missing <= 0:
        return 0
    reps = _ensure_volume_reps(needed_reps=max(1, target // 3500))
    rng = random.Random(target)
    now = timezone.now()
    columns = (
        "name, short_name, credit_code, type, industry, region, address, phone, website,"
        " size, source, value_grade, credit_status, tags, notes, lifecycle_stage,"
        " is_archived, normalized_name, name_key, normalized_phone, search_vector,"
        " owner_id, department_id, branch_id, created_at, updated_at"
    )
    types = [t.value for t in CustomerType]
    stages = [s.value for s in LifecycleStage]
    grades = ["A", "B", "B", "C", "C", "C", "D", ""]
    sources = [s.value for s in CustomerSource]
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor, for COPY
        while written < missing:
            size = min(batch, missing - written)
            with (
                transaction.atomic(),
                raw.copy(f"COPY customers_customer ({columns}) FROM STDIN") as copy,
            ):
                for _ in range(size):
                    name, short, industry, city = company_name(rng)
                    owner, department, branch = rng.choice(reps)
                    created = now - timedelta(minutes=rng.randrange(0, 5 * 365 * 24 * 60))
                    phone = f"0{rng.randrange(10, 999)}-{rng.randrange(2000000, 89999999)}"
                    normalized = normalize_company_name(name)
                    copy.write_row(
                        (
                            name,
                            short,
                            "",
                            rng.choice(types),
                            industry,
                            city,
                            f"{city}市{rng.choice(BRAND_WORDS)}路{rng.randrange(1, 999)}号",
                            phone,
                            "",
                            "",
                            rng.choice(sources),
                            rng.choice(grades),
                            CreditStatus.NORMAL,
                            "{}",
                            "",
                            rng.choice(stages),
                            False,
                            normalized,
                            company_name_key(normalized),
                            normalize_phone(phone),
                            None,
                            owner,
                            department,
                            branch,
                            created,
                            created,
                        )
                    )
            written += size
            stdout.write(f"  customers: {written:,}/{missing:,}")
    stdout.write("  customers: building search documents")
    missing_docs = Customer.objects.filter(search_vector__isnull=True).values_list("pk", flat=True)
    ids = list(missing_docs)
    for start in range(0, len(ids), batch):
        refresh_customer_search(customer_ids=ids[start : start + batch])
    with connection.cursor() as cursor:
        # VACUUM sets the visibility map (index-only scans); not possible
        # inside a transaction (tests), where statistics are refreshed only.
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        cursor.execute(f"{vacuum} customers_customer")
    return written


def seed(*, options, stdout) -> None:
    created = seed_demo_customers()
    stdout.write(f"customers: {created} demo customers created")
    target = options.get("customers") or 0
    if target:
        added = bulk_customers(target, stdout=stdout)
        stdout.write(
            f"customers: {added:,} bulk customers added (total {Customer.objects.count():,})"
        )
