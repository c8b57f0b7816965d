"""Import of customers and contacts from xlsx and CSV (IMP-1).

An import is an ``ImportJob``: the upload is checked first (every row
parsed and validated, duplicates flagged) and shown as a preview; the user
then picks what to do with duplicates and confirms, and ``customer_import``
writes the rows, all or nothing, in one transaction.

Both passes stream the file in chunks of ``CHUNK_SIZE`` rows, so memory does
not grow with the file. Duplicates are found with one query per key type
and chunk (credit code, normalised name, normalised phone) against the
existing records, and with in-memory sets against the earlier rows of the
file; never with a query per row. Rows are written in bulk: ``bulk_create``,
the history rows through simple-history's ``bulk_history_create``, the first
lifecycle events, and the search documents with one ``UPDATE … FROM unnest``
per chunk. The result is what ``customer_create`` / ``contact_create`` would
have written row by row (owner, department, branch, derived columns,
lifecycle event, history, search document).
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter
from psycopg import errors as psycopg_errors

from crm.inputs import strip_controls
from crm.scope import user_scope
from customers.models import (
    Contact,
    ContactJobChange,
    Customer,
    ImportJob,
    ImportMapping,
    LifecycleEvent,
)
from customers.normalize import (
    company_name_key,
    normalize_company_name,
    normalize_phone,
    normalize_text,
)
from customers.resources import (
    CONTACT_COLUMNS,
    CUSTOMER_COLUMNS,
    CUSTOMER_FIELDS,
    SYNONYMS,
    Column,
    header_key,
)
from customers.search import refresh_contact_search, refresh_customer_search

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
#: Imports up to this many rows write their search documents in their own
#: transaction; larger ones leave them to tasks run after the commit.
SEARCH_INLINE_ROWS = 5000
#: Files up to this size are checked and imported in the request; larger ones in Celery.
INLINE_MAX_BYTES = 256 * 1024
#: The preview lists at most this many errors and duplicate rows (the counts are exact).
MAX_LISTED = 1000
#: The preview offers at most this many unknown values per column to map.
MAX_UNKNOWN_VALUES = 100
#: Caps on what a file may hold; the work of a check is bounded by them.
MAX_ROWS = 300_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767  # Excel's own limit
MAX_SHARED_STRINGS = 1_000_000
#: Largest decompressed part (sheet, shared strings) of a workbook.
MAX_XML_BYTES = 512 * 1024 * 1024

# Messages (tests assert these).
EMPTY_FILE = gettext_lazy("The file is empty.")
NO_DATA_ROWS = gettext_lazy("The file has a header row but no data rows.")
NOT_XLSX = gettext_lazy("The file is not a valid Excel workbook (.xlsx); save it again as .xlsx.")
OLD_XLS = gettext_lazy("Old .xls workbooks are not supported; save the file as .xlsx or CSV.")
WRONG_TYPE = gettext_lazy("Upload an .xlsx or .csv file.")
WRONG_ENCODING = gettext_lazy(
    "The file is neither UTF-8 nor GBK/GB18030 text; save it as CSV UTF-8 or as .xlsx."
)
MISSING_COLUMN = gettext_lazy("the required column is missing.")
REQUIRED_VALUE = gettext_lazy("a value is required.")
UNKNOWN_OPTION = gettext_lazy("“%(value)s” is not one of: %(options)s.")
BAD_DATE = gettext_lazy("“%(value)s” is not a date (use YYYY-MM-DD).")
BAD_NUMBER = gettext_lazy("“%(value)s” is not a whole number from 1 to 5.")
UNKNOWN_OWNER = gettext_lazy("no active employee has the user name “%(value)s”.")
NO_DEFAULT_OWNER = gettext_lazy("you are not an employee; name an owner in this column.")
UPLOAD_EXPIRED = gettext_lazy("The uploaded file has been cleaned up; upload it again.")
OWNER_OUTSIDE_SCOPE = gettext_lazy(
    "“%(value)s” is outside your data scope; import only for employees you manage."
)
UNKNOWN_CUSTOMER = gettext_lazy(
    "no customer you can see is called or has the credit code “%(value)s”."
)
AMBIGUOUS_CUSTOMER = gettext_lazy(
    "several customers are called “%(value)s”; use the credit code instead."
)
ERROR_FORMAT = gettext_lazy("row %(row)s, column %(column)s: %(message)s")
IMPORT_CAUSE = gettext_lazy("Imported from %(file)s")
CLASH_CREDIT_CODE = gettext_lazy(
    "While this file was imported, someone else created a customer with one of its credit "
    "codes. Nothing was written; upload the file again to see it among the duplicates."
)
CLASH_OTHER = gettext_lazy(
    "While this file was imported, someone else wrote the same records. Nothing was "
    "written; upload the file again."
)
CLASH_DEADLOCK = gettext_lazy(
    "Another import was writing the same customers at the same moment. Nothing was "
    "written; confirm again in a moment."
)
DATABASE_FAILURE = gettext_lazy(
    "A value of the file could not be stored. Nothing was written; check the file and upload "
    "it again."
)
IMPORT_FAILED = gettext_lazy(
    "The import failed unexpectedly. Nothing was written; try again or ask an administrator."
)
CHECK_FAILED = gettext_lazy(
    "The file could not be checked because of an unexpected error; upload it again or ask an "
    "administrator."
)
IMPORT_STUCK = gettext_lazy(
    "The import stopped without finishing (its background worker was interrupted). Nothing "
    "was written; upload the file again."
)
CONTACT_FIELD_LABEL = gettext_lazy("Contact: %(field)s")
BAD_MAPPING = gettext_lazy("Choose one of the offered values.")
CONTACT_NEEDS_NAME = gettext_lazy("a contact needs a name; fill in the contact name column.")
NUL_IN_ROW = gettext_lazy(
    "Row %(row)s contains a NUL byte: the file is damaged or not a text file. "
    "Save it again as CSV UTF-8 or as .xlsx."
)
BAD_CSV_ROW = gettext_lazy("Row %(row)s cannot be read as CSV; save the file again as CSV UTF-8.")
TOO_MANY_ROWS = gettext_lazy("The file has more than %(limit)s rows; split it into smaller files.")
TOO_MANY_COLUMNS = gettext_lazy(
    "Row %(row)s has values in more than %(limit)s columns; delete the columns you do not import."
)
CELL_TOO_LONG = gettext_lazy("Row %(row)s has a cell longer than %(limit)s characters.")
TOO_MANY_STRINGS = gettext_lazy(
    "The workbook holds more than %(limit)s different texts; it is not an export of a "
    "customer list. Save only the sheet you import, as .xlsx or CSV."
)
SHEET_TOO_WIDE = gettext_lazy(
    "The sheet has cells up to column %(column)s; at most %(limit)s columns are read. "
    "Delete the columns you do not import."
)
XLSX_TOO_LARGE = gettext_lazy(
    "The workbook unpacks to more than the allowed size; save only the sheet you import."
)

ENCODING_UTF8 = "UTF-8"
ENCODING_UTF8_BOM = "UTF-8 with BOM"
ENCODING_GB18030 = "GB18030 (GBK)"
ENCODING_XLSX = "xlsx"

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
TAG_SEPARATORS = re.compile(r"[,，;；、|]")


class ImportFileError(Exception):
    """The file as a whole cannot be read (not one row's fault)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


class RowErrors(Exception):
    """Rows failed validation while writing: nothing is written."""

    def __init__(self, errors: list[dict], count: int):
        super().__init__(f"{count} errors")
        self.errors, self.count = errors, count


# --- Reading files --------------------------------------------------------------


@dataclass
class Table:
    encoding: str
    header: list
    rows: Iterator[tuple[int, list]]  # (row number as the user sees it, cells)
    estimated_rows: int


def decode_csv(raw: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding: UTF-8 (with or without BOM), else GB18030."""
    if b"\x00" in raw[:4096]:
        raise ImportFileError(WRONG_ENCODING)  # UTF-16 or binary
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8"), ENCODING_UTF8_BOM
        except UnicodeDecodeError as exc:
            raise ImportFileError(WRONG_ENCODING) from exc
    try:
        return raw.decode("utf-8"), ENCODING_UTF8
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), ENCODING_GB18030
    except UnicodeDecodeError as exc:
        raise ImportFileError(WRONG_ENCODING) from exc


def _non_empty(rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    for number, cells in rows:
        if any(cell not in (None, "") and str(cell).strip() for cell in cells):
            yield number, cells


def _bounded(rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    """The rows, refused with a message past ``MAX_ROWS`` rows, ``MAX_COLUMNS``
    filled columns or ``MAX_CELL_CHARS`` characters in a cell: the work an
    import does is bounded by what a real file holds."""
    for number, cells in rows:
        if number > MAX_ROWS + 1:
            raise ImportFileError(TOO_MANY_ROWS % {"limit": f"{MAX_ROWS:,}"})
        if len(cells) > MAX_COLUMNS:
            cells = list(cells)
            while len(cells) > MAX_COLUMNS and cells[-1] in (None, ""):
                cells.pop()
            if len(cells) > MAX_COLUMNS:
                raise ImportFileError(TOO_MANY_COLUMNS % {"row": number, "limit": MAX_COLUMNS})
        for cell in cells:
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                raise ImportFileError(
                    CELL_TOO_LONG % {"row": number, "limit": f"{MAX_CELL_CHARS:,}"}
                )
        yield number, cells


CSV_DELIMITERS = (",", ";", "\t")


def csv_delimiter(text: str) -> str:
    """The delimiter of a CSV text: whichever of ``,`` ``;`` and tab occurs most
    often in its header line (the first line that is not blank), outside
    quotes; a comma when none does."""
    counts = dict.fromkeys(CSV_DELIMITERS, 0)
    quoted = content = False
    for ch in text[:65536]:
        if ch == '"':
            quoted = not quoted  # a doubled quote toggles twice
            content = True
        elif quoted:
            continue
        elif ch in "\r\n":
            if content:
                break  # the end of the header line
        elif ch in counts:
            counts[ch] += 1
            content = True
        elif not ch.isspace():
            content = True
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])  # ties: the earlier one
    return best if counts[best] else ","


class _Rfc4180(csv.Dialect):
    """RFC 4180: fields in double quotes, a quote inside doubled, any line end."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL
    strict = False


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list]]:
    """Numbered CSV records; a NUL byte or a broken record is refused naming the row."""
    reader = csv.reader(io.StringIO(text, newline=""), _Rfc4180, delimiter=delimiter)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(BAD_CSV_ROW % {"row": number + 1}) from exc
        number += 1
        if any("\x00" in cell for cell in cells):
            raise ImportFileError(NUL_IN_ROW % {"row": number})
        yield number, cells


def _read_csv(raw: bytes) -> Table:
    text, encoding = decode_csv(raw)
    numbered = _bounded(_csv_rows(text, csv_delimiter(text)))
    try:
        header = next(_non_empty(numbered))[1]
    except StopIteration as exc:
        raise ImportFileError(EMPTY_FILE) from exc
    return Table(encoding, header, _non_empty(numbered), max(text.count("\n") - 1, 0))


#: ``<si>`` (a shared string), ``<row>``; a cell reference's column letters.
_SHARED_STRING = re.compile(rb"<(?:[\w.-]+:)?si[\s>/]")
_CELL_COLUMN = re.compile(rb'\sr="([A-Z]{1,3})[0-9]+"')
_SHARED_STRINGS_PART = re.compile(
    rb'PartName="/?([^"]+)"\s+ContentType="[^"]*sharedStrings[^"]*"'
    rb'|ContentType="[^"]*sharedStrings[^"]*"\s+PartName="/?([^"]+)"'
)


def _scan_xml(archive: zipfile.ZipFile, name: str, visit) -> None:
    """Stream the decompressed part ``name`` to ``visit(data, end)`` in blocks
    that end after a ``>`` (so no tag is split), never more than
    ``MAX_XML_BYTES`` in all."""
    seen, carry = 0, b""
    with archive.open(name) as part:
        while block := part.read(1 << 20):
            seen += len(block)
            if seen > MAX_XML_BYTES:
                raise ImportFileError(XLSX_TOO_LARGE)
            data = carry + block
            cut = data.rfind(b">") + 1
            if cut == 0 and len(data) > 1 << 20:
                raise ImportFileError(NOT_XLSX)
            visit(data, cut)
            carry = data[cut:]


def _check_shared_strings(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook with more than ``MAX_SHARED_STRINGS`` shared strings,
    counted in the stream (its ``count`` attribute may lie) before openpyxl
    loads them all into memory."""
    try:
        manifest = archive.read("[Content_Types].xml")[: 1 << 20]
    except KeyError as exc:
        raise ImportFileError(NOT_XLSX) from exc
    members = set(archive.namelist())
    names = {(a or b).decode() for a, b in _SHARED_STRINGS_PART.findall(manifest)}
    names |= {n for n in members if n.lower().endswith("sharedstrings.xml")}
    for name in names & members:
        count = 0

        def visit(data, end):
            nonlocal count
            count += len(_SHARED_STRING.findall(data, 0, end))
            if count > MAX_SHARED_STRINGS:
                raise ImportFileError(TOO_MANY_STRINGS % {"limit": f"{MAX_SHARED_STRINGS:,}"})

        _scan_xml(archive, name, visit)


#: The column letters of the first ``MAX_COLUMNS`` columns.
_ALLOWED_COLUMNS = frozenset(get_column_letter(n).encode() for n in range(1, MAX_COLUMNS + 1))


def _check_columns(archive: zipfile.ZipFile, sheet_path: str) -> None:
    """Refuse a sheet with a cell beyond ``MAX_COLUMNS`` (openpyxl would make
    every row that wide)."""

    def visit(data, end):
        beyond = set(_CELL_COLUMN.findall(data, 0, end)) - _ALLOWED_COLUMNS
        if beyond:
            column = max(beyond, key=lambda letters: (len(letters), letters)).decode()
            raise ImportFileError(SHEET_TOO_WIDE % {"column": column, "limit": MAX_COLUMNS})

    _scan_xml(archive, sheet_path, visit)


def _read_xlsx(handle) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(handle) as archive:
            _check_shared_strings(archive)
        handle.seek(0)
        workbook = load_workbook(handle, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        estimated = min(sheet.max_row or 1, MAX_ROWS) - 1
        _check_columns(workbook._archive, sheet._worksheet_path)
        # The declared dimension (``A1:XFD10000``) is not trusted: rows are
        # as wide and as many as the cells the sheet really holds.
        sheet.reset_dimensions()
        numbered = _bounded(
            (number, list(row))
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        first = next(_non_empty(numbered), None)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError) as exc:
        raise ImportFileError(NOT_XLSX) from exc
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for damaged files
        raise ImportFileError(NOT_XLSX) from exc
    if first is None:
        raise ImportFileError(EMPTY_FILE)

    def rows():
        try:
            yield from _non_empty(numbered)
        except ImportFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged part further on
            raise ImportFileError(NOT_XLSX) from exc
        finally:
            workbook.close()

    return Table(ENCODING_XLSX, first[1], rows(), max(estimated, 0))


def open_table(job: ImportJob) -> Table:
    """The job's file as a header and numbered rows, whatever its format."""
    if not job.file:
        raise ImportFileError(UPLOAD_EXPIRED)
    try:
        job.file.open("rb")
    except FileNotFoundError as exc:
        raise ImportFileError(UPLOAD_EXPIRED) from exc
    return read_table(job.file, job.file_name)


def read_table(handle, file_name: str) -> Table:
    """An uploaded .xlsx or CSV file (any name case; CSV in UTF-8, UTF-8 with
    BOM or GBK/GB18030) as a header and numbered rows; ``ImportFileError``
    with a message for the user when it cannot be read as either."""
    head = handle.read(8)
    handle.seek(0)
    name = file_name.lower()
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(handle)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(OLD_XLS)
    if name.endswith(".xlsx"):
        raise ImportFileError(EMPTY_FILE if not head else NOT_XLSX)
    if not name.endswith((".csv", ".txt")):
        raise ImportFileError(WRONG_TYPE)
    raw = handle.read()
    if not raw.strip():
        raise ImportFileError(EMPTY_FILE)
    return _read_csv(raw)


# --- Cells -------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell as text: Excel keeps phone numbers and codes as numbers."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return strip_controls(str(value)).strip()


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def choice_lookup(choices) -> dict[str, str]:
    """Every way to write an option: its code and its label in both languages."""
    lookup: dict[str, str] = {}
    for value, label in choices.choices:
        lookup[normalize_text(str(value))] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                lookup.setdefault(normalize_text(str(label)), value)
    for value, words in SYNONYMS.get(choices, {}).items():
        for word in words:
            lookup.setdefault(normalize_text(word), value)
    return lookup


@dataclass
class Layout:
    """Which file column holds which import column."""

    positions: dict[str, int]  # field -> index in the row
    labels: dict[str, str]  # field -> header as written in the file
    ignored: list[str]
    #: Headers the importer did not know that the user mapped to a column.
    mapped: list[dict] = field(default_factory=list)


def map_header(
    header: list, columns: tuple[Column, ...], extra: Mapping[str, str] | None = None
) -> tuple[Layout, list[dict]]:
    """Where each column is; ``extra`` maps other headers (by ``header_key``)
    to a column's field (the user's choice on an earlier preview; "" ignores)."""
    keys = {header_key(alias): column for column in columns for alias in column.headers}
    by_field = {column.field: column for column in columns}
    positions, labels, ignored, mapped = {}, {}, [], []
    unknown = []
    for index, cell in enumerate(header):
        column = keys.get(header_key(cell))
        if column is None:
            unknown.append((index, cell_text(cell)))
        elif column.field not in positions:
            positions[column.field] = index
            labels[column.field] = cell_text(cell)
    for index, text in unknown:
        # A header the user mapped, unless the file has that column itself.
        column = by_field.get((extra or {}).get(header_key(text), ""))
        if column is not None and column.field not in positions:
            positions[column.field] = index
            labels[column.field] = text
            mapped.append({"header": text, "field": column.field})
        elif text:
            ignored.append(text)
    errors = [
        row_error(1, column.header(), MISSING_COLUMN)
        for column in columns
        if column.required and column.field not in positions
    ]
    return Layout(positions, labels, ignored, mapped), errors


def row_error(row: int, column: str, message) -> dict:
    return {
        "row": row,
        "column": column,
        "message": str(message),
        "text": str(ERROR_FORMAT % {"row": row, "column": column, "message": message}),
    }


# --- Checking rows ---------------------------------------------------------------------


@dataclass
class Row:
    number: int
    values: dict  # field -> clean value (only the columns present and non-empty)
    action: str = "create"  # create, update, skip
    target_id: int | None = None  # the record an update writes to
    duplicate: dict | None = None


@dataclass
class Outcome:
    """What a pass found (and, when writing, did)."""

    total: int = 0
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    duplicates: list[dict] = field(default_factory=list)
    duplicate_count: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    contacts_created: int = 0
    #: Advisory lock buckets of the rows' duplicate keys (see ``CustomerPass.lock``).
    lock_buckets: set[int] = field(default_factory=set)
    #: List values not known (nor mapped): field -> value as written -> [column, count, first row].
    unknown: dict[str, dict[str, list]] = field(default_factory=dict)

    def add_unknown(self, field_name: str, column: str, text: str, row: int) -> None:
        per_field = self.unknown.setdefault(field_name, {})
        if text in per_field:
            per_field[text][1] += 1
        elif len(per_field) < MAX_UNKNOWN_VALUES:
            per_field[text] = [column, 1, row]

    def unknown_values(self) -> list[dict]:
        """What the preview offers to map, per column in file order of first use."""
        found = [
            {"field": name, "column": column, "value": text, "count": count, "row": row}
            for name, values in self.unknown.items()
            for text, (column, count, row) in values.items()
        ]
        return sorted(found, key=lambda item: (item["row"], item["field"]))

    def add_error(self, error: dict) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED:
            self.errors.append(error)

    def add_duplicate(self, row: Row) -> None:
        self.duplicate_count += 1
        if len(self.duplicates) < MAX_LISTED:
            self.duplicates.append({"row": row.number, **row.duplicate})


class RowChecker:
    """Validates cells of one kind of record; model fields validate their values
    (lengths, choices, credit code, URL) without touching the database."""

    columns: tuple[Column, ...]
    model: type

    def __init__(
        self,
        *,
        by,
        layout: Layout,
        outcome: Outcome,
        values: Mapping[str, Mapping[str, str]] | None = None,
    ):
        self.by, self.layout, self.outcome = by, layout, outcome
        self.choices = {
            c.field: choice_lookup(c.choices) for c in self.columns if c.kind == "choice"
        }
        # The user's own words for list values, from earlier previews ("" = leave empty).
        self.mapped = {name: dict(per_field) for name, per_field in (values or {}).items()}
        self.options = {
            c.field: ", ".join(str(label) for label in c.choices.labels)
            for c in self.columns
            if c.kind == "choice"
        }
        self.present = [c for c in self.columns if c.field in layout.positions]

    def error(self, number: int, column: Column, message) -> None:
        label = self.layout.labels.get(column.field) or column.header()
        self.outcome.add_error(row_error(number, label, message))

    def clean(self, number: int, cells: list) -> tuple[dict, bool]:
        """The row's clean values, and whether every cell was valid."""
        values, ok = {}, True
        for column in self.present:
            index = self.layout.positions[column.field]
            raw = cells[index] if index < len(cells) else None
            text = cell_text(raw)
            if (
                text
                and column.kind == "choice"
                and self.mapped.get(column.field, {}).get(normalize_text(text)) == ""
            ):
                text = ""  # the user chose to leave this value empty
            if not text:
                if column.required:
                    self.error(number, column, REQUIRED_VALUE)
                    ok = False
                continue
            self.number = number
            try:
                values[column.field] = self.clean_value(column, raw, text)
            except ValidationError as exc:
                self.error(number, column, " ".join(str(m) for m in exc.messages))
                ok = False
        return values, ok

    def clean_value(self, column: Column, raw, text: str):
        if column.kind == "choice":
            key = normalize_text(text)
            value = self.choices[column.field].get(key) or self.mapped.get(column.field, {}).get(
                key
            )
            if value is None or value not in column.choices.values:
                label = self.layout.labels.get(column.field) or column.header()
                self.outcome.add_unknown(column.field, label, text, self.number)
                raise ValidationError(
                    UNKNOWN_OPTION % {"value": text, "options": self.options[column.field]}
                )
            return value
        if column.kind == "date":
            try:
                return parse_date(raw)
            except ValueError as exc:
                raise ValidationError(BAD_DATE % {"value": text}) from exc
        if column.kind == "int":
            try:
                number = int(float(text))
            except ValueError as exc:
                raise ValidationError(BAD_NUMBER % {"value": text}) from exc
            if not 1 <= number <= 5:
                raise ValidationError(BAD_NUMBER % {"value": text})
            return number
        if column.kind == "tags":
            tags = [t.strip() for t in TAG_SEPARATORS.split(text) if t.strip()]
            model_field = self.model._meta.get_field(column.field)
            return model_field.clean(tags, None)
        if column.kind in ("owner", "customer"):
            return text
        if column.kind == "website":
            return self.model._meta.get_field(column.field).clean(website_url(text), None)
        if column.kind == "contact":
            if column.contact_field == "email":
                text = text.lower()
            return Contact._meta.get_field(column.contact_field).clean(text, None)
        if column.field == "credit_code":
            text = text.upper().replace(" ", "")
        return self.model._meta.get_field(column.field).clean(text, None)


class CustomerChecker(RowChecker):
    columns = CUSTOMER_COLUMNS
    model = Customer

    def clean(self, number: int, cells: list) -> tuple[dict, bool]:
        """A contact given with the customer needs at least its name."""
        values, ok = super().clean(number, cells)
        if any(name in values for name in CONTACT_VALUES) and "contact_name" not in values:
            self.error(number, CONTACT_NAME_COLUMN, CONTACT_NEEDS_NAME)
            ok = False
        return values, ok


def website_url(text: str) -> str:
    """A website as written in other systems (``www.example.com``,
    ``//example.com``) as a URL: ``https://`` unless it names its scheme."""
    text = text.strip()
    if "://" in text:
        return text
    return "https://" + text.lstrip("/")


class ContactChecker(RowChecker):
    columns = CONTACT_COLUMNS
    model = Contact


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _in_chunks(values, size: int = CHUNK_SIZE):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- Owners -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerInfo:
    user_id: int
    department_id: int
    branch_id: int


def _owner_info(usernames: set[str]) -> dict[str, OwnerInfo]:
    """Active employees by user name, with their department and branch (one query)."""
    if not usernames:
        return {}
    rows = (
        get_user_model()
        .objects.filter(username__in=usernames, is_active=True, employee__is_active=True)
        .values_list("username", "pk", "employee__department_id", "employee__department__branch_id")
    )
    return {name: OwnerInfo(pk, dept, branch) for name, pk, dept, branch in rows}


def _in_scope_of(by, info: OwnerInfo) -> bool:
    """Whether ``by`` may give records to this employee (their data scope)."""
    scope = user_scope(by)
    if scope.sees_all or info.user_id == by.pk:
        return True
    if scope.level == "branch":
        return info.branch_id == scope.branch_id
    if scope.level == "department":
        return info.department_id in scope.department_ids
    return False


def _importer_info(by) -> OwnerInfo | None:
    found = _owner_info({by.get_username()})
    return found.get(by.get_username())


# --- Bulk writing ---------------------------------------------------------------------------


def reserve_ids(model, count: int) -> list[int]:
    """``count`` new primary keys of ``model`` from its sequence, in one query."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def copy_rows(model, columns: list[str], rows: Iterable[tuple]) -> None:
    """``COPY table (columns) FROM STDIN``: the fastest way PostgreSQL takes rows."""
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)


# --- Customers ------------------------------------------------------------------------------

#: Customer fields an update may change (owner and stage have their own services).
CUSTOMER_UPDATABLE = tuple(name for name in CUSTOMER_FIELDS if name != "owner")
#: The contact's columns in a customer file, and the Contact field each fills.
CONTACT_VALUES = {c.field: c.contact_field for c in CUSTOMER_COLUMNS if c.kind == "contact"}
CONTACT_NAME_COLUMN = next(c for c in CUSTOMER_COLUMNS if c.field == "contact_name")
#: First key of the advisory locks an import takes on its duplicate keys, and
#: how many buckets the keys fall into (the most locks an import holds).
LOCK_NAMESPACE = 1_700_017
LOCK_BUCKETS = 64


class CustomerPass:
    """One pass over a customer file: check (``write=False``) or import."""

    checker_class = CustomerChecker
    #: What makes two customers duplicates: the mobile is their contact's.
    KEYS = ("credit_code", "name", "phone", "mobile")

    def __init__(self, *, job: ImportJob, by, on_duplicate: str, write: bool, outcome: Outcome):
        self.job, self.by, self.on_duplicate, self.write = job, by, on_duplicate, write
        self.outcome = outcome
        # Keys of the earlier rows of the file -> the row number that had them first.
        self.seen = {key: {} for key in self.KEYS}
        self.updating: set[int] = set()
        self.deferred_search: list[int] = []
        self.deferred_contact_search: list[int] = []
        self.held: set[int] = set()
        if write:  # every lock the check found, at once (see ``lock``)
            self.lock(job.result.get("lock_buckets") or [])
        self.importer = _importer_info(by)
        self.cause = str(IMPORT_CAUSE % {"file": job.file_name})

    def keys(self, row: Row) -> dict[str, str]:
        values = row.values
        if "_keys" not in values:
            values["_keys"] = {
                "credit_code": values.get("credit_code", ""),
                "name": normalize_company_name(values.get("name", "")),
                "phone": normalize_phone(values.get("phone", "")),
                "mobile": normalize_phone(values.get("contact_mobile", "")),
            }
        return values["_keys"]

    def buckets(self, rows: list[Row]) -> set[int]:
        """The lock buckets of the chunk's duplicate keys."""
        return {
            zlib.crc32(f"{self.job.kind}:{name}:{value}".encode()) % LOCK_BUCKETS
            for row in rows
            for name, value in self.keys(row).items()
            if value
        }

    def lock(self, buckets) -> None:
        """Serialise imports per duplicate key: a transaction-long advisory lock
        on the bucket of each key (in one order, one query). A concurrent
        import of the same customers waits until this one commits, and its
        lookups then see these rows as duplicates.

        The check records the buckets of the whole file, and the import takes
        them all at its start, in order: two imports never hold some and wait
        for others (no deadlock), and a transaction holds at most
        ``LOCK_BUCKETS`` locks whatever the file's size. A bucket the check
        did not see (the file cannot change in between) is taken when met.
        """
        new = sorted(set(buckets) - self.held)
        if not new:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(%s, b)) FROM unnest(%s::int[]) AS b",
                [LOCK_NAMESPACE, new],
            )
        self.held.update(new)

    def existing(self, rows: list[Row]) -> dict[str, dict[str, tuple]]:
        """Existing customers matching the chunk, per key type: one query each
        (the mobile: customers with a contact of that mobile)."""
        found: dict[str, dict[str, tuple]] = {}
        columns = {
            "credit_code": "credit_code",
            "name": "normalized_name",
            "phone": "normalized_phone",
        }
        for key, column in columns.items():
            values = {self.keys(row)[key] for row in rows} - {""}
            found[key] = {}
            if values:
                # ``exclude(...="")`` lets the planner use the partial unique index.
                matches = Customer.objects.filter(**{f"{column}__in": values}).exclude(
                    **{column: ""}
                )
                for match in matches.values_list(column, "pk", "name", "is_archived"):
                    found[key].setdefault(match[0], match[1:])
        mobiles = {self.keys(row)["mobile"] for row in rows} - {""}
        found["mobile"] = {}
        if mobiles:
            matches = Contact.objects.filter(normalized_mobile__in=mobiles).values_list(
                "normalized_mobile", "customer_id", "customer__name", "customer__is_archived"
            )
            for match in matches.order_by("customer_id"):
                found["mobile"].setdefault(match[0], match[1:])
        ids = {m[0] for per_key in found.values() for m in per_key.values()}
        self.visible = (
            set(
                Customer.objects.visible_to(self.by).filter(pk__in=ids).values_list("pk", flat=True)
            )
            if ids
            else set()
        )
        return found

    def classify(self, rows: list[Row]) -> None:
        existing = self.existing(rows)
        for row in rows:
            keys = self.keys(row)
            match_on = [k for k in self.KEYS if keys[k] in existing[k]]
            earlier = [k for k in self.KEYS if keys[k] in self.seen[k]]
            target = existing[match_on[0]][keys[match_on[0]]] if match_on else None
            for key in self.KEYS:
                if keys[key]:
                    self.seen[key].setdefault(keys[key], row.number)
            if not match_on and not earlier:
                continue
            row.duplicate = {"on": match_on or earlier}
            if target is not None:
                pk, name, archived = target
                row.duplicate["existing"] = (
                    {"id": pk, "name": name} if pk in self.visible else {"hidden": True}
                )
            else:
                row.duplicate["file_row"] = self.seen[earlier[0]][keys[earlier[0]]]
            self.outcome.add_duplicate(row)
            row.action = self.decide(row, target, match_on, earlier)

    def decide(self, row: Row, target, match_on, earlier) -> str:
        """What to do with a duplicate row: the user's choice for this row on
        the preview, else the choice for all duplicates."""
        choice = (self.job.row_choices or {}).get(str(row.number), self.on_duplicate)
        if choice == ImportJob.OnDuplicate.CREATE:
            taken = "credit_code" in match_on or "credit_code" in earlier
            return "skip" if taken else "create"
        if choice == ImportJob.OnDuplicate.UPDATE and target is not None:
            pk, _name, archived = target
            if pk in self.visible and not archived and pk not in self.updating:
                self.updating.add(pk)
                row.target_id = pk
                return "update"
        return "skip"

    def owners(self, rows: list[Row], checker: RowChecker) -> None:
        """Resolve the owner column (default: the importer); errors name the row."""
        column = next(c for c in CUSTOMER_COLUMNS if c.field == "owner")
        infos = _owner_info({row.values["owner"] for row in rows if "owner" in row.values})
        for row in rows:
            name = row.values.pop("owner", None)
            info = infos.get(name) if name else self.importer
            if info is None and (name or row.action != "error"):
                message = UNKNOWN_OWNER % {"value": name} if name else NO_DEFAULT_OWNER
                checker.error(row.number, column, message)
                row.action = "error"
            elif info is not None and not _in_scope_of(self.by, info):
                checker.error(row.number, column, OWNER_OUTSIDE_SCOPE % {"value": name})
                row.action = "error"
                info = None
            row.values["_owner"] = info

    def resolve(self, rows: list[Row], checker: RowChecker) -> None:
        """Look up what the rows refer to (customers: their owners)."""
        self.owners(rows, checker)

    def chunk(self, rows: list[Row], checker: RowChecker) -> None:
        self.resolve(rows, checker)
        rows = [row for row in rows if row.action != "error"]
        buckets = self.buckets(rows)
        self.outcome.lock_buckets |= buckets
        if self.write and not self.outcome.error_count:
            self.lock(buckets)
        self.classify(rows)
        if not self.write or self.outcome.error_count:
            return
        self.create([row for row in rows if row.action == "create"])
        self.update([row for row in rows if row.action == "update"])
        self.outcome.skipped += sum(1 for row in rows if row.action == "skip")

    def create(self, rows: list[Row]) -> None:
        """COPY the chunk's customers, their history rows and first lifecycle
        events: what ``customer_create`` writes, without a statement per row."""
        if not rows:
            return
        now = timezone.now()
        ids = reserve_ids(Customer, len(rows))
        fields = list(Customer._meta.concrete_fields)
        defaults = {f.attname: f.get_default() for f in fields}
        defaults.update(created_at=now, updated_at=now, search_vector=None)
        customer_rows = []
        for pk, row in zip(ids, rows, strict=True):
            owner: OwnerInfo = row.values["_owner"]
            keys = self.keys(row)
            values = {
                **defaults,
                **{k: v for k, v in row.values.items() if k in CUSTOMER_FIELDS},
                "id": pk,
                "owner_id": owner.user_id,
                "department_id": owner.department_id,
                "branch_id": owner.branch_id,
                "normalized_name": keys["name"],
                "name_key": company_name_key(keys["name"]),
                "normalized_phone": keys["phone"],
            }
            customer_rows.append(tuple(values[f.attname] for f in fields))
        copy_rows(Customer, [f.column for f in fields], customer_rows)
        history = Customer.history.model
        copy_rows(
            history,
            [
                *(f.column for f in fields),
                "history_date",
                "history_change_reason",
                "history_type",
                "history_user_id",
            ],
            ((*values, now, None, "+", self.by.pk) for values in customer_rows),
        )
        stage = fields.index(Customer._meta.get_field("lifecycle_stage"))
        copy_rows(
            LifecycleEvent,
            ["customer_id", "from_stage", "to_stage", "at", "by_id", "cause"],
            (
                (pk, "", values[stage], now, self.by.pk, self.cause)
                for pk, values in zip(ids, customer_rows, strict=True)
            ),
        )
        self.search(ids)
        self.outcome.created += len(ids)
        self.create_contacts([(pk, row) for pk, row in zip(ids, rows, strict=True)])

    def create_contacts(self, pairs: list[tuple[int, Row]]) -> None:
        """The contacts given with the customers (``contact_*`` columns), with
        the customers' owner, department and branch, and their history."""
        contacts = []
        for customer_id, row in pairs:
            if "contact_name" not in row.values:
                continue
            owner: OwnerInfo | None = row.values.get("_owner")
            values = {
                field_name: row.values[name]
                for name, field_name in CONTACT_VALUES.items()
                if name in row.values
            }
            contact = Contact(
                customer_id=customer_id,
                owner_id=owner.user_id if owner else row.values["_target_owner"][0],
                department_id=owner.department_id if owner else row.values["_target_owner"][1],
                branch_id=owner.branch_id if owner else row.values["_target_owner"][2],
                **values,
            )
            contact.normalized_mobile = normalize_phone(contact.mobile)
            contact._history_user = self.by
            contacts.append(contact)
        if not contacts:
            return
        Contact.objects.bulk_create(contacts)
        Contact.history.bulk_history_create(contacts, default_user=self.by)
        ids = [c.pk for c in contacts]
        if self.job.total and self.job.total <= SEARCH_INLINE_ROWS:
            refresh_contact_search(contact_ids=ids)
        else:
            self.deferred_contact_search.extend(ids)
        self.outcome.contacts_created += len(contacts)

    def search(self, ids: list[int]) -> None:
        """Search documents: in this transaction for small imports; for large
        ones, in tasks after the commit (their pinyin and word segmentation
        cost more than the rest of the import together)."""
        if self.job.total and self.job.total <= SEARCH_INLINE_ROWS:
            self.refresh(ids)
        else:
            self.deferred_search.extend(ids)

    def refresh(self, ids: list[int]) -> None:
        refresh_customer_search(customer_ids=ids)

    def update(self, rows: list[Row]) -> None:
        if not rows:
            return
        found = Customer.objects.in_bulk([row.target_id for row in rows])
        changed_fields: set[str] = set()
        customers = []
        for row in rows:
            customer = found[row.target_id]
            for name in CUSTOMER_UPDATABLE:
                if name in row.values:
                    setattr(customer, name, row.values[name])
                    changed_fields.add(name)
            keys = self.keys(row)
            if "name" in row.values:
                customer.normalized_name = keys["name"]
                customer.name_key = company_name_key(keys["name"])
            if "phone" in row.values:
                customer.normalized_phone = keys["phone"]
            customer.updated_at = timezone.now()
            customer._history_user = self.by
            customers.append(customer)
        fields = [*changed_fields, "normalized_name", "name_key", "normalized_phone", "updated_at"]
        Customer.objects.bulk_update(customers, fields)
        Customer.history.bulk_history_create(
            customers, update=True, default_user=self.by, default_change_reason=self.cause
        )
        self.search([c.pk for c in customers])
        self.outcome.updated += len(customers)
        self.add_contacts(rows, found)

    def add_contacts(self, rows: list[Row], found: dict[int, Customer]) -> None:
        """A contact given with an updated customer is added unless the
        customer has one of that mobile (or, without a mobile, of that name)."""
        rows = [row for row in rows if "contact_name" in row.values]
        if not rows:
            return
        known = set()
        for customer_id, mobile, name in Contact.objects.filter(
            customer_id__in={row.target_id for row in rows}
        ).values_list("customer_id", "normalized_mobile", "name"):
            known.add((customer_id, "m", mobile))
            known.add((customer_id, "n", normalize_text(name)))
        pairs = []
        for row in rows:
            customer = found[row.target_id]
            mobile = self.keys(row)["mobile"]
            key = (
                (customer.pk, "m", mobile)
                if mobile
                else (customer.pk, "n", normalize_text(row.values["contact_name"]))
            )
            if key in known:
                continue
            known.add(key)
            row.values["_owner"] = None
            row.values["_target_owner"] = (
                customer.owner_id,
                customer.department_id,
                customer.branch_id,
            )
            pairs.append((customer.pk, row))
        self.create_contacts(pairs)


# --- Contacts -------------------------------------------------------------------------------

CONTACT_UPDATABLE = tuple(c.field for c in CONTACT_COLUMNS if c.field != "customer")


class ContactPass(CustomerPass):
    """Contacts: the customer column names a customer the importer can see (by
    credit code or name); duplicates are contacts of that customer with the
    same mobile, e-mail or name."""

    checker_class = ContactChecker
    KEYS = ("mobile", "email", "name")

    def refresh(self, ids: list[int]) -> None:
        refresh_contact_search(contact_ids=ids)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = {key: {} for key in self.KEYS}

    def customers(self, rows: list[Row], checker: RowChecker) -> None:
        column = CONTACT_COLUMNS[0]
        texts = {row.values["customer"] for row in rows if "customer" in row.values}
        codes = {text.upper() for text in texts}
        names = {normalize_company_name(text) for text in texts} - {""}
        visible = Customer.objects.visible_to(self.by)
        fields = ("pk", "credit_code", "normalized_name", "owner_id", "department_id", "branch_id")
        by_code, by_name = {}, {}
        for match in visible.filter(credit_code__in=codes).values_list(*fields):
            by_code[match[1]] = match
        for match in visible.filter(normalized_name__in=names).values_list(*fields):
            by_name.setdefault(match[2], []).append(match)
        for row in rows:
            text = row.values.pop("customer", "")
            if not text:
                row.action = "error"  # the missing value is already reported
                continue
            match = by_code.get(text.upper())
            candidates = by_name.get(normalize_company_name(text), [])
            if match is None and len(candidates) == 1:
                match = candidates[0]
            if match is None:
                message = AMBIGUOUS_CUSTOMER if len(candidates) > 1 else UNKNOWN_CUSTOMER
                checker.error(row.number, column, message % {"value": text})
                row.action = "error"
                continue
            row.values["_customer"] = match

    def keys(self, row: Row) -> dict[str, str]:
        values = row.values
        if "_keys" not in values:
            customer_id = values["_customer"][0]
            mobile = normalize_phone(values.get("mobile", ""))
            email = values.get("email", "").lower()
            values["_keys"] = {
                "mobile": (customer_id, mobile) if mobile else "",
                "email": (customer_id, email) if email else "",
                "name": (customer_id, normalize_text(values.get("name", ""))),
            }
        return values["_keys"]

    def existing(self, rows: list[Row]) -> dict[str, dict]:
        """Contacts of the chunk's customers: one query."""
        found: dict[str, dict] = {key: {} for key in self.KEYS}
        customer_ids = {row.values["_customer"][0] for row in rows}
        contacts = Contact.objects.filter(customer_id__in=customer_ids).values_list(
            "pk", "customer_id", "name", "normalized_mobile", "email"
        )
        for pk, customer_id, name, mobile, email in contacts:
            target = (pk, name, False)
            if mobile:
                found["mobile"].setdefault((customer_id, mobile), target)
            if email:
                found["email"].setdefault((customer_id, email.lower()), target)
            found["name"].setdefault((customer_id, normalize_text(name)), target)
        # The customers are visible, so their contacts are too.
        self.visible = {target[0] for per_key in found.values() for target in per_key.values()}
        return found

    def classify(self, rows: list[Row]) -> None:
        existing = self.existing(rows)
        for row in rows:
            keys = self.keys(row)
            match_on = [k for k in self.KEYS if keys[k] and keys[k] in existing[k]]
            earlier = [k for k in self.KEYS if keys[k] and keys[k] in self.seen[k]]
            target = existing[match_on[0]][keys[match_on[0]]] if match_on else None
            for key in self.KEYS:
                if keys[key]:
                    self.seen[key].setdefault(keys[key], row.number)
            if not match_on and not earlier:
                continue
            row.duplicate = {"on": match_on or earlier}
            if target is not None:
                row.duplicate["existing"] = {"id": target[0], "name": target[1]}
            else:
                row.duplicate["file_row"] = self.seen[earlier[0]][keys[earlier[0]]]
            self.outcome.add_duplicate(row)
            row.action = self.decide(row, target, [], earlier)

    def resolve(self, rows: list[Row], checker: RowChecker) -> None:
        """Contacts refer to their customers."""
        self.customers(rows, checker)

    def create(self, rows: list[Row]) -> None:
        if not rows:
            return
        contacts = []
        for row in rows:
            values = {k: v for k, v in row.values.items() if not k.startswith("_")}
            customer_id, _code, _name, owner_id, department_id, branch_id = row.values["_customer"]
            contact = Contact(
                customer_id=customer_id,
                owner_id=owner_id,
                department_id=department_id,
                branch_id=branch_id,
                **values,
            )
            contact.normalized_mobile = normalize_phone(contact.mobile)
            contact._history_user = self.by
            contacts.append(contact)
        Contact.objects.bulk_create(contacts)
        Contact.history.bulk_history_create(contacts, default_user=self.by)
        self.search([c.pk for c in contacts])
        self.outcome.created += len(contacts)

    def update(self, rows: list[Row]) -> None:
        if not rows:
            return
        found = Contact.objects.in_bulk([row.target_id for row in rows])
        changed_fields: set[str] = set()
        contacts, job_changes = [], []
        today = timezone.localdate()
        for row in rows:
            contact = found[row.target_id]
            before = (contact.title, contact.department_name)
            for name in CONTACT_UPDATABLE:
                if name in row.values:
                    setattr(contact, name, row.values[name])
                    changed_fields.add(name)
            contact.normalized_mobile = normalize_phone(contact.mobile)
            contact.updated_at = timezone.now()
            contact._history_user = self.by
            contacts.append(contact)
            if (contact.title, contact.department_name) != before:
                job_changes.append(
                    ContactJobChange(
                        contact=contact,
                        old_title=before[0],
                        new_title=contact.title,
                        old_department=before[1],
                        new_department=contact.department_name,
                        changed_at=today,
                        recorded_by=self.by,
                    )
                )
        Contact.objects.bulk_update(contacts, [*changed_fields, "normalized_mobile", "updated_at"])
        Contact.history.bulk_history_create(
            contacts, update=True, default_user=self.by, default_change_reason=self.cause
        )
        ContactJobChange.objects.bulk_create(job_changes)
        self.search([c.pk for c in contacts])
        self.outcome.updated += len(contacts)


# --- Passes -----------------------------------------------------------------------------------

PASSES = {ImportJob.Kind.CUSTOMERS: CustomerPass, ImportJob.Kind.CONTACTS: ContactPass}
COLUMNS = {ImportJob.Kind.CUSTOMERS: CUSTOMER_COLUMNS, ImportJob.Kind.CONTACTS: CONTACT_COLUMNS}


# --- The user's mappings ------------------------------------------------------------------


@dataclass
class Mappings:
    """What a user's files mean by headers and list values the import does not know."""

    columns: dict[str, str] = field(default_factory=dict)  # header_key -> field ("" ignores)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> text -> code


def import_mapping_for(*, job: ImportJob, by) -> Mappings:
    """The mappings ``by`` chose on earlier previews of this kind of file (one query)."""
    mappings = Mappings()
    rows = ImportMapping.objects.filter(user=by, kind=job.kind).values_list(
        "field", "source", "target"
    )
    for field_name, source, target in rows:
        if field_name == ImportMapping.COLUMN:
            mappings.columns[source] = target
        else:
            mappings.values.setdefault(field_name, {})[source] = target
    return mappings


def mappable_columns(kind: str) -> list[Column]:
    """The columns an unknown header may be mapped to."""
    return [column for column in COLUMNS[ImportJob.Kind(kind)] if column.kind != "customer"]


def column_label(kind: str, field_name: str) -> str:
    """What the preview calls an import column: its field's name, in the user's language."""
    if field_name in CONTACT_VALUES and kind == ImportJob.Kind.CUSTOMERS:
        verbose = Contact._meta.get_field(CONTACT_VALUES[field_name]).verbose_name
        return str(CONTACT_FIELD_LABEL % {"field": verbose})
    model = Customer if kind == ImportJob.Kind.CUSTOMERS else Contact
    try:
        return capfirst(str(model._meta.get_field(field_name).verbose_name))
    except FieldDoesNotExist:
        return field_name


def value_options(kind: str, field_name: str) -> list[tuple[str, str]]:
    """The values an unknown list value of ``field_name`` may be mapped to."""
    column = next(c for c in COLUMNS[ImportJob.Kind(kind)] if c.field == field_name)
    return [(value, str(label)) for value, label in column.choices.choices]


@transaction.atomic
def import_mapping_save(
    *,
    job: ImportJob,
    by,
    values: Iterable[tuple[str, str, str]] = (),
    columns: Iterable[tuple[str, str]] = (),
) -> ImportJob:
    """Remember what ``by``'s files mean -- ``values``: (field, value as
    written, code or "" to leave it empty); ``columns``: (header as written,
    field or "" to ignore it) -- for this file and the next ones, and check
    the file again with them. Targets that are not options are refused."""
    kind = ImportJob.Kind(job.kind)
    by_field = {c.field: c for c in COLUMNS[kind]}
    allowed_fields = {c.field for c in mappable_columns(kind)}
    rows = []
    for field_name, text, target in values:
        column = by_field.get(field_name)
        if column is None or column.kind != "choice":
            raise ValidationError(BAD_MAPPING)
        if target and target not in column.choices.values:
            raise ValidationError(BAD_MAPPING)
        source = normalize_text(strip_controls(text))[:200]
        if source:
            rows.append(
                ImportMapping(user=by, kind=kind, field=field_name, source=source, target=target)
            )
    for header, target in columns:
        if target and target not in allowed_fields:
            raise ValidationError(BAD_MAPPING)
        source = header_key(strip_controls(header))[:200]
        if source:
            rows.append(
                ImportMapping(
                    user=by, kind=kind, field=ImportMapping.COLUMN, source=source, target=target
                )
            )
    if rows:
        ImportMapping.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["user", "kind", "field", "source"],
            update_fields=["target", "updated_at"],
        )
    job.status = ImportJob.Status.CHECKING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])
    return job


def progress_key(job: ImportJob) -> str:
    return f"crm:import-progress:{job.token}"


def _report(job: ImportJob, *, processed: int, total: int) -> None:
    """Progress for the polling page. In the cache, because the import's own
    transaction hides its writes (the job row too) until it commits."""
    cache.set(progress_key(job), {"processed": processed, "total": total}, timeout=3600)


def run_pass(
    job: ImportJob,
    *,
    by,
    on_duplicate: str = ImportJob.OnDuplicate.SKIP,
    write: bool,
    progress: Callable[[int, int], None] | None = None,
    mapping: Mappings | None = None,
) -> tuple[Outcome, Table, Layout]:
    """Read the job's file once, chunk by chunk; check every row and, with
    ``write``, write them. Raises ``ImportFileError`` for an unreadable file.
    ``mapping``: the user's words for unknown columns and list values."""
    table = open_table(job)
    outcome = Outcome()
    mapping = mapping or Mappings()
    layout, header_errors = map_header(table.header, COLUMNS[job.kind], mapping.columns)
    if job.kind == ImportJob.Kind.CUSTOMERS and "contact_name" not in layout.positions:
        # Without a contact name column, a customer file's 手机 or email is
        # not a contact's: those columns are ignored, as they always were.
        for name in CONTACT_VALUES:
            if name in layout.positions:
                del layout.positions[name]
                layout.ignored.append(layout.labels.pop(name))
    for error in header_errors:
        outcome.add_error(error)
    if header_errors:
        return outcome, table, layout
    current = PASSES[job.kind](
        job=job, by=by, on_duplicate=on_duplicate, write=write, outcome=outcome
    )
    checker = current.checker_class(by=by, layout=layout, outcome=outcome, values=mapping.values)
    for chunk in _chunks(table.rows, CHUNK_SIZE):
        outcome.total += len(chunk)
        rows = []
        for number, cells in chunk:
            values, ok = checker.clean(number, cells)
            rows.append(Row(number=number, values=values, action="create" if ok else "error"))
        if rows:
            current.chunk(rows, checker)
        if write and outcome.error_count:
            raise RowErrors(outcome.errors, outcome.error_count)
        if progress is not None:
            progress(outcome.total, max(table.estimated_rows, outcome.total))
    if write and current.deferred_search:
        from customers.tasks import refresh_search

        for ids in _in_chunks(current.deferred_search):
            transaction.on_commit(lambda ids=ids: refresh_search.delay(kind=job.kind, ids=ids))
    if write and getattr(current, "deferred_contact_search", None):
        from customers.tasks import refresh_search

        for ids in _in_chunks(current.deferred_contact_search):
            transaction.on_commit(
                lambda ids=ids: refresh_search.delay(kind=ImportJob.Kind.CONTACTS, ids=ids)
            )
    if outcome.total == 0:
        outcome.add_error(row_error(2, "—", NO_DATA_ROWS))
    outcome.errors.sort(key=lambda error: error["row"] or 0)  # stable: columns keep their order
    return outcome, table, layout


# --- Services --------------------------------------------------------------------------------


def import_job_create(*, by, kind: str, upload: UploadedFile) -> ImportJob:
    """Keep an upload as a new job of ``by``, to be checked. The file goes to
    the private storage (``PRIVATE_MEDIA_ROOT``), never under ``MEDIA_URL``."""
    name = strip_controls(upload.name or "").replace("/", "_").replace("\\", "_") or "upload"
    job = ImportJob(
        token=uuid.uuid4(),
        kind=ImportJob.Kind(kind),
        file_name=name[:255],
        created_by=by,
        status=ImportJob.Status.CHECKING,
        started_at=timezone.now(),
    )
    job.file.save(f"{job.token}-{name[-80:]}", upload, save=False)
    job.save()
    return job


def _failure(message) -> list[dict]:
    return [{"row": None, "column": None, "message": str(message), "text": str(message)}]


def _database_failure(exc: Exception) -> str:
    """A database error while importing, in words (never PostgreSQL's text)."""
    cause = getattr(exc, "__cause__", None)
    diag = getattr(cause, "diag", None)
    if isinstance(exc, IntegrityError):
        if getattr(diag, "constraint_name", "") == "customer_credit_code_unique":
            return str(CLASH_CREDIT_CODE)
        return str(CLASH_OTHER)
    if isinstance(cause, psycopg_errors.DeadlockDetected | psycopg_errors.LockNotAvailable):
        return str(CLASH_DEADLOCK)
    return str(DATABASE_FAILURE)


def import_job_check(*, job: ImportJob) -> ImportJob:
    """Check every row of the file: errors and duplicates go into the job (the
    preview). Whatever goes wrong ends the check with a message."""
    by = job.created_by
    try:
        mapping = import_mapping_for(job=job, by=by)
        outcome, table, layout = run_pass(
            job,
            by=by,
            write=False,
            progress=lambda done, total: _report(job, processed=done, total=total),
            mapping=mapping,
        )
    except Exception as exc:  # noqa: BLE001 - the job must end, with a message
        if isinstance(exc, ImportFileError):
            message = exc.message
        else:
            logger.exception("Import %s: the check failed", job.token)
            message = str(CHECK_FAILED)
        job.status = ImportJob.Status.INVALID
        job.errors = _failure(message)
        job.result = {"error_count": 1}
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "errors", "result", "finished_at"])
        cache.delete(progress_key(job))
        return job
    job.encoding = table.encoding
    job.total = outcome.total
    job.errors = outcome.errors
    job.duplicates = outcome.duplicates
    job.duplicate_count = outcome.duplicate_count
    job.result = {
        "error_count": outcome.error_count,
        "ignored_columns": layout.ignored,
        "mapped_columns": layout.mapped,
        "present_fields": sorted(layout.positions),
        "unknown_values": outcome.unknown_values(),
        "lock_buckets": sorted(outcome.lock_buckets),
    }
    job.status = ImportJob.Status.INVALID if outcome.error_count else ImportJob.Status.CHECKED
    job.finished_at = None
    job.save(
        update_fields=[
            "encoding",
            "total",
            "errors",
            "duplicates",
            "duplicate_count",
            "result",
            "status",
            "finished_at",
        ]
    )
    cache.delete(progress_key(job))
    return job


def import_job_confirm(
    *, job: ImportJob, by, on_duplicate: str, row_choices: Mapping[int, str] | None = None
) -> ImportJob:
    """The user chose what to do with duplicates (for all, and for particular
    listed rows): queue the import. Choices for rows that are not listed
    duplicates are ignored."""
    listed = {duplicate["row"] for duplicate in job.duplicates}
    job.on_duplicate = ImportJob.OnDuplicate(on_duplicate)
    job.row_choices = {
        str(row): ImportJob.OnDuplicate(choice)
        for row, choice in (row_choices or {}).items()
        if row in listed and choice != job.on_duplicate
    }
    job.status = ImportJob.Status.QUEUED
    job.processed = 0
    job.started_at = timezone.now()
    job.save(update_fields=["on_duplicate", "row_choices", "status", "processed", "started_at"])
    return job


def _prefer_indexes() -> None:
    """Within the import's transaction, look duplicates up by index.

    The table's statistics do not count the rows this transaction has added,
    so after a few chunks the planner would still take the table for small
    and scan all of it for every chunk's lookups (quadratic in the file).
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")


#: A job in these states may start importing (not one already running or finished).
STARTABLE = (ImportJob.Status.CHECKED, ImportJob.Status.QUEUED, ImportJob.Status.INVALID)


def customer_import(*, job: ImportJob, by, on_duplicate: str) -> ImportJob:
    """Import the rows of a checked job (customers or contacts), all or nothing.

    The rows are written in one transaction; a row error, an unreadable file,
    a clash with another import or any other failure rolls everything back
    and leaves the job ``failed`` with the reasons in words. The job row
    itself is written outside that transaction, so the failure is kept. A job
    runs once: only a queued job starts.
    """
    started = ImportJob.objects.filter(pk=job.pk, status__in=STARTABLE).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not started:
        job.refresh_from_db()
        return job
    job.status = ImportJob.Status.RUNNING
    failure: list[dict] | None = None
    try:
        with transaction.atomic():
            _prefer_indexes()
            outcome, table, _layout = run_pass(
                job,
                by=by,
                on_duplicate=on_duplicate,
                write=True,
                progress=lambda done, total: _report(job, processed=done, total=total),
                mapping=import_mapping_for(job=job, by=by),
            )
            if outcome.error_count:
                raise RowErrors(outcome.errors, outcome.error_count)
    except RowErrors as exc:
        failure, error_count = exc.errors, exc.count
    except ImportFileError as exc:
        failure, error_count = _failure(exc.message), 1
    except DatabaseError as exc:
        failure, error_count = _failure(_database_failure(exc)), 1
        logger.warning("Import %s failed in the database: %s", job.token, exc)
    except Exception:  # noqa: BLE001 - the job must end, with a message
        logger.exception("Import %s failed", job.token)
        failure, error_count = _failure(IMPORT_FAILED), 1
    job.finished_at = timezone.now()
    cache.delete(progress_key(job))
    if failure is not None:
        job.status = ImportJob.Status.FAILED
        job.errors = failure
        job.result = {**job.result, "error_count": error_count}
        job.save(update_fields=["status", "errors", "result", "finished_at"])
        return job
    job.status = ImportJob.Status.DONE
    job.processed = outcome.total
    job.result = {
        **job.result,
        "created": outcome.created,
        "updated": outcome.updated,
        "skipped": outcome.skipped,
        "contacts_created": outcome.contacts_created,
        # Duplicates the check did not see: someone imported or entered
        # them in between (the rows followed the choice for duplicates).
        "late_duplicates": max(outcome.duplicate_count - job.duplicate_count, 0),
    }
    job.save(update_fields=["status", "processed", "result", "finished_at"])
    return job


#: A job still checking, queued or importing this long after it started has
#: lost its worker: it is ended as failed (nothing of it was committed).
STUCK_AFTER = timedelta(hours=2)


def import_jobs_unstick(*, now: datetime | None = None) -> int:
    """End jobs whose check or import stopped without finishing (a worker
    killed, a lost task): failed, with a message; their transaction never
    committed, so nothing of them is written."""
    cutoff = (now or timezone.now()) - STUCK_AFTER
    in_progress = (ImportJob.Status.CHECKING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    return ImportJob.objects.filter(status__in=in_progress, started_at__lt=cutoff).update(
        status=ImportJob.Status.FAILED,
        errors=_failure(IMPORT_STUCK),
        finished_at=now or timezone.now(),
    )


def import_job_progress(job: ImportJob) -> dict:
    """What the progress bar shows: running figures from the cache, else the job's."""
    running = cache.get(progress_key(job)) or {}
    total = running.get("total") or job.total
    processed = running.get("processed", job.processed)
    finished = job.status in (
        ImportJob.Status.CHECKED,
        ImportJob.Status.INVALID,
        ImportJob.Status.DONE,
        ImportJob.Status.FAILED,
    )
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "processed": processed,
        "total": total,
        "percent": 100 if finished else int(100 * processed / total) if total else 0,
        "finished": finished,
        "result": job.result,
    }


# --- Housekeeping -------------------------------------------------------------------------

#: Uploaded files are kept this long after their job was created (errors and
#: results stay on the job; only the file goes).
KEEP_UPLOADS = timedelta(days=7)


def import_files_cleanup(*, now: datetime | None = None) -> int:
    """Delete uploaded files of jobs older than ``KEEP_UPLOADS`` that are not
    in progress; a checked job never confirmed then asks for a new upload."""
    cutoff = (now or timezone.now()) - KEEP_UPLOADS
    in_progress = (ImportJob.Status.CHECKING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    jobs = (
        ImportJob.objects.filter(created_at__lt=cutoff)
        .exclude(file="")
        .exclude(status__in=in_progress)
        .only("pk", "file")
    )
    cleaned = 0
    for job in jobs.iterator(chunk_size=500):
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        cleaned += 1
    return cleaned
