"""Text of an attached file, for the search (KNW-4). Runs in a Celery worker.

Every reader is bounded, so that a huge or hostile file costs a known
amount of work: at most ``MAX_PAGES`` pages of a PDF, ``MAX_CELLS`` cells of
a workbook (read-only, values not formulas), ``MAX_CHARS`` characters of
anything. Word and Excel files were checked against zip bombs on upload.
"""

from __future__ import annotations

import io

MAX_PAGES = 100
MAX_CELLS = 100_000
MAX_CHARS = 200_000


class ExtractionError(Exception):
    """The file could not be read; the message is shown with the attachment."""


class _Collector:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> bool:
        """Add ``text``; ``False`` once ``MAX_CHARS`` are collected."""
        if not text:
            return self.size < MAX_CHARS
        text = text[: MAX_CHARS - self.size]
        self.parts.append(text)
        self.size += len(text) + 1
        return self.size < MAX_CHARS

    def text(self) -> str:
        return "\n".join(self.parts)[:MAX_CHARS]


def _pdf(file) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    collector = _Collector()
    try:
        reader = PdfReader(file)
        if reader.is_encrypted:
            raise ExtractionError("encrypted PDF")
        for index, page in enumerate(reader.pages):
            if index >= MAX_PAGES or not collector.add(page.extract_text() or ""):
                break
    except PdfReadError as error:
        raise ExtractionError(f"damaged PDF: {error}") from error
    return collector.text()


def _docx(file) -> str:
    import docx

    collector = _Collector()
    try:
        document = docx.Document(file)
    except Exception as error:  # python-docx raises several kinds for a bad package
        raise ExtractionError(f"unreadable Word file: {error}") from error
    for paragraph in document.paragraphs:
        if not collector.add(paragraph.text):
            return collector.text()
    cells = 0
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                cells += 1
                if cells > MAX_CELLS or not collector.add(cell.text):
                    return collector.text()
    return collector.text()


def _xlsx(file) -> str:
    from openpyxl import load_workbook

    collector = _Collector()
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a bad package
        raise ExtractionError(f"unreadable Excel file: {error}") from error
    cells = 0
    try:
        for sheet in workbook.worksheets:
            collector.add(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                values = [str(value) for value in row if value is not None]
                cells += len(row)
                if values and not collector.add(" ".join(values)):
                    return collector.text()
                if cells >= MAX_CELLS:
                    return collector.text()
    finally:
        workbook.close()
    return collector.text()


def decode_text(data: bytes) -> str:
    """Text in UTF-8 (with or without BOM), else GBK/GB18030, else with replacements."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _text(file) -> str:
    data = file.read(MAX_CHARS * 4)
    # Cut at a line break so that a multi-byte character is not split.
    if len(data) == MAX_CHARS * 4 and b"\n" in data:
        data = data[: data.rfind(b"\n")]
    return decode_text(data)[:MAX_CHARS]


READERS = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "text": _text, "csv": _text}


def extract_text(file, kind: str) -> str:
    """The text of ``file`` (a binary file object) of ``kind``; '' for images."""
    reader = READERS.get(kind)
    if reader is None:
        return ""
    data = file.read()
    return reader(io.BytesIO(data)).replace("\x00", "")
