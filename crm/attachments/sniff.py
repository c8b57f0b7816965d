"""What an uploaded file really is, read from its bytes (magic numbers), not
from its name or the browser's content type.

Pure Python, no libmagic: the CRM accepts few types, each recognised by its
first bytes; Word and Excel files are ZIP archives told apart by the content
types their ``[Content_Types].xml`` declares. The name's extension must agree
with the content (a ``.pdf`` that is not a PDF is refused), and a ZIP whose
members would unpack to far more than it holds (a zip bomb) is refused before
anything unpacks it.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TYPE_NOT_ALLOWED = _(
    "Files of this type cannot be attached. Allowed: PDF, Word (.docx), Excel (.xlsx), "
    "PNG, JPEG, GIF images and plain text or CSV."
)
TYPE_MISMATCH = _("The file's content is not what its name says (%(extension)s): not attached.")
ZIP_TOO_LARGE = _("The file unpacks to far more data than it holds: not attached.")
ENCRYPTED_PDF = _("The PDF is password-protected: remove the password and attach it again.")


@dataclass(frozen=True)
class FileKind:
    code: str
    mime: str
    extensions: tuple[str, ...]
    has_text: bool = True


KINDS = {
    kind.code: kind
    for kind in (
        FileKind("pdf", "application/pdf", (".pdf",)),
        FileKind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        FileKind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
        ),
        FileKind("png", "image/png", (".png",), has_text=False),
        FileKind("jpeg", "image/jpeg", (".jpg", ".jpeg"), has_text=False),
        FileKind("gif", "image/gif", (".gif",), has_text=False),
        FileKind("text", "text/plain", (".txt", ".text", ".log", ".md")),
        FileKind("csv", "text/csv", (".csv",)),
    )
}
#: Extension -> kind code.
BY_EXTENSION = {ext: kind.code for kind in KINDS.values() for ext in kind.extensions}

#: Bytes read to recognise a file.
HEAD = 8192
#: A Word or Excel file may unpack to at most this many bytes ...
MAX_UNPACKED = 200 * 1024 * 1024
#: ... and no member may be compressed more than this ratio.
MAX_RATIO = 200

_WORD_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_EXCEL_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
#: Text that browsers would render as a page or run as script.
_MARKUP = (b"<!doctype", b"<html", b"<svg", b"<script", b"<?xml", b"<body", b"<iframe")


def _zip_kind(file) -> str | None:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            unpacked = sum(info.file_size for info in infos)
            if unpacked > MAX_UNPACKED or any(
                info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1e6
                for info in infos
            ):
                raise ValidationError(ZIP_TOO_LARGE, code="zip_bomb")
            try:
                with archive.open("[Content_Types].xml") as types:
                    declared = types.read(64 * 1024)
            except KeyError:
                return None
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if _WORD_MAIN in declared:
        return "docx"
    if _EXCEL_MAIN in declared:
        return "xlsx"
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    sample = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if sample.startswith(_MARKUP) or any(tag in sample[:2048] for tag in (b"<script", b"<svg")):
        return False
    # A sample may end inside a multi-byte character: ignore the last 3 bytes.
    for encoding in ("utf-8", "gb18030"):
        try:
            head[: len(head) - 3 if len(head) == HEAD else len(head)].decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def content_kind(file) -> str | None:
    """The kind of ``file`` by its content, or ``None`` if it is none we accept."""
    file.seek(0)
    head = file.read(HEAD)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(file)
        file.seek(0)
        return kind
    if head and _is_text(head):
        return "text"
    return None


def _pdf_is_encrypted(file) -> bool:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    file.seek(0)
    try:
        return PdfReader(file).is_encrypted
    except (PdfReadError, ValueError, OSError):
        return False  # a damaged PDF is kept; its extraction reports the damage
    finally:
        file.seek(0)


def sniff(file, name: str) -> FileKind:
    """The accepted kind of the uploaded ``file`` called ``name``, or ValidationError."""
    extension = PurePath(name).suffix.lower()
    expected = BY_EXTENSION.get(extension)
    if expected is None:
        raise ValidationError(TYPE_NOT_ALLOWED, code="type")
    actual = content_kind(file)
    if actual == "text" and expected == "csv":
        actual = "csv"
    if actual is None and expected in ("text", "csv"):
        raise ValidationError(TYPE_NOT_ALLOWED, code="type")
    if actual != expected:
        raise ValidationError(TYPE_MISMATCH, code="mismatch", params={"extension": extension})
    if actual == "pdf" and _pdf_is_encrypted(file):
        raise ValidationError(ENCRYPTED_PDF, code="encrypted")
    return KINDS[actual]
