"""The product catalogue (QUO-1): services to create, change and archive
products, and the import from .xlsx or CSV.

The import is checked first and written only when the user confirms what the
check found: which rows create a product, which change one (and what
changes), which are already as the file says, and every row's errors named
by row and column. A file with any error writes nothing. The checked rows
travel to the confirmation signed (``django.core.signing``), bound to the
user and valid for an hour, so nothing is kept on the server in between; the
confirmation checks them again against the catalogue as it is then, and
writes them in one transaction with a history row per product.

Products are matched by their code. A row for an existing product may leave
any column out (a file of codes and new list prices is a price update); a
row for a new product needs at least its name and list price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from customers.imports import (
    MISSING_COLUMN,
    ImportFileError,
    cell_text,
    map_header,
    read_table,
    row_error,
)
from customers.resources import Column, header_key
from projects.models import Product

#: A catalogue file larger than this is refused before it is read.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
#: How long a checked file may wait for its confirmation.
CONFIRM_MAX_AGE = 60 * 60
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # max_digits=14, decimal_places=2

COLUMNS = (
    Column("code", ("code", "产品编码", "编码"), required=True),
    Column("name", ("name", "产品名称", "名称")),
    Column("category", ("category", "类别")),
    Column("unit", ("unit", "单位")),
    Column("list_price", ("list price", "目录价", "价格")),
    Column("cost", ("cost", "成本")),
    Column("tax_rate", ("tax rate (%)", "税率（%）", "tax rate", "税率")),
    Column("is_active", ("on sale", "在售", "active")),
)
#: The columns in the order of the template and of the export.
FIELDS = tuple(column.field for column in COLUMNS)
TEXT_LIMITS = {"code": 40, "name": 200, "category": 100, "unit": 20}
AMOUNTS = ("list_price", "cost", "tax_rate")
#: The columns that are money (exported with the currency number format).
MONEY_FIELDS = ("list_price", "cost")

YES = {"1", "y", "yes", "true", "on", "是", "在售", "启用", "有效", "√", "✓"}
NO = {"0", "n", "no", "false", "off", "否", "停售", "停用", "无效", "×", "✗"}

# Messages (tests assert these).
FILE_TOO_LARGE = _("The file is larger than %(limit)s MB.")
TOO_MANY_ROWS = _("The file has more than %(limit)s rows; split it into smaller files.")
NO_ROWS = _("The file has a header row but no data rows.")
REQUIRED = _("a value is required.")
REQUIRED_FOR_NEW = _("a new product needs a value here.")
TOO_LONG = _("at most %(limit)s characters.")
NOT_AMOUNT = _("“%(value)s” is not an amount.")
NEGATIVE = _("must not be negative.")
TOO_LARGE = _("is too large.")
NOT_RATE = _("“%(value)s” is not a rate from 0 to 100.")
NOT_YES_NO = _("“%(value)s” is neither yes nor no.")
REPEATED_CODE = _("the code %(code)s is also in row %(row)s.")
EXPIRED = _("This check has expired or was not yours; upload the file again.")
CHANGED_MEANWHILE = _(
    "The catalogue changed while you were confirming (%(detail)s); upload the file again."
)
NOTHING_TO_IMPORT = _("The file changes nothing in the catalogue.")
NOT_ALLOWED = _("You may not change the product catalogue.")


# --- Services ---------------------------------------------------------------------------


def _require(by, permission: str) -> None:
    if not by.has_perm(permission):
        raise PermissionDenied(NOT_ALLOWED)


def _save(product: Product, by, reason: str) -> Product:
    product._history_user = by
    product._change_reason = reason
    product.full_clean()
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:  # a code taken between the check and the save
        raise ValidationError({"code": _("A product with this code already exists.")}) from exc
    return product


def product_create(*, by, **values) -> Product:
    _require(by, "projects.add_product")
    return _save(Product(**values), by, "")


def product_update(*, product: Product, by, **values) -> Product:
    _require(by, "projects.change_product")
    for name, value in values.items():
        setattr(product, name, value)
    return _save(product, by, "")


def product_set_active(*, product: Product, by, active: bool) -> Product:
    """Archive a product (offered in no new quote or order; what was quoted
    and ordered keeps it) or put it back on sale."""
    _require(by, "projects.change_product")
    if product.is_active == active:
        return product
    product.is_active = active
    return _save(product, by, str(_("Put on sale") if active else _("Archived")))


# --- Import: checking ---------------------------------------------------------------------


@dataclass
class CheckedRow:
    number: int
    code: str
    values: dict  # field -> clean value as text (only the columns present and non-empty)
    action: str = ""  # create, update, unchanged
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new)


@dataclass
class ImportCheck:
    """What a file would do to the catalogue."""

    rows: list[CheckedRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def writable(self) -> bool:
        return not self.errors and (self.created or self.updated) > 0

    def payload(self, *, user) -> str:
        """The checked rows, signed for this user, for the confirmation."""
        rows = [[row.number, row.values] for row in self.rows if row.action != "unchanged"]
        return signing.dumps(rows, salt=_salt(user), compress=True)


def _salt(user) -> str:
    return f"projects.products.import:{user.pk}"


def _amount(text: str) -> Decimal:
    cleaned = re.sub(r"[\s,，¥￥]", "", text).removesuffix("元")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(NOT_AMOUNT % {"value": text}) from None
    if not value.is_finite():
        raise ValueError(NOT_AMOUNT % {"value": text})
    if value < 0:
        raise ValueError(NEGATIVE)
    value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if value > MAX_AMOUNT:
        raise ValueError(TOO_LARGE)
    return value


def _rate(text: str) -> Decimal:
    try:
        value = _amount(text.strip().removesuffix("%").removesuffix("％"))
    except ValueError:
        raise ValueError(NOT_RATE % {"value": text}) from None
    if value > 100:
        raise ValueError(NOT_RATE % {"value": text})
    return value


def _yes_no(text: str) -> bool:
    key = header_key(text)
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValueError(NOT_YES_NO % {"value": text})


def clean_value(name: str, raw) -> str | Decimal | bool:
    """One cell as the product field wants it; ``ValueError`` with the message."""
    text = cell_text(raw)
    if name in TEXT_LIMITS:
        if len(text) > TEXT_LIMITS[name]:
            raise ValueError(TOO_LONG % {"limit": TEXT_LIMITS[name]})
        return text
    if name == "tax_rate":
        return _rate(text)
    if name in AMOUNTS:
        return _amount(text)
    return _yes_no(text)


def _labels() -> dict[str, str]:
    return {column.field: column.header() for column in COLUMNS}


def _as_text(value) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return "" if value is None else str(value)


def _compare(row: CheckedRow, product: Product | None, labels: dict[str, str]) -> None:
    if product is None:
        row.action = "create"
        return
    for name, value in row.values.items():
        old = getattr(product, name)
        if name in AMOUNTS:
            value = Decimal(value)
        if old != value:
            row.changes.append((labels[name], _as_text(old), _as_text(value)))
    row.action = "update" if row.changes else "unchanged"


def import_check(*, upload, by) -> ImportCheck:
    """Read and check an uploaded catalogue file; write nothing."""
    _require(by, "projects.add_product")
    _require(by, "projects.change_product")
    if upload.size > MAX_FILE_BYTES:
        raise ImportFileError(FILE_TOO_LARGE % {"limit": MAX_FILE_BYTES // (1024 * 1024)})
    table = read_table(upload, upload.name)
    layout, header_errors = map_header(table.header, COLUMNS)
    check = ImportCheck(errors=header_errors, ignored_columns=layout.ignored)
    check.encoding = table.encoding
    if header_errors:
        return check
    labels = _labels()
    header_label = {name: layout.labels[name] for name in layout.positions}
    seen: dict[str, int] = {}
    coded: list[tuple[CheckedRow, set[str], bool]] = []  # (row, columns filled, no errors)
    for count, (number, cells) in enumerate(table.rows, start=1):
        if count > MAX_ROWS:
            raise ImportFileError(TOO_MANY_ROWS % {"limit": f"{MAX_ROWS:,}"})
        values, row_errors, filled = {}, [], set()
        for name, index in layout.positions.items():
            raw = cells[index] if index < len(cells) else None
            if cell_text(raw) == "":
                continue
            filled.add(name)
            try:
                values[name] = clean_value(name, raw)
            except ValueError as exc:
                row_errors.append(row_error(number, header_label[name], exc.args[0]))
        code = values.get("code", "")
        if not code and not any(e["column"] == header_label["code"] for e in row_errors):
            row_errors.append(row_error(number, header_label["code"], REQUIRED))
        elif code in seen:
            row_errors.append(
                row_error(
                    number, header_label["code"], REPEATED_CODE % {"code": code, "row": seen[code]}
                )
            )
        elif code:
            seen[code] = number
        check.errors.extend(row_errors)
        serialised = {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}
        row = CheckedRow(number=number, code=code, values=serialised)
        if code:  # a row with errors is still checked for what a new product needs
            coded.append((row, filled, not row_errors))
    if not coded and not check.errors:
        raise ImportFileError(NO_ROWS)
    existing = Product.objects.in_bulk([row.code for row, _f, _ok in coded], field_name="code")
    for row, filled, valid in coded:
        product = existing.get(row.code)
        if product is None:
            for name in ("name", "list_price"):
                if name not in filled:
                    column = header_label.get(name, labels[name])
                    message = REQUIRED_FOR_NEW if name in layout.positions else MISSING_COLUMN
                    check.errors.append(row_error(row.number, column, message))
        if valid:
            _compare(row, product, labels)
            check.rows.append(row)
    check.errors.sort(key=lambda error: error["row"])
    return check


# --- Import: writing ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _product_values(values: dict) -> dict:
    return {k: Decimal(v) if k in AMOUNTS else v for k, v in values.items() if k != "code"}


def import_confirm(*, payload: str, by, file_name: str = "") -> ImportResult:
    """Write a checked file: all of it in one transaction, or nothing."""
    _require(by, "projects.add_product")
    _require(by, "projects.change_product")
    try:
        rows = signing.loads(payload, salt=_salt(by), max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature as exc:
        raise ValidationError(EXPIRED) from exc
    if not rows:
        raise ValidationError(NOTHING_TO_IMPORT)
    reason = str(_("Imported from %(file)s") % {"file": file_name}) if file_name else ""
    by_code = {values["code"]: values for _number, values in rows}
    try:
        with transaction.atomic():
            existing = {
                product.code: product
                for product in Product.objects.select_for_update().filter(code__in=by_code)
            }
            new, changed, fields = [], [], set()
            for code, values in by_code.items():
                product = existing.get(code)
                if product is None:
                    if "name" not in values or "list_price" not in values:
                        raise ValidationError(
                            CHANGED_MEANWHILE
                            % {"detail": _("%(code)s was deleted") % {"code": code}}
                        )
                    product = Product(code=code, **_product_values(values))
                    product.full_clean(validate_unique=False)
                    new.append(product)
                    continue
                for name, value in _product_values(values).items():
                    setattr(product, name, value)
                    fields.add(name)
                product.full_clean(validate_unique=False)
                changed.append(product)
            if new:
                bulk_create_with_history(
                    new, Product, default_user=by, default_change_reason=reason
                )
            if changed:
                bulk_update_with_history(
                    changed, Product, sorted(fields), default_user=by, default_change_reason=reason
                )
    except IntegrityError as exc:  # a code created by someone else in between
        raise ValidationError(
            CHANGED_MEANWHILE % {"detail": _("a product code was taken")}
        ) from exc
    return ImportResult(created=len(new), updated=len(changed))


def export_rows(queryset) -> list[list]:
    """The catalogue as the import reads it back (a round trip)."""
    return [
        [
            product.code,
            product.name,
            product.category,
            product.unit,
            product.list_price,
            product.cost,
            product.tax_rate,
            _as_text(product.is_active),
        ]
        for product in queryset
    ]
