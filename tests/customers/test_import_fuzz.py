"""Fuzzing of the import parsers and column mappers (issue 17): NUL, huge and
malformed values never raise anything but a refusal with a message."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.imports import (
    CHECK_FAILED,
    CSV_DELIMITERS,
    ImportFileError,
    csv_delimiter,
    customer_import,
    import_job_check,
    import_job_create,
    map_header,
    read_table,
)
from customers.models import ImportJob
from customers.resources import CONTACT_COLUMNS, CUSTOMER_COLUMNS

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HEADERS = [alias for column in CUSTOMER_COLUMNS for alias in column.headers[:2]]
CELL = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("\x00\x01\x1b\x7f\",;\t\r\n'=+-@张三0a."), max_size=30),
    st.sampled_from(["终端客户", "农林牧渔", "www.x.cn", "http://", "9" * 30, "2024-13-45", ""]),
    st.text(min_size=200, max_size=2000),
)


def read_all(raw: bytes, name: str) -> None:
    """Read a file to its end: a table, or a refusal with a message."""
    try:
        table = read_table(io.BytesIO(raw), name)
        for _number, cells in table.rows:
            assert isinstance(cells, list | tuple)
    except ImportFileError as exc:
        assert exc.message


@FUZZ
@given(raw=st.binary(max_size=3000), name=st.sampled_from(["f.csv", "f.xlsx", "f.txt", "f.doc"]))
def test_fuzz_any_bytes_are_read_or_refused_with_a_message(raw, name):
    read_all(raw, name)


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_fuzz_damaged_zip_files_are_refused_with_a_message(raw):
    read_all(b"PK\x03\x04" + raw, "f.xlsx")


@FUZZ
@given(text=st.text(max_size=500))
def test_fuzz_the_delimiter_is_always_one_of_three(text):
    assert csv_delimiter(text) in CSV_DELIMITERS


@FUZZ
@given(
    header=st.lists(
        st.one_of(CELL, st.sampled_from(HEADERS), st.none(), st.integers()), max_size=30
    )
)
def test_fuzz_headers_are_mapped_or_ignored(header):
    for columns in (CUSTOMER_COLUMNS, CONTACT_COLUMNS):
        layout, errors = map_header(header, columns, {"x": "notes", "y": "nonsense"})
        assert all(0 <= index < len(header) for index in layout.positions.values())
        assert all(error["text"] for error in errors)


def csv_text(rows: list[list[str]]) -> str:
    def quoted(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell

    return "\r\n".join(",".join(quoted(cell) for cell in row) for row in rows) + "\r\n"


@FUZZ
@given(
    header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8, unique=True),
    rows=st.lists(st.lists(CELL, min_size=0, max_size=9), min_size=0, max_size=6),
)
def test_fuzz_customer_csv_files_check_to_a_preview(org, header, rows):
    job = import_job_create(
        by=org.rep,
        kind="customers",
        upload=SimpleUploadedFile("f.csv", csv_text([header, *rows]).encode()),
    )
    check_and_import(job, org.rep)


def check_and_import(job: ImportJob, by) -> None:
    """The check ends in a preview (never "unexpected error"); a file that
    checks clean imports."""
    job = import_job_check(job=job)
    assert job.status in (ImportJob.Status.CHECKED, ImportJob.Status.INVALID)
    assert all(error["text"] for error in job.errors)
    assert str(CHECK_FAILED) not in str(job.errors)
    if job.status == ImportJob.Status.CHECKED:
        job = customer_import(job=job, by=by, on_duplicate="update")
        assert job.status == ImportJob.Status.DONE, job.errors


XLSX_CELL = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), max_size=40),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.booleans(),
    st.none(),
)


@FUZZ
@given(
    header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6, unique=True),
    rows=st.lists(st.lists(XLSX_CELL, max_size=8), max_size=5),
)
def test_fuzz_customer_xlsx_files_check_to_a_preview(org, header, rows):
    workbook = openpyxl.Workbook()
    for row in [header, *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = import_job_create(
        by=org.rep, kind="customers", upload=SimpleUploadedFile("f.xlsx", buffer.getvalue())
    )
    check_and_import(job, org.rep)
