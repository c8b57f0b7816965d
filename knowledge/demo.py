"""Demo knowledge base, discussion groups and announcements (``seed_demo``).

Everything goes through the services and is looked up by title first, so a
second run adds nothing.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from crm.models import Branch, Department
from knowledge.models import (
    Announcement,
    ArticleKind,
    ArticleStatus,
    Audience,
    Category,
    DiscussionGroup,
)
from knowledge.services import (
    announcement_mark_read,
    announcement_publish,
    article_create,
    article_update,
    group_create,
    post_create,
    topic_start,
)

User = get_user_model()

# Chinese name, English name, order
CATEGORIES = [
    ("销售技巧", "Selling", 10),
    ("产品知识", "Products", 20),
    ("行业知识", "Industries", 30),
    ("公司制度", "Policies", 40),
    ("常见问题", "FAQ", 50),
]

P = "<div>{}</div>".format


def _html(*paragraphs: str) -> str:
    return "".join(P(p) for p in paragraphs)


# title, kind, category, tags, summary, body paragraphs, status, audience (branch/department codes)
ARTICLES = [
    (
        "如何应对客户的价格异议",
        ArticleKind.TIP,
        "销售技巧",
        ["报价", "谈判"],
        "先确认价值，再谈价格。",
        [
            "客户说“太贵了”时，先问清楚是和谁比较、比较的是哪一部分。",
            "把总拥有成本（采购、安装、运维、能耗）算给客户看，往往比直接让价更有效。",
            "需要折扣时，用交换条件：更长的合同期、预付款或更大的采购量。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "First visit checklist / 首次拜访清单",
        ArticleKind.TIP,
        "销售技巧",
        ["拜访", "visit"],
        "Prepare the first visit in ten minutes. 十分钟准备首次拜访。",
        [
            "Check the customer's 360° page: contacts, decision roles, past follow-ups.",
            "查看客户360°页面：联系人、决策角色、历史跟进记录。",
            "Bring two reference cases from the same industry. 带上两个同行业的成功案例。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "识别决策者的五个问题",
        ArticleKind.TIP,
        "销售技巧",
        ["决策树", "拜访"],
        "谁拍板、谁把关、谁使用。",
        [
            "这个项目最终由谁签字？预算由哪个部门出？",
            "技术评估由谁负责？采购流程需要经过哪些环节？",
            "把答案记录在联系人的决策角色里，决策树会自动提示缺口。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "精密数控机床 X200 产品介绍",
        ArticleKind.PRODUCT,
        "产品知识",
        ["X200", "机床"],
        "X200 系列的卖点与参数。",
        [
            "X200 定位精度 ±0.003mm，主轴转速 12000rpm，适合汽车零部件和模具加工。",
            "与竞品相比，X200 的换刀时间缩短 30%，维护周期延长到 2000 小时。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "X200 与 X300 的区别",
        ArticleKind.FAQ,
        "产品知识",
        ["X200", "X300", "机床"],
        "两款机型怎么选。",
        [
            "X300 行程更大，适合大型结构件；X200 更适合中小零件批量加工。",
            "两者共用同一套数控系统，培训可以通用。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "工业软件授权方式说明",
        ArticleKind.PRODUCT,
        "产品知识",
        ["软件", "授权"],
        "永久授权、订阅授权与并发授权。",
        [
            "永久授权一次付费，每年另收 15% 维保费。",
            "订阅授权按年付费，包含升级与技术支持。",
            "并发授权按同时在线用户数计费，适合多班次工厂。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "汽车零部件行业采购特点",
        ArticleKind.INDUSTRY,
        "行业知识",
        ["汽车", "采购"],
        "年度招标，认证周期长。",
        [
            "主机厂对供应商有 IATF 16949 认证要求，导入周期通常 6 到 12 个月。",
            "采购多为年度框架协议，年底前是预算窗口期。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "医疗器械行业客户画像",
        ArticleKind.INDUSTRY,
        "行业知识",
        ["医疗", "客户画像"],
        "质量体系和合规优先。",
        [
            "医疗器械企业重视 ISO 13485 体系，设备验证（IQ/OQ/PQ）资料必须齐全。",
            "决策链中质量部门的话语权很大，拜访时不要忽略质量经理。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "Semiconductor packaging: key terms / 半导体封装术语",
        ArticleKind.INDUSTRY,
        "行业知识",
        ["半导体", "glossary"],
        "Terms a rep meets in packaging fabs.",
        [
            "Wire bonding 引线键合, flip chip 倒装芯片, molding 塑封.",
            "良率（yield）是客户最关心的指标，任何方案都要说明对良率的影响。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "差旅费用报销制度",
        ArticleKind.POLICY,
        "公司制度",
        ["报销", "差旅"],
        "标准、时限与审批。",
        [
            "一线城市住宿标准每晚 500 元，其他城市 350 元。",
            "费用须在发生后 30 天内提交报销，超期需部门经理说明原因。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "合同审批权限表",
        ArticleKind.POLICY,
        "公司制度",
        ["合同", "审批"],
        "不同金额和折扣由谁审批。",
        [
            "合同金额 50 万元以下由分公司总经理审批；50 万元以上报总部审批。",
            "折扣超过 15% 的报价必须经销售总监审批。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "华东分公司客户拜访规范",
        ArticleKind.POLICY,
        "公司制度",
        ["拜访", "华东"],
        "仅华东分公司适用。",
        [
            "重点客户每月至少拜访一次，拜访后 24 小时内录入跟进记录。",
            "新客户首次拜访需由销售经理陪同。",
        ],
        ArticleStatus.PUBLISHED,
        ("branches", ["east"]),
    ),
    (
        "华东销售一部周会纪要模板",
        ArticleKind.TIP,
        "销售技巧",
        ["周会", "模板"],
        "仅华东销售一部适用。",
        ["本周新增商机、阶段推进、遇到的问题、需要的支持。", "每位销售代表发言不超过五分钟。"],
        ArticleStatus.PUBLISHED,
        ("departments", ["east_sales_1"]),
    ),
    (
        "系统登录不了怎么办？",
        ArticleKind.FAQ,
        "常见问题",
        ["登录", "账号"],
        "连续输错密码会被锁定。",
        ["连续 5 次输错密码，账号会被锁定 30 分钟。", "忘记密码请联系系统管理员重置。"],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "如何在系统里转交客户？",
        ArticleKind.FAQ,
        "常见问题",
        ["工作交接", "客户"],
        "员工离职或调岗时的工作交接。",
        [
            "销售经理在“组织 → 工作交接”中选择交出人和接收人，一次性转交全部记录。",
            "每条转交的记录都会保留变更历史。",
        ],
        ArticleStatus.PUBLISHED,
        None,
    ),
    (
        "2027 年价格体系调整（草稿）",
        ArticleKind.POLICY,
        "公司制度",
        ["价格", "报价"],
        "尚未发布。",
        ["拟对 X 系列产品统一上调 3%，软件订阅价格不变。"],
        ArticleStatus.DRAFT,
        None,
    ),
]

GROUPS = [
    (
        "华东大客户攻坚组",
        "讨论华东区重点项目的打法。",
        "branch_mgr",
        ["manager", "rep", "rep_b", "secretary"],
        [
            (
                "瑞丰物流项目下一步怎么推进？",
                "manager",
                [
                    "客户技术部已经认可方案，但采购部在压价，大家有什么建议？",
                    "可以先约采购总监吃个饭，了解他们的预算区间。",
                    "同意，另外把总拥有成本的测算表发给技术部，请他们帮忙内部推动。",
                ],
                ["rep", "rep_b"],
            ),
            (
                "年底冲刺：哪些商机可以提前签？",
                "branch_mgr",
                ["请各位把本季度预计签约的商机列出来，标注风险。", "我这边有两个，下周给出报价。"],
                ["rep"],
            ),
        ],
    ),
    (
        "产品与技术交流",
        "产品经理与销售、服务的技术问答。",
        "executive",
        ["manager", "rep", "rep2", "service"],
        [
            (
                "X200 能否加工钛合金？",
                "rep2",
                [
                    "客户问 X200 能不能加工钛合金零件，精度要求 0.005mm。",
                    "可以，但要配高压冷却选件，转速建议降到 8000rpm。",
                ],
                ["service"],
            )
        ],
    ),
]

ANNOUNCEMENTS = [
    (
        "关于启用新版 CRM 系统的通知",
        [
            "各分公司：新版 CRM 系统自即日起正式启用，"
            "请全体销售人员在本周内完成登录和客户资料核对。",
            "如有问题请在“知识库 → 讨论组”中反馈。",
        ],
        None,
        ["rep", "manager", "branch_mgr"],
    ),
    (
        "华东分公司第四季度销售冲刺安排",
        ["华东分公司全体同事：第四季度冲刺期间，每周五下午召开商机评审会。"],
        ["east"],
        ["manager"],
    ),
    (
        "2027 年度销售政策发布",
        ["2027 年度销售政策已发布，详见知识库“公司制度”分类，请各分公司组织学习。"],
        None,
        [],
    ),
]


def _user(username: str):
    return User.objects.filter(username=username).first()


def seed_categories() -> dict[str, Category]:
    categories = {}
    for name, name_en, order in CATEGORIES:
        categories[name], _ = Category.objects.get_or_create(
            name=name, defaults={"name_en": name_en, "order": order}
        )
    return categories


def seed_articles(categories, author, editor) -> int:
    from knowledge.models import Article

    created = 0
    for title, kind, category, tags, summary, body, status, audience in ARTICLES:
        if Article.objects.filter(title=title).exists():
            continue
        options = {}
        if audience is not None:
            kind_of, codes = audience
            if kind_of == "branches":
                options = {
                    "audience": Audience.BRANCHES,
                    "branches": Branch.objects.filter(code__in=codes),
                }
            else:
                names = {"east_sales_1": "华东销售一部"}
                options = {
                    "audience": Audience.DEPARTMENTS,
                    "departments": Department.objects.filter(name__in=[names[c] for c in codes]),
                }
        article = article_create(
            by=author,
            title=title,
            kind=kind,
            category=categories[category],
            tags=tags,
            summary=summary,
            body=_html(*body[:-1]) if len(body) > 1 else _html(*body),
            status=status,
            note="初稿",
            **options,
        )
        if len(body) > 1:  # a second version with the last paragraph added
            article_update(article=article, by=editor, body=_html(*body), note="补充内容")
        created += 1
    return created


def seed_groups() -> int:
    created = 0
    for name, description, owner, members, topics in GROUPS:
        if DiscussionGroup.objects.filter(name=name).exists():
            continue
        users = [u for u in (_user(m) for m in members) if u is not None]
        group = group_create(by=_user(owner), name=name, description=description, members=users)
        for title, author, posts, repliers in topics:
            topic = topic_start(by=_user(author), group=group, title=title, body=posts[0])
            for body, replier in zip(posts[1:], repliers, strict=False):
                post_create(topic=topic, by=_user(replier), body=body)
        created += 1
    return created


def seed_announcements(author) -> int:
    created = 0
    for title, body, branch_codes, readers in ANNOUNCEMENTS:
        if Announcement.objects.filter(title=title).exists():
            continue
        announcement = announcement_publish(
            by=author,
            title=title,
            body=_html(*body),
            to_all_branches=branch_codes is None,
            branches=Branch.objects.filter(code__in=branch_codes or []),
        )
        for username in readers:
            user = _user(username)
            if user is not None:
                announcement_mark_read(announcement=announcement, user=user)
        created += 1
    return created


def seed(*, options, stdout) -> None:
    executive = _user("executive")
    if executive is None:
        return
    with transaction.atomic():
        categories = seed_categories()
        articles = seed_articles(categories, executive, _user("admin") or executive)
        groups = seed_groups()
        announcements = seed_announcements(executive)
    stdout.write(
        f"knowledge: {articles} new articles, {groups} new groups, "
        f"{announcements} new announcements"
    )
