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
    kind: str = "text"  # text, choice, date, int, tags, owner, customer
    required: bool = False
    choices: type[TextChoices] | None = None

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
    Column("type", ("type", "客户类型", "类型", "customer type"), "choice", choices=CustomerType),
    Column("industry", ("industry", "行业"), "choice", choices=Industry),
    Column("region", ("region", "地区", "区域")),
    Column("address", ("address", "地址")),
    Column("phone", ("phone", "电话", "联系电话")),
    Column("website", ("website", "网址", "网站")),
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
)

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


def _resource_fields(columns: tuple[Column, ...], language: str | None) -> dict:
    return {
        column.field: fields.Field(attribute=column.field, column_name=column.header(language))
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
