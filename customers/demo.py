"""Demo customers: a hand-sized realistic set, and bulk volume on request.

``seed_demo`` creates about sixty customers for the demo users through the
services (so they have history). ``seed_demo --customers N`` tops the table
up to N rows with PostgreSQL ``COPY``, spread over synthetic sales teams of
ten reps in every regional branch, as a national sales organisation would
be; bulk rows carry no history entries (they were never edited).
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from crm.demo import SALES_DEPARTMENTS, seed_organisation
from crm.models import Department, Employee
from crm.services import employee_create
from customers.models import (
    Attitude,
    CompanySize,
    Contact,
    CreditStatus,
    Customer,
    CustomerSource,
    CustomerType,
    DecisionRole,
    FollowUpKind,
    Industry,
    LifecycleEvent,
    LifecycleStage,
)
from customers.normalize import company_name_key, normalize_company_name, normalize_phone
from customers.search import search_tokens
from customers.services import (
    contact_create,
    customer_change_stage,
    customer_create,
    customer_update,
    follow_up_create,
)
from customers.validators import CREDIT_CODE_ALPHABET, credit_code_check_character

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
        help="Top the customer table up to this many rows (bulk COPY), with contacts.",
    )
    parser.add_argument(
        "--contacts-per-customer",
        type=int,
        default=3,
        help="Contacts of each bulk customer (default 3).",
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

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "建国",
    "志强",
    "海燕",
]
# title, department at the customer, decision role, influence
CONTACT_ROLES = [
    ("总经理", "总经办", DecisionRole.DECIDER, 5),
    ("采购经理", "采购部", DecisionRole.BUYER, 4),
    ("技术总监", "技术部", DecisionRole.INFLUENCER, 4),
    ("财务总监", "财务部", DecisionRole.INFLUENCER, 3),
    ("IT主管", "信息中心", DecisionRole.USER, 3),
    ("行政助理", "行政部", DecisionRole.GATEKEEPER, 2),
]
FOLLOW_UP_SUBJECTS = {
    FollowUpKind.CALL: ["电话了解需求", "电话确认预算", "电话跟进方案反馈"],
    FollowUpKind.VISIT: ["上门拜访", "拜访技术部门", "拜访采购部门"],
    FollowUpKind.EMAIL: ["发送产品资料", "发送报价说明"],
    FollowUpKind.MEETING: ["需求沟通会", "方案评审会"],
    FollowUpKind.DEMO: ["产品演示", "现场测试演示"],
    FollowUpKind.NEGOTIATION: ["商务谈判", "合同条款谈判"],
}
NEXT_STEPS = ["发送方案", "安排演示", "确认预算", "提交报价", "拜访决策人", "跟进合同"]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def credit_code(rng: random.Random) -> str:
    """A well-formed unified social credit code (valid check character)."""
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    body += "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    return body + credit_code_check_character(body)


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(0, 10**9):09d}"


@transaction.atomic
def seed_demo_customers() -> int:
    """Customers of the demo users, with contacts, follow-ups and a past."""
    if Customer.objects.filter(owner__username__in=DEMO_OWNERS).exists():
        return 0
    rng = random.Random(20261123)
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_OWNERS)}
    now = timezone.now()
    path = list(LifecycleStage)[:10]
    created = 0
    for username, count in DEMO_OWNERS.items():
        owner = users[username]
        for _ in range(count):
            name, short, industry, city = company_name(rng)
            customer = customer_create(
                by=owner,
                name=name,
                short_name=short,
                credit_code=credit_code(rng),
                type=rng.choice([CustomerType.END_CUSTOMER] * 4 + [CustomerType.DISTRIBUTOR]),
                industry=industry,
                region=city,
                address=f"{city}市{rng.choice(BRAND_WORDS)}路{rng.randrange(1, 999)}号",
                phone=f"0{rng.randrange(20, 999)}-{rng.randrange(60000000, 89999999)}",
                size=rng.choice(list(CompanySize)),
                source=rng.choice(list(CustomerSource)),
                value_grade=rng.choice("AABBBCCD"),
            )
            _demo_past(customer, owner=owner, rng=rng, now=now, path=path)
            _demo_contacts_and_follow_ups(customer, owner=owner, rng=rng, now=now)
            created += 1
    # The customer every demo starts from: rep's first, with 张三 among its contacts.
    first = Customer.objects.filter(owner=users["rep"]).order_by("id").first()
    contact_create(
        by=users["rep"],
        customer=first,
        name="张三",
        title="项目经理",
        department_name="工程部",
        mobile="13800138000",
        email="zhangsan@example.com",
        decision_role=DecisionRole.INFLUENCER,
        influence=3,
        attitude=Attitude.SUPPORTER,
    )
    for customer in Customer.objects.filter(owner=users["rep"]).order_by("id")[:3]:
        customer_update(customer=customer, by=users["manager"], region="苏州")
    return created


def _demo_past(customer, *, owner, rng, now, path) -> None:
    """Created up to 18 months ago, moved along the lifecycle since."""
    start = now - timedelta(days=rng.randrange(60, 540))
    Customer.objects.filter(pk=customer.pk).update(created_at=start)
    LifecycleEvent.objects.filter(customer=customer).update(at=start)
    steps = rng.randrange(0, len(path))
    at = start
    for stage in path[1 : steps + 1]:
        at += timedelta(days=rng.randrange(5, 40))
        if at >= now:
            break
        customer_change_stage(
            customer=customer,
            stage=stage,
            by=owner,
            at=at,
            cause=rng.choice(["需求确认", "方案通过", "客户推进", "签约"]),
        )
    if rng.random() < 0.1:
        customer_change_stage(
            customer=customer,
            stage=rng.choice([LifecycleStage.STALLED, LifecycleStage.LOST]),
            by=owner,
            cause="项目暂停",
        )


def _demo_contacts_and_follow_ups(customer, *, owner, rng, now) -> None:
    contacts = []
    for title, department, role, influence in rng.sample(CONTACT_ROLES, rng.randrange(2, 6)):
        contacts.append(
            contact_create(
                by=owner,
                customer=customer,
                name=person_name(rng),
                title=title,
                department_name=department,
                mobile=mobile(rng),
                email=f"c{rng.randrange(10**6)}@example.com",
                decision_role=role,
                influence=influence,
                attitude=rng.choice(list(Attitude)),
                reports_to=contacts[0] if contacts else None,
            )
        )
    today = timezone.localdate()
    for index in range(rng.randrange(1, 6)):
        kind = rng.choice(list(FollowUpKind))
        due = today + timedelta(days=rng.choice([-3, -1, 0, 0, 2, 7, 14]))
        follow_up_create(
            by=owner,
            customer=customer,
            contacts=rng.sample(contacts, min(len(contacts), rng.randrange(1, 3))),
            kind=kind,
            occurred_at=now - timedelta(days=rng.randrange(1, 90), hours=rng.randrange(0, 8)),
            subject=rng.choice(FOLLOW_UP_SUBJECTS[kind]),
            outcome="客户对方案有兴趣，需进一步沟通。",
            next_step=rng.choice(NEXT_STEPS) if index == 0 else "",
            next_step_date=due if index == 0 else None,
        )


def _ensure_volume_reps(needed_reps: int) -> list[tuple[int, int, int]]:
    """Synthetic sales teams in every regional branch; (user, department, branch) ids."""
    departments = seed_organisation()
    sales_roots = [departments[key] for key in SALES_DEPARTMENTS]
    per_branch = -(-needed_reps // (REPS_PER_TEAM * len(sales_roots)))
    password_hash = ""
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
            password_hash = password_hash or make_password(settings.DEMO_PASSWORD)
            for number in range(existing, REPS_PER_TEAM):
                employee_create(
                    username=f"v{team.pk}_{number:02d}",
                    password=settings.DEMO_PASSWORD,
                    department=team,
                    roles=["sales_rep"],
                    first_name=f"销售{team.pk}-{number:02d}",
                    title="销售代表",
                    password_hash=password_hash,
                )
    return list(
        Employee.objects.filter(
            department__parent__in=sales_roots, user__groups__role__code="sales_rep"
        ).values_list("user_id", "department_id", "department__branch_id")
    )


#: Bulk loads above this many rows drop the secondary indexes and build them
#: again afterwards: one sort per index instead of a million inserts into each.
REINDEX_ABOVE = 100_000


@contextmanager
def _secondary_indexes_dropped(table: str, *, when: bool):
    """Drop ``table``'s non-unique indexes for the duration, then recreate them."""
    if not when or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            JOIN pg_class c ON c.relname = i.indexname
            JOIN pg_index x ON x.indexrelid = c.oid
            WHERE i.tablename = %s AND NOT x.indisunique AND NOT x.indisprimary
            """,
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in indexes:
                cursor.execute(definition)


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
    with (
        _secondary_indexes_dropped("customers_customer", when=missing > REINDEX_ABOVE),
        connection.cursor() as cursor,
    ):
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
                            tsvector_literal(_document(name, short)),
                            owner,
                            department,
                            branch,
                            created,
                            created,
                        )
                    )
            written += size
            stdout.write(f"  customers: {written:,}/{missing:,}")
    with connection.cursor() as cursor:
        # VACUUM sets the visibility map (index-only scans); not possible
        # inside a transaction (tests), where statistics are refreshed only.
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        cursor.execute(f"{vacuum} customers_customer")
    return written


@lru_cache(maxsize=300_000)
def _field_tokens(value: str) -> tuple[str, ...]:
    return tuple(search_tokens(value))


def _document(*values: str) -> str:
    """The search document of bulk rows; the same as the services build
    (customers.search), with the segmentation of repeated names cached."""
    tokens = (token for value in values for token in _field_tokens(value))
    return " ".join(dict.fromkeys(tokens))


def tsvector_literal(document: str) -> str:
    """A search document as tsvector input text, so COPY stores it directly
    (the tokens are words: letters, digits and underscores only)."""
    return " ".join("'" + token.replace("'", "''") + "'" for token in document.split())


def bulk_contacts(per_customer: int, *, stdout, batch: int = 20_000) -> int:
    """Top contacts up to ``per_customer`` per customer, for the bulk customers."""
    target = Customer.objects.count() * per_customer
    missing = target - Contact.objects.count()
    if missing <= 0:
        return 0
    rng = random.Random(missing)
    columns = (
        "customer_id, name, title, department_name, phone, mobile, email, wechat, interests,"
        " notes, decision_role, influence, attitude, is_active, normalized_mobile,"
        " search_vector, owner_id, department_id, branch_id, created_at, updated_at"
    )
    customers = (
        Customer.objects.filter(contacts__isnull=True)
        .order_by("pk")
        .values_list("pk", "owner_id", "department_id", "branch_id", "created_at")
    )
    written = 0
    with (
        _secondary_indexes_dropped("customers_contact", when=missing > REINDEX_ABOVE),
        connection.cursor() as cursor,
    ):
        raw = cursor.cursor
        pending = customers.iterator(chunk_size=batch)
        while written < missing:
            chunk = [row for _, row in zip(range(batch), pending, strict=False)]
            if not chunk:
                break
            with (
                transaction.atomic(),
                raw.copy(f"COPY customers_contact ({columns}) FROM STDIN") as copy,
            ):
                for customer_id, owner, department, branch, created in chunk:
                    for title, department_name, role, influence in rng.sample(
                        CONTACT_ROLES, per_customer
                    ):
                        name, phone = person_name(rng), mobile(rng)
                        email = f"c{customer_id}_{influence}@example.com"
                        copy.write_row(
                            (
                                customer_id,
                                name,
                                title,
                                department_name,
                                "",
                                phone,
                                email,
                                "",
                                "",
                                "",
                                role,
                                influence,
                                rng.choice(list(Attitude)),
                                True,
                                phone,
                                tsvector_literal(_document(name, phone, email)),
                                owner,
                                department,
                                branch,
                                created,
                                created,
                            )
                        )
            written += len(chunk) * per_customer
            stdout.write(f"  contacts: {written:,}/{missing:,}")
    with connection.cursor() as cursor:
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        cursor.execute(f"{vacuum} customers_contact")
    return written


def seed(*, options, stdout) -> None:
    created = seed_demo_customers()
    stdout.write(f"customers: {created} demo customers created")
    target = options.get("customers") or 0
    if target:
        added = bulk_customers(target, stdout=stdout)
        contacts = bulk_contacts(options.get("contacts_per_customer") or 3, stdout=stdout)
        stdout.write(f"contacts: {contacts:,} bulk contacts added")
        stdout.write(
            f"customers: {added:,} bulk customers added (total {Customer.objects.count():,})"
        )
