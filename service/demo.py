"""Demo service data (``manage.py seed_demo``): SLA rules, about thirty
service requests in the East and South branches in every state -- some
breached and escalated, several waiting in the demo ``service`` agent's
queue -- complaints and praise naming employees, care rules and the care
to-dos they make for the demo reps' customers.

Idempotent: rules are created when missing; requests and care data only on
the first run (they are recognised by ``DEMO_MARK``). The South branch gets
a service department and an agent (``service2``) here, since the kernel's
demo organisation has none.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from crm.models import Branch, Department, Employee
from crm.services import employee_create
from customers.models import Contact, Customer
from customers.services import contact_update
from projects.models import Product
from service.care import care_task_finish, care_tasks_generate
from service.models import (
    CareRule,
    CareTask,
    CareTaskStatus,
    Channel,
    Priority,
    RequestType,
    ServiceRequest,
    SlaRule,
)
from service.services import Step, service_request_create, service_request_transition
from service.services import service_requests_escalate as escalate

User = get_user_model()

#: Ends the description of every demo request.
DEMO_MARK = "（演示数据）"

SLA_RULES = [
    # name, type, priority, grade, response h, resolve h, position
    ("默认：8 小时响应，3 天解决", "", "", "", 8, 72, 900),
    ("紧急：1 小时响应，8 小时解决", "", Priority.URGENT, "", 1, 8, 10),
    ("高优先级：4 小时响应，1 天解决", "", Priority.HIGH, "", 4, 24, 20),
    ("投诉：2 小时响应，2 天解决", RequestType.COMPLAINT, "", "", 2, 48, 30),
    ("A 类客户：2 小时响应，1 天解决", "", "", "A", 2, 24, 40),
    ("咨询：1 天响应，3 天解决", RequestType.CONSULTATION, "", "", 24, 72, 50),
]

SUBJECTS = {
    RequestType.REPAIR: [
        "设备无法开机",
        "打印模块卡纸",
        "传感器读数异常",
        "系统频繁重启",
        "网络模块掉线",
    ],
    RequestType.CONSULTATION: ["咨询固件升级方法", "询问保修范围", "咨询扩容方案", "询问培训安排"],
    RequestType.COMPLAINT: ["上门服务迟到", "备件交付延误", "发票开具错误", "销售承诺未兑现"],
    RequestType.PRAISE: ["工程师服务专业", "销售响应及时", "培训讲解清楚"],
    RequestType.OTHER: ["索取产品资料", "变更联系人信息"],
}


def add_arguments(parser) -> None:
    """The service demo has no volume options."""


def seed_sla_rules() -> int:
    if SlaRule.objects.exists():
        return 0
    for name, request_type, priority, grade, response, resolve, position in SLA_RULES:
        SlaRule.objects.create(
            name=name,
            request_type=request_type,
            priority=priority,
            value_grade=grade,
            response_hours=response,
            resolve_hours=resolve,
            position=position,
        )
    return len(SLA_RULES)


def _south_agent():
    """The South branch's service department and agent (孙丽, ``service2``)."""
    employee = Employee.objects.filter(user__username="service2").first()
    if employee is not None:
        return employee.user
    south = Branch.objects.filter(code="south").first()
    if south is None:
        return None
    department, _ = Department.objects.get_or_create(
        branch=south, name="华南服务部", defaults={"name_en": "South China Service"}
    )
    return employee_create(
        username="service2",
        password=settings.DEMO_PASSWORD,
        department=department,
        roles=["service_agent"],
        first_name="孙丽",
        email="service2@example.com",
        title="服务工程师",
    ).user


#: (type, priority, hours ago, final state, filed by) per East request.
EAST = [
    # waiting in the queue: two of them past their response time
    (RequestType.REPAIR, Priority.HIGH, 9, "new", "service"),
    (RequestType.REPAIR, Priority.NORMAL, 30, "new", "service"),
    (RequestType.COMPLAINT, Priority.NORMAL, 1, "new", "rep"),
    (RequestType.CONSULTATION, Priority.LOW, 3, "new", "service"),
    (RequestType.REPAIR, Priority.URGENT, 0.5, "new", "service"),
    (RequestType.OTHER, Priority.NORMAL, 2, "new", "rep_b"),
    # assigned to the service agent, not started: one past its response time
    (RequestType.REPAIR, Priority.NORMAL, 2, "assigned", "service"),
    (RequestType.REPAIR, Priority.HIGH, 6, "assigned", "service"),
    (RequestType.CONSULTATION, Priority.NORMAL, 5, "assigned", "rep"),
    # in progress: two past their resolution time, one due within hours
    (RequestType.REPAIR, Priority.HIGH, 30, "in_progress", "service"),
    (RequestType.REPAIR, Priority.NORMAL, 80, "in_progress", "service"),
    (RequestType.COMPLAINT, Priority.NORMAL, 45, "in_progress", "rep"),
    (RequestType.REPAIR, Priority.NORMAL, 20, "in_progress", "service"),
    (RequestType.CONSULTATION, Priority.NORMAL, 60, "in_progress", "service"),
    # resolved, waiting to be closed
    (RequestType.REPAIR, Priority.NORMAL, 50, "resolved", "service"),
    (RequestType.CONSULTATION, Priority.LOW, 40, "resolved", "service"),
    (RequestType.COMPLAINT, Priority.HIGH, 70, "resolved", "rep_b"),
    # closed with the customer's score
    (RequestType.REPAIR, Priority.NORMAL, 240, "closed", "service"),
    (RequestType.PRAISE, Priority.LOW, 200, "closed", "rep"),
    (RequestType.COMPLAINT, Priority.NORMAL, 300, "closed", "rep"),
    (RequestType.REPAIR, Priority.HIGH, 400, "closed", "service"),
    (RequestType.PRAISE, Priority.NORMAL, 100, "closed", "service"),
    (RequestType.CONSULTATION, Priority.NORMAL, 500, "cancelled", "rep"),
]

SOUTH = [
    (RequestType.REPAIR, Priority.NORMAL, 12, "new", "rep2"),
    (RequestType.COMPLAINT, Priority.HIGH, 4, "new", "rep2"),
    (RequestType.CONSULTATION, Priority.NORMAL, 1, "new", "service2"),
    (RequestType.REPAIR, Priority.HIGH, 40, "in_progress", "service2"),
    (RequestType.REPAIR, Priority.NORMAL, 10, "assigned", "service2"),
    (RequestType.PRAISE, Priority.LOW, 150, "closed", "rep2"),
    (RequestType.REPAIR, Priority.NORMAL, 220, "closed", "service2"),
]

#: The steps from new to each final state.
PATHS = {
    "new": [],
    "assigned": [Step.CLAIM],
    "in_progress": [Step.CLAIM, Step.START],
    "resolved": [Step.CLAIM, Step.START, Step.RESOLVE],
    "closed": [Step.CLAIM, Step.START, Step.RESOLVE, Step.CLOSE],
    "cancelled": [Step.CANCEL],
}


#: When each step happens, in hours after the request came in (given its age).
STEP_HOURS = {
    Step.CLAIM: lambda age: min(0.2, age / 3),
    Step.START: lambda age: min(0.5, age * 2 / 3),
    Step.RESOLVE: lambda age: max(age * 0.4, 1),
    Step.CLOSE: lambda age: max(age * 0.8, 2),
    Step.CANCEL: lambda age: age / 2,
}


def _requests(specs, *, users, agent, customers, products, rng, now) -> int:
    made = 0
    for index, (request_type, priority, hours_ago, state, filer) in enumerate(specs):
        customer = customers[index % len(customers)]
        # A sales person files requests for their own customers only.
        by = users[filer] if filer.startswith("service") else customer.owner
        contact = customer.contacts.filter(is_active=True).order_by("id").first()
        created_at = now - timedelta(hours=hours_ago)
        employees = []
        if request_type in (RequestType.COMPLAINT, RequestType.PRAISE) and customer.owner_id:
            employees = [customer.owner_id]
            if request_type == RequestType.PRAISE and agent is not None:
                employees.append(agent.pk)
        request = service_request_create(
            by=by,
            customer=customer,
            contact=contact,
            product=products[index % len(products)] if request_type == RequestType.REPAIR else None,
            request_type=request_type,
            priority=priority,
            channel=rng.choice([Channel.PHONE, Channel.PHONE, Channel.WECHAT, Channel.EMAIL]),
            subject=rng.choice(SUBJECTS[request_type]),
            description=f"客户来电反映：{rng.choice(SUBJECTS[request_type])}。{DEMO_MARK}",
            employees=employees,
            now=created_at,
        )
        steps = PATHS[state]
        for step in steps:
            # Claimed and started soon after it came in (answered in time);
            # resolved and closed later -- the open ones breach by age alone.
            at = created_at + timedelta(hours=STEP_HOURS[step](hours_ago))
            kwargs = {"by": by, "note": "客户自行解决"} if step == Step.CANCEL else {"by": agent}
            if step == Step.RESOLVE:
                kwargs["resolution"] = "已上门检查并处理，设备恢复正常。"
            if step == Step.CLOSE:
                kwargs["satisfaction"] = (
                    2 if request_type == RequestType.COMPLAINT else rng.choice([4, 5, 5])
                )
            request = service_request_transition(request=request, step=step, now=at, **kwargs)
        made += 1
    return made


def _customers_of(usernames, users) -> list[Customer]:
    return list(
        Customer.objects.filter(owner__in=[users[u] for u in usernames if u in users])
        .filter(is_archived=False)
        .order_by("id")[:12]
    )


@transaction.atomic
def seed_requests(stdout) -> None:
    if ServiceRequest.objects.filter(description__endswith=DEMO_MARK).exists():
        stdout.write("service: demo requests exist already")
        return
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["service", "rep", "rep_b", "manager", "rep2", "branch_mgr"]
        )
    }
    south_agent = _south_agent()
    if south_agent is not None:
        users["service2"] = south_agent
    if "service" not in users:
        stdout.write("service: skipped, the demo user 'service' is missing")
        return
    products = list(Product.objects.filter(is_active=True).order_by("code")[:5]) or [None]
    rng = random.Random(12)
    now = timezone.now()
    east = _customers_of(["rep", "rep_b", "manager"], users)
    made = 0
    if east:
        made += _requests(
            EAST,
            users=users,
            agent=users["service"],
            customers=east,
            products=products,
            rng=rng,
            now=now,
        )
    south = _customers_of(["rep2"], users)
    if south and south_agent is not None:
        made += _requests(
            SOUTH,
            users=users,
            agent=south_agent,
            customers=south,
            products=products,
            rng=rng,
            now=now,
        )
    escalated = escalate(now=now)
    stdout.write(f"service: {made} demo requests, {escalated} SLA breaches escalated")


CARE_RULES = [
    # name, kind, title, extra fields
    (
        "交付后 7 天回访",
        CareRule.Kind.AFTER_DELIVERY,
        "交付后回访：确认使用情况",
        {"days_after": 7},
    ),
    (
        "A 类客户季度拜访",
        CareRule.Kind.PERIODIC,
        "季度关怀拜访",
        {"every_months": 3, "value_grade": "A", "lead_days": 14},
    ),
    ("联系人生日祝福", CareRule.Kind.BIRTHDAY, "生日祝福", {"lead_days": 7}),
]


def _holidays(today: date) -> list[date]:
    """New Year's day, Spring Festival and National Day around today."""
    spring = {
        2025: date(2025, 1, 29),
        2026: date(2026, 2, 17),
        2027: date(2027, 2, 6),
        2028: date(2028, 1, 26),
    }
    days = []
    for year in (today.year, today.year + 1):
        days += [date(year, 1, 1), date(year, 10, 1)]
        if year in spring:
            days.append(spring[year])
    return sorted(days)


@transaction.atomic
def seed_care(stdout) -> None:
    today = timezone.localdate()
    made_rules = 0
    for name, kind, title, extra in CARE_RULES:
        _, created = CareRule.objects.get_or_create(
            name=name, defaults={"kind": kind, "task_title": title, **extra}
        )
        made_rules += created
    _, created = CareRule.objects.get_or_create(
        name="节日问候（重点客户）",
        defaults={
            "kind": CareRule.Kind.HOLIDAY,
            "task_title": "节日问候",
            "holidays": _holidays(today),
            "lead_days": 30,
            "value_grade": "A",
        },
    )
    made_rules += created
    rep = User.objects.filter(username="rep").first()
    if rep is not None and not CareTask.objects.filter(owner=rep).exists():
        # A few of the rep's contacts have their birthday in the coming days.
        contacts = Contact.objects.filter(customer__owner=rep, is_active=True).order_by("id")[:3]
        for offset, contact in enumerate(contacts, start=1):
            day = today + timedelta(days=offset * 2)
            # Leap years, so that any day of the year is a valid birthday.
            contact_update(
                contact=contact, by=rep, birthday=date(1980 + 4 * offset, day.month, day.day)
            )
    made = care_tasks_generate(today=today)
    if rep is not None:
        open_tasks = list(CareTask.objects.filter(owner=rep, status=CareTaskStatus.OPEN)[:2])
        if (
            len(open_tasks) == 2
            and not CareTask.objects.filter(
                owner=rep, status__in=[CareTaskStatus.DONE, CareTaskStatus.SKIPPED]
            ).exists()
        ):
            care_task_finish(
                task=open_tasks[0],
                status=CareTaskStatus.DONE,
                by=rep,
                note="已电话联系，客户满意。",
            )
            care_task_finish(
                task=open_tasks[1],
                status=CareTaskStatus.SKIPPED,
                by=rep,
                note="客户本周出差，改为下周拜访。",
            )
    stdout.write(f"service: {made_rules} care rules, {made} care to-dos created")


def seed(*, options, stdout) -> None:
    rules = seed_sla_rules()
    stdout.write(f"service: {rules} SLA rules created")
    seed_requests(stdout)
    seed_care(stdout)
