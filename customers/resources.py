"""The columns of the customer and contact imports (IMP-1), as django-import-export
resources.

The resources name the columns (one canonical header per column, plus the
headers accepted in either language) and build the downloadable templates
through tablib. They are not the write path: ``Resource.import_data`` saves
row by row and holds the whole file in memory, about a hundred times too slow
for 100,000 rows, so ``customers.imports`` reads the file in chunks and writes
in bulk, with the same column declarations.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import tablib
from django.db.models import TextChoices
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from customers.models import (
    Attitude,
    CompanySize,
    Contact,
    CreditStatus,
    Customer,
    CustomerSource,
    CustomerType,
    DecisionRole,
    Industry,
    ValueGrade,
)


@dataclass(frozen=True)
class Column:
    """One importable column: the model field it fills and the headers it answers to.

    ``headers[0]`` is the English header, ``headers[1]`` the Chinese one; both
    go into the templates (by the user's language) and every header is
    matched case-, width- and space-insensitively.
    """

    field: str
    headers: tuple[str, ...]
    kind: str = "text"  # text, choice, date, int, tags, owner, customer, contact, website
    required: bool = False
    choices: type[TextChoices] | None = None
    #: For ``kind="contact"`` (a contact's cell in a customer file): the Contact field.
    contact_field: str = ""

    def header(self, language: str | None = None) -> str:
        language = language or get_language() or ""
        return self.headers[1] if language.startswith("zh") else self.headers[0]


def header_key(value) -> str:
    """How a header cell is compared: NFKC, lower case, no spaces, ``_``, ``*``."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    return "".join(ch for ch in text if ch not in " _*-\t")


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("name", ("name", "客户名称", "名称", "customer name", "company"), required=True),
    Column("short_name", ("short_name", "简称", "客户简称", "short name")),
    Column("credit_code", ("credit_code", "统一社会信用代码", "信用代码", "credit code", "uscc")),
    Column(
        "type",
        ("type", "客户类型", "类型", "customer type", "客户性质", "客户分类"),
        "choice",
        choices=CustomerType,
    ),
    Column(
        "industry",
        ("industry", "行业", "所属行业", "行业类别", "sector"),
        "choice",
        choices=Industry,
    ),
    Column("region", ("region", "地区", "区域")),
    Column("address", ("address", "地址")),
    Column("phone", ("phone", "电话", "联系电话")),
    Column("website", ("website", "网址", "网站", "主页", "官网", "homepage"), "website"),
    Column("size", ("size", "规模", "企业规模"), "choice", choices=CompanySize),
    Column("source", ("source", "来源", "客户来源"), "choice", choices=CustomerSource),
    Column("value_grade", ("value_grade", "价值等级", "客户等级"), "choice", choices=ValueGrade),
    Column(
        "credit_status",
        ("credit_status", "信用状态", "credit status"),
        "choice",
        choices=CreditStatus,
    ),
    Column("tags", ("tags", "标签"), "tags"),
    Column("notes", ("notes", "备注")),
    Column("owner", ("owner", "负责人"), "owner"),
    # A contact imported with the customer (files from other CRMs often carry one).
    Column(
        "contact_name",
        ("contact name", "联系人", "联系人姓名", "contact"),
        "contact",
        contact_field="name",
    ),
    Column(
        "contact_title",
        ("contact title", "联系人职务", "职务", "职位", "title"),
        "contact",
        contact_field="title",
    ),
    Column(
        "contact_mobile",
        ("contact mobile", "联系人手机", "手机", "手机号", "手机号码", "mobile"),
        "contact",
        contact_field="mobile",
    ),
    Column(
        "contact_email",
        ("contact email", "联系人邮箱", "邮箱", "电子邮件", "email", "e-mail"),
        "contact",
        contact_field="email",
    ),
)
#: The customer columns that fill the customer itself (not its contact).
CUSTOMER_FIELDS = tuple(c.field for c in CUSTOMER_COLUMNS if c.kind != "contact")

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column(
        "customer",
        ("customer", "客户", "客户名称", "所属客户", "统一社会信用代码"),
        "customer",
        required=True,
    ),
    Column("name", ("name", "姓名", "联系人", "联系人姓名"), required=True),
    Column("title", ("title", "职务", "职位", "job title")),
    Column("department_name", ("department", "部门", "所在部门")),
    Column("phone", ("phone", "电话", "座机")),
    Column("mobile", ("mobile", "手机", "手机号")),
    Column("email", ("email", "邮箱", "电子邮件", "e-mail")),
    Column("wechat", ("wechat", "微信")),
    Column("birthday", ("birthday", "生日"), "date"),
    Column("interests", ("interests", "兴趣爱好", "爱好")),
    Column("notes", ("notes", "备注")),
    Column(
        "decision_role",
        ("decision_role", "决策角色", "decision role"),
        "choice",
        choices=DecisionRole,
    ),
    Column("influence", ("influence", "影响力"), "int"),
    Column("attitude", ("attitude", "态度"), "choice", choices=Attitude),
)


#: Other common words for the built-in options, in both languages (files from
#: other CRMs and spreadsheets), besides the code and the labels.
SYNONYMS: dict[type[TextChoices], dict[str, tuple[str, ...]]] = {
    CustomerType: {
        CustomerType.END_CUSTOMER: (
            "终端客户",
            "终端用户",
            "最终用户",
            "直接客户",
            "直客",
            "终端",
            "用户单位",
            "业主",
            "end user",
            "end-user",
            "direct customer",
            "direct",
            "customer",
            "client",
        ),
        CustomerType.DISTRIBUTOR: (
            "分销商",
            "代理商",
            "代理",
            "渠道商",
            "渠道",
            "经销",
            "批发商",
            "总代",
            "reseller",
            "dealer",
            "agent",
            "channel",
            "var",
            "wholesaler",
        ),
        CustomerType.PARTNER: (
            "伙伴",
            "合作方",
            "合作商",
            "合作单位",
            "集成商",
            "系统集成商",
            "alliance",
            "integrator",
            "system integrator",
            "si",
        ),
    },
    Industry: {
        Industry.MANUFACTURING: (
            "制造",
            "工业",
            "加工制造",
            "机械",
            "汽车",
            "电子",
            "化工",
            "industrial",
            "industry",
        ),
        Industry.IT: (
            "it",
            "互联网",
            "软件",
            "计算机",
            "通信",
            "电信",
            "软件和信息技术服务业",
            "信息传输、软件和信息技术服务业",
            "科技",
            "高科技",
            "technology",
            "software",
            "internet",
            "telecom",
            "telecommunications",
            "tech",
        ),
        Industry.FINANCE: (
            "金融业",
            "银行",
            "保险",
            "证券",
            "基金",
            "投资",
            "banking",
            "insurance",
            "financial services",
            "financial",
        ),
        Industry.ENERGY: (
            "电力",
            "石油",
            "石化",
            "新能源",
            "煤炭",
            "燃气",
            "utilities",
            "power",
            "oil and gas",
        ),
        Industry.HEALTHCARE: (
            "医疗",
            "医药",
            "卫生",
            "医院",
            "生物医药",
            "医疗器械",
            "卫生和社会工作",
            "health",
            "medical",
            "pharmaceutical",
            "pharma",
            "life sciences",
        ),
        Industry.EDUCATION: (
            "学校",
            "高校",
            "大学",
            "培训",
            "教育培训",
            "school",
            "university",
            "training",
        ),
        Industry.RETAIL: (
            "零售业",
            "商贸",
            "批发和零售业",
            "批发零售",
            "贸易",
            "电商",
            "电子商务",
            "快消",
            "wholesale",
            "e-commerce",
            "ecommerce",
            "trade",
            "fmcg",
        ),
        Industry.LOGISTICS: (
            "运输",
            "交通运输",
            "交通运输、仓储和邮政业",
            "仓储",
            "快递",
            "物流运输",
            "供应链",
            "transportation",
            "transport",
            "shipping",
            "supply chain",
        ),
        Industry.CONSTRUCTION: (
            "建筑业",
            "建设",
            "工程",
            "房地产",
            "房地产业",
            "real estate",
            "engineering",
        ),
        Industry.GOVERNMENT: (
            "政府",
            "政府机关",
            "机关",
            "事业单位",
            "公共管理",
            "政务",
            "国家机构",
            "public sector",
            "public administration",
            "public",
        ),
    },
    CompanySize: {
        CompanySize.MICRO: ("微型", "微型企业", "20人以下", "1-19", "<20"),
        CompanySize.SMALL: ("小型", "小型企业", "小企业", "20-99"),
        CompanySize.MEDIUM: ("中型", "中型企业", "中企业", "100-999"),
        CompanySize.LARGE: ("大型", "大型企业", "大企业", "1000-9999"),
        CompanySize.HUGE: ("特大型", "特大型企业", "超大型", "10000+", "10000以上"),
    },
    CustomerSource: {
        CustomerSource.REFERRAL: ("转介绍", "推荐", "老客户介绍", "介绍", "口碑", "recommendation"),
        CustomerSource.CAMPAIGN: (
            "活动",
            "营销活动",
            "研讨会",
            "会议营销",
            "marketing",
            "event",
            "seminar",
        ),
        CustomerSource.EXHIBITION: ("展览", "展览会", "博览会", "trade show", "fair", "expo"),
        CustomerSource.WEBSITE: (
            "网站",
            "网络",
            "官方网站",
            "线上",
            "互联网",
            "web",
            "online",
            "inbound",
        ),
        CustomerSource.COLD_CALL: (
            "电话营销",
            "陌拜",
            "陌生拜访",
            "电销",
            "外呼",
            "telemarketing",
            "cold calling",
        ),
        CustomerSource.PARTNER: ("渠道", "代理商推荐", "channel"),
        CustomerSource.OTHER: ("其它", "未知", "unknown", "others"),
    },
    ValueGrade: {
        ValueGrade.A: ("a级", "a类", "重点", "重点客户", "vip", "key account", "key"),
        ValueGrade.B: ("b级", "b类", "重要", "重要客户", "important"),
        ValueGrade.C: ("c级", "c类", "普通", "普通客户", "一般客户", "regular", "normal"),
        ValueGrade.D: ("d级", "d类", "低价值", "低价值客户", "low"),
    },
    CreditStatus: {
        CreditStatus.GOOD: ("好", "优", "优良", "优秀", "excellent", "ok"),
        CreditStatus.NORMAL: ("一般", "普通", "中", "average", "fair"),
        CreditStatus.WATCH: ("观察", "关注中", "预警", "警告", "warning", "watch"),
        CreditStatus.BLOCKED: (
            "冻结中",
            "黑名单",
            "禁止",
            "停止合作",
            "blacklist",
            "blacklisted",
            "frozen",
        ),
    },
    DecisionRole: {
        DecisionRole.USER: ("用户", "使用人", "使用部门", "end user"),
        DecisionRole.INFLUENCER: ("影响人", "技术把关", "顾问", "influence"),
        DecisionRole.BUYER: ("采购", "采购人", "采购员", "采购部", "procurement", "purchaser"),
        DecisionRole.DECIDER: (
            "决策人",
            "拍板人",
            "拍板",
            "决策",
            "关键决策人",
            "decision maker",
            "decision-maker",
        ),
        DecisionRole.GATEKEEPER: ("守门人", "把关人", "前台", "秘书", "assistant"),
    },
    Attitude: {
        Attitude.CHAMPION: ("拥护者", "教练", "内线", "coach", "advocate", "sponsor"),
        Attitude.SUPPORTER: ("支持", "友好", "support", "supportive", "friendly"),
        Attitude.NEUTRAL: ("中立者", "一般", "未表态", "indifferent"),
        Attitude.SKEPTIC: ("怀疑", "观望", "doubtful", "sceptic", "sceptical", "skeptical"),
        Attitude.OPPONENT: ("反对", "敌对", "against", "hostile"),
    },
}


def _resource_fields(columns: tuple[Column, ...], language: str | None) -> dict:
    return {
        column.field: fields.Field(
            attribute=None if column.kind == "contact" else column.field,
            column_name=column.header(language),
        )
        for column in columns
    }


def customer_resource(language: str | None = None) -> resources.ModelResource:
    """A resource of the customer columns, headed in ``language`` (default: the active one)."""

    attrs = _resource_fields(CUSTOMER_COLUMNS, language)
    attrs["owner"] = fields.Field(
        attribute="owner__username", column_name=CUSTOMER_COLUMNS[-1].header(language)
    )
    attrs["Meta"] = type(
        "Meta", (), {"model": Customer, "fields": tuple(c.field for c in CUSTOMER_COLUMNS)}
    )
    return type("CustomerResource", (resources.ModelResource,), attrs)()


def contact_resource(language: str | None = None) -> resources.ModelResource:
    attrs = _resource_fields(CONTACT_COLUMNS, language)
    attrs["customer"] = fields.Field(
        attribute="customer__name", column_name=CONTACT_COLUMNS[0].header(language)
    )
    attrs["Meta"] = type(
        "Meta", (), {"model": Contact, "fields": tuple(c.field for c in CONTACT_COLUMNS)}
    )
    return type("ContactResource", (resources.ModelResource,), attrs)()


TEMPLATE_TITLE = {"customers": _("Customers"), "contacts": _("Contacts")}


def import_template(kind: str, language: str | None = None) -> bytes:
    """An empty xlsx with the column headers of ``kind`` (customers or contacts)."""
    resource = customer_resource(language) if kind == "customers" else contact_resource(language)
    dataset = tablib.Dataset(headers=resource.get_export_headers())
    dataset.title = str(TEMPLATE_TITLE[kind])
    return dataset.export("xlsx")
